import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import { exchange, expectOk } from '../../../src/main/protocols/iso7816/apdu-exchange.js';
import type { CommandApdu } from '../../../src/main/protocols/iso7816/command-apdu.js';
import { fromHex, hex } from '../../../src/main/protocols/iso7816/hex.js';
import { ApduEncodingError, Iso7816Error } from '../../../src/main/protocols/iso7816/iso7816-error.js';
import { SW } from '../../../src/main/protocols/iso7816/status-words.js';

/** Normalised hex of a hex literal, for comparing scripts with what was sent. */
function norm(text: string): string {
  return hex(fromHex(text), ' ');
}

/**
 * A card that answers a fixed script of `[expected command, response]` pairs, in order, and
 * fails the exchange on any command it did not expect. Records what was sent, and keeps the
 * buffers it was handed so tests can check they were wiped.
 */
class ScriptedChannel implements CardChannel {
  readonly readerName = 'Scripted Reader 00 00';
  readonly atr = fromHex('3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A');
  readonly connected = true;
  readonly sent: string[] = [];
  readonly buffers: Buffer[] = [];
  private readonly script: Array<readonly [string, string]>;

  constructor(script: ReadonlyArray<readonly [string, string]>) {
    this.script = [...script];
  }

  async transmit(apdu: Buffer): Promise<Buffer> {
    const request = hex(apdu, ' ');
    this.sent.push(request);
    this.buffers.push(apdu);
    const step = this.script.shift();
    if (step === undefined) throw new Error(`unscripted command ${request}`);
    assert.equal(request, norm(step[0]), `command #${this.sent.length}`);
    return fromHex(step[1]);
  }

  assertDone(): void {
    assert.deepEqual(this.script, [], 'every scripted command was sent');
  }
}

/** A hostile card: answers every command with the same response, forever. */
class RepeatingChannel implements CardChannel {
  readonly readerName = 'Hostile Reader 00 00';
  readonly atr = fromHex('3B 00');
  readonly connected = true;
  readonly sent: string[] = [];

  constructor(private readonly response: string) {}

  async transmit(apdu: Buffer): Promise<Buffer> {
    this.sent.push(hex(apdu, ' '));
    return fromHex(this.response);
  }
}

function bytes(n: number, fill: number): string {
  return hex(Buffer.alloc(n, fill), ' ');
}

const selectAid: CommandApdu = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: fromHex('A0 00 00 00 04 10 10'), le: 256 };

describe('exchange', () => {
  it('sends one command and returns data and status word', async () => {
    const card = new ScriptedChannel([['00 A4 04 00 07 A0 00 00 00 04 10 10 00', '6F 05 84 03 01 02 03 90 00']]);
    const resp = await exchange(card, selectAid);
    assert.equal(hex(resp.data, ' '), '6F 05 84 03 01 02 03');
    assert.equal(resp.sw, 0x9000);
    assert.equal(resp.ok, true);
    card.assertDone();
  });

  it('61xx: fetches the rest with GET RESPONSE and concatenates (two rounds)', async () => {
    const card = new ScriptedChannel([
      ['00 88 00 00 04 01 02 03 04 00', '61 10'],
      ['00 C0 00 00 10', `${bytes(16, 0xaa)} 61 08`],
      ['00 C0 00 00 08', `${bytes(8, 0xbb)} 90 00`],
    ]);
    const resp = await exchange(card, { cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x00, data: fromHex('01 02 03 04'), le: 256 });
    assert.equal(hex(resp.data, ' '), `${bytes(16, 0xaa)} ${bytes(8, 0xbb)}`);
    assert.equal(resp.sw, SW.NO_ERROR);
    assert.equal(resp.ok, true);
    card.assertDone();
  });

  it('61xx: keeps data that came with the 61xx, asks 256 for 6100, keeps the CLA', async () => {
    const card = new ScriptedChannel([
      ['80 CA 9F 7F 00', `${bytes(4, 0x11)} 61 00`],
      ['80 C0 00 00 00', `${bytes(256, 0x22)} 90 00`],
    ]);
    const resp = await exchange(card, { cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, le: 256 });
    assert.equal(resp.data.length, 260);
    assert.equal(hex(resp.data.subarray(0, 5)), '1111111122');
    card.assertDone();
  });

  it('61xx: the final status word of the chain is returned even when it is not 9000', async () => {
    const card = new ScriptedChannel([
      ['00 B0 00 00 00', '61 02'],
      ['00 C0 00 00 02', 'AB CD 62 82'],
    ]);
    const resp = await exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 });
    assert.equal(hex(resp.data), 'ABCD');
    assert.equal(resp.sw, SW.END_OF_FILE_REACHED);
    assert.equal(resp.ok, false);
    card.assertDone();
  });

  it('6Cxx: re-sends the same command once with Le = xx', async () => {
    const card = new ScriptedChannel([
      ['00 B0 00 00 20', '6C 0A'],
      ['00 B0 00 00 0A', `${bytes(10, 0x5a)} 90 00`],
    ]);
    const resp = await exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 0x20 });
    assert.equal(hex(resp.data, ' '), bytes(10, 0x5a));
    assert.equal(resp.ok, true);
    card.assertDone();
  });

  it('6C00 means Le = 256; a corrected command may still chain with 61xx', async () => {
    const card = new ScriptedChannel([
      ['00 CA 01 00 10', '6C 00'],
      ['00 CA 01 00 00', `${bytes(200, 0x01)} 61 38`],
      ['00 C0 00 00 38', `${bytes(56, 0x02)} 90 00`],
    ]);
    const resp = await exchange(card, { cla: 0x00, ins: 0xca, p1: 0x01, p2: 0x00, le: 0x10 });
    assert.equal(resp.data.length, 256);
    assert.equal(resp.ok, true);
    card.assertDone();
  });

  it('6Cxx twice is an error carrying the status word', async () => {
    const card = new ScriptedChannel([
      ['00 B0 00 00 20', '6C 0A'],
      ['00 B0 00 00 0A', '6C 05'],
    ]);
    await assert.rejects(
      exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 0x20 }),
      (e: unknown) => e instanceof Iso7816Error && e.code === 'wrong_le_repeated' && e.sw === 0x6c05 && e.ins === 0xb0,
    );
    card.assertDone();
  });

  it('endless 61xx: stops after maxGetResponse (default 32) GET RESPONSE commands', async () => {
    const card = new RepeatingChannel('00 61 01');
    await assert.rejects(
      exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 }),
      (e: unknown) => e instanceof Iso7816Error && e.code === 'too_many_get_response' && e.sw === 0x6101 && /SW=6101/.test(e.message),
    );
    assert.equal(card.sent.length, 1 + 32);
    assert.ok(card.sent.slice(1).every((c) => c === '00 C0 00 00 01'));
  });

  it('endless 61xx: honours a smaller bound, and 0 refuses any chaining', async () => {
    const card = new RepeatingChannel('61 FF');
    await assert.rejects(
      exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 }, { maxGetResponse: 2 }),
      (e: unknown) => e instanceof Iso7816Error && e.code === 'too_many_get_response',
    );
    assert.equal(card.sent.length, 3);
    const strict = new RepeatingChannel('61 FF');
    await assert.rejects(
      exchange(strict, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 }, { maxGetResponse: 0 }),
      (e: unknown) => e instanceof Iso7816Error && e.code === 'too_many_get_response',
    );
    assert.equal(strict.sent.length, 1);
    await assert.rejects(exchange(strict, selectAid, { maxGetResponse: -1 }), RangeError);
  });

  it('returns error status words instead of throwing', async () => {
    const card = new ScriptedChannel([['00 A4 04 00 07 A0 00 00 00 04 10 10 00', '6A 82']]);
    const resp = await exchange(card, selectAid);
    assert.equal(resp.sw, SW.FILE_NOT_FOUND);
    assert.equal(resp.ok, false);
    assert.equal(resp.data.length, 0);
    card.assertDone();
  });

  it('chooses extended length fields automatically when Nc or Ne needs them', async () => {
    const data = Buffer.alloc(300, 0x42);
    const card = new ScriptedChannel([
      [`00 D6 00 00 00 01 2C ${hex(data)}`, '90 00'],
      ['00 B0 00 00 00 03 E8', `${bytes(1000, 0x33)} 90 00`],
      ['00 B0 00 00 FF', `${bytes(255, 0x33)} 90 00`],
    ]);
    assert.equal((await exchange(card, { cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data })).ok, true);
    assert.equal((await exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 1000 })).data.length, 1000);
    assert.equal((await exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 255 })).data.length, 255);
    card.assertDone();
  });

  it('forced extended fields still send GET RESPONSE with a short Le', async () => {
    const card = new ScriptedChannel([
      ['00 B0 00 00 00 00 10', '61 04'],
      ['00 C0 00 00 04', '01 02 03 04 90 00'],
    ]);
    const resp = await exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 16 }, { extended: 'always' });
    assert.equal(hex(resp.data), '01020304');
    card.assertDone();
  });

  it('refuses to send a command that needs extended fields under "never"', async () => {
    const card = new ScriptedChannel([]);
    await assert.rejects(
      exchange(card, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 1000 }, { extended: 'never' }),
      ApduEncodingError,
    );
    assert.equal(card.sent.length, 0);
  });

  it('a response without a status word is malformed_response', async () => {
    const card = new ScriptedChannel([['00 A4 04 00 07 A0 00 00 00 04 10 10 00', '90']]);
    await assert.rejects(exchange(card, selectAid), (e: unknown) => e instanceof Iso7816Error && e.code === 'malformed_response');
  });

  it('wipes the encoded command once sent (VERIFY carries the PIN)', async () => {
    const card = new ScriptedChannel([['00 20 00 01 08 31 32 33 34 FF FF FF FF', '63 C2']]);
    const resp = await exchange(card, { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x01, data: fromHex('31 32 33 34 FF FF FF FF') });
    assert.equal(resp.sw, 0x63c2);
    assert.equal(card.buffers.length, 1);
    assert.ok(card.buffers.every((b) => b.every((x) => x === 0)), 'sent buffer is zeroed');
  });

  it('lets transport errors through unchanged, and still wipes the command', async () => {
    const failure = new Error('card pulled');
    const sentBuffers: Buffer[] = [];
    const card: CardChannel = {
      readerName: 'Failing Reader 00 00',
      atr: fromHex('3B 00'),
      connected: false,
      transmit: async (apdu: Buffer) => {
        sentBuffers.push(apdu);
        throw failure;
      },
    };
    await assert.rejects(exchange(card, { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x01, data: fromHex('31 32 33 34') }), (e: unknown) => e === failure);
    assert.equal(sentBuffers.length, 1);
    assert.ok(sentBuffers[0]?.every((x) => x === 0));
  });
});

describe('expectOk', () => {
  const verify: CommandApdu = { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x01, data: fromHex('31 32 33 34 FF FF FF FF') };

  it('returns a 9000 response as it is', async () => {
    const card = new ScriptedChannel([['00 20 00 01 08 31 32 33 34 FF FF FF FF', '90 00']]);
    const resp = await exchange(card, verify);
    assert.equal(expectOk(resp, verify), resp);
  });

  it('throws status_word with SW and INS, never the PIN', async () => {
    const card = new ScriptedChannel([['00 20 00 01 08 31 32 33 34 FF FF FF FF', '63 C2']]);
    const resp = await exchange(card, verify);
    assert.throws(
      () => expectOk(resp, verify),
      (e: unknown) =>
        e instanceof Iso7816Error &&
        e.code === 'status_word' &&
        e.sw === 0x63c2 &&
        e.ins === 0x20 &&
        e.message.includes('SW=63C2') &&
        !e.message.includes('1234') &&
        !e.message.includes('31323334') &&
        !e.message.includes('31 32 33 34'),
    );
  });

  it('treats warnings as failures too (only 9000 is ok)', () => {
    assert.throws(
      () => expectOk({ data: Buffer.alloc(0), sw: 0x6282, sw1: 0x62, sw2: 0x82, ok: false }, { cla: 0, ins: 0xb0, p1: 0, p2: 0 }),
      (e: unknown) => e instanceof Iso7816Error && e.code === 'status_word' && e.sw === 0x6282 && /SW=6282/.test(e.message),
    );
  });
});
