/**
 * Framing, chaining bounds and malformed answers: scripted channels and fast-check properties.
 * Every answer a card can give ends in a result or a DesfireError — never another exception,
 * never a hang, never unbounded memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import {
  aidFromHex,
  DesfireError,
  DesfireSession,
  Ev1SecureChannel,
  Ev2SecureChannel,
  exchangeNative,
  parseFrameResponse,
  parseVersion,
  unpadIso9797M2,
  wrapNative,
} from '../../../src/main/protocols/desfire/index.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { ScriptedChannel, SimChannel } from './sim-channel.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const AF = h('91AF');
const OK = h('9100');

function isDesfireError(code?: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof DesfireError && (code === undefined || e.code === code);
}

describe('ISO 7816-4 wrapping', () => {
  it('wraps native frames byte-exactly', () => {
    assert.equal(wrapNative(0x60).toString('hex'), '9060000000');
    assert.equal(wrapNative(0x5a, h('F51230')).toString('hex'), '905a000003f5123000');
    assert.throws(() => wrapNative(0x3d, Buffer.alloc(256)), isDesfireError('invalid_argument'));
  });

  it('parses a response into data and status; shorter than 2 bytes is card_data_invalid', () => {
    assert.deepEqual(parseFrameResponse(h('0102 91AF'), 0x60), { sw: 0x91af, data: h('0102') });
    assert.throws(() => parseFrameResponse(h('91'), 0x60), isDesfireError('card_data_invalid'));
    assert.throws(() => parseFrameResponse(Buffer.alloc(0), 0x60), isDesfireError('card_data_invalid'));
  });
});

describe('91AF chaining', () => {
  it('splits a long command into 59-byte frames and joins a long response', async () => {
    const payload = Buffer.alloc(130, 7);
    const channel = new ScriptedChannel((_apdu, i) => (i < 2 ? AF : i === 2 ? Buffer.concat([Buffer.alloc(59, 1), AF]) : Buffer.concat([Buffer.alloc(3, 2), OK])));
    const data = await exchangeNative(channel, 0x3d, payload);
    assert.deepEqual(data, Buffer.concat([Buffer.alloc(59, 1), Buffer.alloc(3, 2)]));
    assert.deepEqual(channel.sent.map((a) => [a[1], a[4]]), [[0x3d, 59], [0xaf, 59], [0xaf, 12], [0xaf, 0]]);
    assert.equal(channel.sent[3]?.toString('hex'), '90af000000');
  });

  it('bounds an endless 91AF answer (frames and bytes)', async () => {
    const endless = new ScriptedChannel(() => AF);
    await assert.rejects(exchangeNative(endless, 0x60, Buffer.alloc(0), { maxFrames: 50 }), isDesfireError('chaining_limit'));
    assert.equal(endless.sent.length, 50);
    const big = new ScriptedChannel(() => Buffer.concat([Buffer.alloc(59), AF]));
    await assert.rejects(exchangeNative(big, 0x60, Buffer.alloc(0), { maxResponseBytes: 1000 }), isDesfireError('chaining_limit'));
    assert.ok(big.sent.length <= 18);
  });

  it('a card that ends or talks during command chaining is card_data_invalid; an error status is mapped', async () => {
    await assert.rejects(exchangeNative(new ScriptedChannel(() => OK), 0x3d, Buffer.alloc(100)), isDesfireError('card_data_invalid'));
    await assert.rejects(exchangeNative(new ScriptedChannel(() => h('00 91AF')), 0x3d, Buffer.alloc(100)), isDesfireError('card_data_invalid'));
    await assert.rejects(exchangeNative(new ScriptedChannel(() => h('917E')), 0x3d, Buffer.alloc(100)), isDesfireError('length_error'));
    await assert.rejects(exchangeNative(new ScriptedChannel(() => h('6A82')), 0x5a, Buffer.alloc(3)), isDesfireError('unexpected_status'));
    await assert.rejects(exchangeNative(new ScriptedChannel(() => h('91FF')), 0x5a, Buffer.alloc(3)), isDesfireError('unexpected_status'));
  });

  it('maps every documented status to its code', async () => {
    const table: Array<[string, string]> = [
      ['91AE', 'authentication_error'], ['919D', 'permission_denied'], ['91A0', 'application_not_found'],
      ['91F0', 'file_not_found'], ['917E', 'length_error'], ['911E', 'integrity_error'], ['91BE', 'boundary_error'],
      ['9140', 'no_such_key'], ['91DE', 'duplicate_error'], ['919E', 'parameter_error'], ['91CA', 'command_aborted'],
      ['910E', 'out_of_eeprom'], ['911C', 'illegal_command'],
    ];
    for (const [sw, code] of table) {
      const e = await exchangeNative(new ScriptedChannel(() => h(sw)), 0x6a, Buffer.alloc(0)).catch((x: unknown) => x);
      assert.ok(e instanceof DesfireError && e.code === code && e.sw === parseInt(sw, 16), `${sw} → ${code}`);
    }
  });
});

describe('authentication answers out of spec', () => {
  const key = Buffer.alloc(16);
  const cases: Array<[string, (i: number) => Buffer, string]> = [
    ['first answer too short', () => h('0011 91AF'), 'card_data_invalid'],
    ['first answer 9100 instead of 91AF', () => Buffer.concat([Buffer.alloc(16), OK]), 'card_data_invalid'],
    ['first answer 91AE', () => h('91AE'), 'authentication_error'],
    ['second answer of the wrong length', (i) => (i === 0 ? Buffer.concat([Buffer.alloc(16), AF]) : Buffer.concat([Buffer.alloc(8), OK])), 'card_data_invalid'],
    ['second answer with a wrong RndA\'', (i) => (i === 0 ? Buffer.concat([Buffer.alloc(16), AF]) : Buffer.concat([Buffer.alloc(16, 9), OK])), 'authentication_error'],
  ];
  for (const [name, answer, code] of cases) {
    it(`EV1: ${name} → ${code}`, async () => {
      const s = new DesfireSession(new ScriptedChannel((_a, i) => answer(i)));
      await assert.rejects(s.authenticateAes(0, key), isDesfireError(code));
      assert.equal(s.authentication, undefined);
    });
  }
  it('EV2: a 16-byte final answer is card_data_invalid; a wrong RndA\' is authentication_error', async () => {
    const s1 = new DesfireSession(new ScriptedChannel((_a, i) => (i === 0 ? Buffer.concat([Buffer.alloc(16), AF]) : Buffer.concat([Buffer.alloc(16), OK]))));
    await assert.rejects(s1.authenticateEv2First(0, key), isDesfireError('card_data_invalid'));
    const s2 = new DesfireSession(new ScriptedChannel((_a, i) => (i === 0 ? Buffer.concat([Buffer.alloc(16), AF]) : Buffer.concat([Buffer.alloc(32), OK]))));
    await assert.rejects(s2.authenticateEv2First(0, key), isDesfireError('authentication_error'));
  });
});

describe('parsers of card answers (property tests)', () => {
  it('parseVersion: any byte string is a version or card_data_invalid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        try {
          const v = parseVersion(b);
          assert.ok(b.length >= 28 && b.length <= 32);
          assert.equal(v.uid.length, 7);
        } catch (e) {
          assert.ok(isDesfireError('card_data_invalid')(e));
        }
      }),
    );
  });

  it('unpadIso9797M2 strips exactly the padding it added or throws integrity', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        const b = Buffer.from(bytes);
        try {
          const out = unpadIso9797M2(b);
          assert.equal(b[out.length], 0x80);
          assert.ok(b.subarray(out.length + 1).every((x) => x === 0));
        } catch (e) {
          assert.ok(isDesfireError('integrity')(e));
        }
      }),
    );
  });

  it('secure channels: any response bytes are either verified or integrity/card_data_invalid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom('plain', 'mac', 'full', 'management') as fc.Arbitrary<'plain' | 'mac' | 'full' | 'management'>, fc.option(fc.nat(70)), (bytes, mode, expected) => {
        for (const ch of [new Ev1SecureChannel(Buffer.alloc(16, 1)), new Ev2SecureChannel(Buffer.alloc(16, 2), Buffer.alloc(16, 3), Buffer.alloc(4, 4))]) {
          try {
            ch.unprotectResponse(Buffer.from(bytes), mode, expected === null ? {} : { expectedLength: expected });
            assert.ok(ch.kind === 'ev2' && mode === 'plain', 'only unprotected EV2 plain answers pass unverified');
          } catch (e) {
            assert.ok(isDesfireError()(e) && ['integrity', 'card_data_invalid'].includes((e as DesfireError).code), String(e));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('DesfireSession: random answers to any command end in a result or a DesfireError', async () => {
    const AID = aidFromHex('F51230');
    const key = Buffer.alloc(16);
    const apduAnswer = fc.oneof(
      fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.uint8Array({ maxLength: 59 }), fc.constantFrom(0x00, 0xaf, 0xae, 0x1e, 0x7e)).map(([d, s]) => Buffer.concat([Buffer.from(d), Buffer.of(0x91, s)])),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(apduAnswer, { minLength: 1, maxLength: 8 }), fc.nat(10), fc.boolean(), async (answers, which, authenticated) => {
        // Optionally start from a real authenticated session, then let the "card" answer garbage.
        const card = new DesfireCard({ ev2: which % 2 === 0, applications: [{ aid: AID, keys: [{ key }] }] });
        const channel = new SimChannel(card);
        const s = new DesfireSession(channel, { maxFrames: 32 });
        if (authenticated) {
          await s.selectApplication(AID);
          await (which % 2 === 0 ? s.authenticateEv2First(0, key) : s.authenticateAes(0, key));
        }
        let i = 0;
        channel.tamper = () => answers[i++ % answers.length] ?? AF;
        const ops: Array<() => Promise<unknown>> = [
          () => s.getVersion(),
          () => s.getApplicationIds(),
          () => s.getCardUid(),
          () => s.getKeyVersion(0),
          () => s.readData(1, 0, 100, 'full'),
          () => s.readData(1, 0, 100, 'mac'),
          () => s.readData(1, 0, 3, 'plain'),
          () => s.getValue(2, 'full'),
          () => s.authenticateAes(0, key),
          () => s.authenticateEv2First(0, key),
          () => s.writeData(1, 0, Buffer.alloc(120), 'full'),
        ];
        const op = ops[which % ops.length];
        assert.ok(op);
        try {
          await op();
        } catch (e) {
          assert.ok(e instanceof DesfireError, `unexpected ${String(e)}`);
        }
        assert.ok(channel.log.length <= 40, 'bounded number of exchanges');
      }),
      { numRuns: 300 },
    );
  });
});
