/**
 * Hostile cards through the real test bed (isolated pcscd + vpcd, `test/testbed/bed.ts`): a
 * card that answers slowly, one that chains 61xx forever, one that lies about lengths, one
 * that answers random status words. Each ends in a typed error with its code, bounded by the
 * transport timeout or a protocol limit, and the reader stays usable afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cpsLogin } from '../../src/main/means/cps/cps-login.js';
import { CpsError, type CpsErrorCode } from '../../src/main/means/cps/cps-error.js';
import { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { readAuthenticationCertificate } from '../../src/main/protocols/iasecc/cps-commands.js';
import { IasEccError } from '../../src/main/protocols/iasecc/iasecc-error.js';
import { DEFAULT_MAX_GET_RESPONSE, exchange, Iso7816Error, parseTlv } from '../../src/main/protocols/iso7816/index.js';
import { CMD, DEFAULT_MAX_FRAMES, DesfireError, exchangeNative } from '../../src/main/protocols/desfire/index.js';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../../src/main/transports/pcsc/pcsc-card-channel.js';
import { PcscError } from '../../src/main/transports/pcsc/pcsc-error.js';
import { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';
import { openCtapDevice } from '../../src/main/transports/ctap/open-ctap-device.js';
import { CtapTransportError } from '../../src/main/transports/ctap/ctap-error.js';
import { openTestBed, type TestBed } from '../testbed/bed.js';
import { getSharedTestPki } from '../testbed/pki/test-pki.js';
import type { VirtualCard } from '../testbed/virtual-card.js';
import { seedFor } from '../fuzz/harness.js';

type Answer = (apdu: Buffer) => Buffer | Promise<Buffer>;

/** A card whose every answer is decided by the test (changed between cases without re-inserting it). */
class HostileCard implements VirtualCard {
  readonly atr = Buffer.from('3BAC00402A001225006480000310009000', 'hex');
  answer: Answer = () => Buffer.from('9000', 'hex');
  powerOn(): void {}
  powerOff(): void {}
  reset(): void {}
  processApdu(apdu: Buffer): Buffer | Promise<Buffer> {
    return this.answer(apdu);
  }
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const READ = { cla: 0x00, ins: 0xb0, p1: 0, p2: 0, le: 256 } as const;

describe('hostile cards through the real pcscd', () => {
  let bed: TestBed;
  let monitor: ReaderMonitor;
  let reader: string;
  const card = new HostileCard();

  before(async () => {
    bed = await openTestBed();
    monitor = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } });
    await monitor.start();
    await monitor.settled(3000);
    reader = bed.readerNames[0];
    await bed.insert(0, card);
  });

  after(async () => {
    await monitor.stop();
    await bed.close();
  });

  it('answers slower than the transport timeout: PcscError timeout, the channel refuses further commands, the reader serves the next connection', async () => {
    card.answer = () => new Promise((resolve) => setTimeout(() => resolve(hex('9000')), 1500));
    await monitor.withCard(reader, async (channel) => {
      // every production channel is bounded by default (a silent card used to hold the login forever)
      assert.equal(channel.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS);
      assert.ok(DEFAULT_COMMAND_TIMEOUT_MS > 0);
      channel.commandTimeoutMs = 200;
      await assert.rejects(exchange(channel, READ), (e: unknown) => e instanceof PcscError && e.code === 'timeout');
      await assert.rejects(channel.transmit(hex('00B0000000')), (e: unknown) => e instanceof PcscError && e.code === 'timeout');
    });
    card.answer = () => hex('CAFE 9000');
    const again = await monitor.withCard(reader, (channel) => exchange(channel, READ));
    assert.deepEqual(again.data, hex('CAFE'));
  });

  it('chains 61xx forever: too_many_get_response after the bounded number of GET RESPONSE', async () => {
    const before = bed.slots[0].apduLog.length;
    card.answer = (apdu) => (apdu[1] === 0xc0 ? Buffer.concat([Buffer.alloc(16, 0x61), hex('6110')]) : hex('6110'));
    await monitor.withCard(reader, async (channel) => {
      await assert.rejects(exchange(channel, READ), (e: unknown) => e instanceof Iso7816Error && e.code === 'too_many_get_response' && e.sw === 0x6110);
    });
    assert.equal(bed.slots[0].apduLog.length - before, 1 + DEFAULT_MAX_GET_RESPONSE, 'commands sent for one exchange');
  });

  it('answers 91AF forever to a DESFire command: chaining_limit after the bounded number of frames', async () => {
    const before = bed.slots[0].apduLog.length;
    card.answer = () => Buffer.concat([Buffer.alloc(8, 0x55), hex('91AF')]);
    await monitor.withCard(reader, async (channel) => {
      await assert.rejects(exchangeNative(channel, CMD.GET_VERSION, Buffer.alloc(0)), (e: unknown) => e instanceof DesfireError && e.code === 'chaining_limit');
    });
    assert.equal(bed.slots[0].apduLog.length - before, DEFAULT_MAX_FRAMES, 'frames exchanged for one command');
  });

  it('lies about lengths: more data than Le, a certificate announcing 60,000 bytes, a certificate cut short, a TLV length past its buffer', async () => {
    // READ BINARY answers Le + 10 bytes
    card.answer = (apdu) => (apdu[1] === 0xb0 ? Buffer.concat([hex('3082 0100'), Buffer.alloc((apdu[4] || 256) + 6, 1), hex('9000')]) : hex('9000'));
    await monitor.withCard(reader, async (channel) => {
      await assert.rejects(readAuthenticationCertificate(channel), (e: unknown) => e instanceof IasEccError && e.code === 'card_data_invalid' && /for Le=/.test(e.message));
    });
    // DER header announcing 60,000 bytes
    card.answer = (apdu) => (apdu[1] === 0xb0 ? hex('3082EA60 0102 9000') : hex('9000'));
    await monitor.withCard(reader, async (channel) => {
      await assert.rejects(readAuthenticationCertificate(channel), (e: unknown) => e instanceof IasEccError && e.code === 'card_data_invalid' && /60004 bytes/.test(e.message));
    });
    // announces 1,000 bytes, the file ends after 8 (6282 end of file)
    card.answer = (apdu) => (apdu[1] === 0xb0 ? (apdu[3] === 0 ? hex('308203E8 01020304 9000') : hex('6282')) : hex('9000'));
    const pki = await getSharedTestPki();
    const trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    await monitor.withCard(reader, async (channel) => {
      await assert.rejects(
        cpsLogin(channel, { trust, pin: async () => Buffer.from('1234') }),
        (e: unknown) => e instanceof CpsError && e.code === 'card_data_invalid' && /ends after/.test(e.message),
      );
    });
    // a SELECT whose FCP template claims 0x20 bytes and holds 3
    card.answer = () => hex('6220 820138 9000');
    const fcp = await monitor.withCard(reader, (channel) => exchange(channel, { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: hex('A000000001'), le: 256 }));
    assert.throws(() => parseTlv(fcp.data), (e: unknown) => e instanceof Iso7816Error && e.code === 'tlv_too_long');
  });

  it('CTAP over NFC: status updates (9100) forever → timeout at the budget; an answer chained past 64 KiB → invalid_frame', async () => {
    /** Answers SELECT of the FIDO AID like a key, then `afterSelect` for every CTAP APDU. */
    const fidoCard = (afterSelect: Answer): Answer => (apdu) => (apdu[1] === 0xa4 ? Buffer.concat([Buffer.from('FIDO_2_0'), hex('9000')]) : afterSelect(apdu));
    card.answer = fidoCard(() => hex('01 9100'));
    const keepalive = await openCtapDevice(`pcsc:${reader}`, { monitor });
    try {
      let updates = 0;
      await assert.rejects(keepalive.cbor(Buffer.from([0x04]), { timeoutMs: 300, onKeepalive: () => (updates += 1) }), (e: unknown) => e instanceof CtapTransportError && e.code === 'timeout');
      assert.ok(updates > 1, `${updates} status updates surfaced`);
    } finally {
      await keepalive.close();
    }
    card.answer = fidoCard(() => Buffer.concat([Buffer.alloc(255, 0x42), hex('6100')]));
    const chained = await openCtapDevice(`pcsc:${reader}`, { monitor });
    try {
      await assert.rejects(chained.cbor(Buffer.from([0x04]), { timeoutMs: 20_000 }), (e: unknown) => e instanceof CtapTransportError && e.code === 'invalid_frame');
    } finally {
      await chained.close();
    }
  });

  it('random status words and data on every command: a CPS login ends in a CpsError with a card code, never anything else', async () => {
    const pki = await getSharedTestPki();
    const trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    const allowed: readonly CpsErrorCode[] = ['unsupported_card', 'card_data_invalid', 'card_error', 'untrusted_certificate', 'wrong_pin', 'pin_blocked', 'bad_signature'];
    const answer = fc.tuple(fc.uint8Array({ maxLength: 24 }), fc.oneof(fc.constantFrom(0x9000, 0x6282, 0x6a82, 0x6982, 0x63c2, 0x63c0, 0x6983, 0x6100, 0x6c10, 0x6f00, 0x6d00), fc.integer({ min: 0, max: 0xffff })));
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 12 }), async (script) => {
        let i = 0;
        card.answer = () => {
          const [data, sw] = script[i % script.length] ?? [new Uint8Array(0), 0x6f00];
          i += 1;
          return Buffer.concat([data, Buffer.from([sw >> 8, sw & 0xff])]);
        };
        await monitor.withCard(reader, async (channel) => {
          await assert.rejects(cpsLogin(channel, { trust, pin: async () => Buffer.from('1234') }), (e: unknown) => {
            assert.ok(e instanceof CpsError, `not a CpsError: ${String(e)}`);
            assert.ok(allowed.includes(e.code), `${e.code}: ${e.message}`);
            return true;
          });
        });
      }),
      { numRuns: 25, seed: seedFor('hostile-card-random-sw') },
    );
  });
});
