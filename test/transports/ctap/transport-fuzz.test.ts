/**
 * Hostile devices: random CTAPHID reports on the host's channel and random APDU answers from a
 * card. The transports must settle every request with an answer or a typed transport error
 * (never a crash, a raw exception or a hang) and stay bounded in what they collect.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CtapHidTransport, type HidReportDevice } from '../../../src/main/transports/ctap/ctaphid-transport.js';
import { CtapNfcTransport } from '../../../src/main/transports/ctap/ctap-nfc-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import { encodeMessage, CTAPHID_CMD } from '../../../src/main/transports/ctap/ctaphid-frames.js';
import type { CardChannel } from '../../../src/main/transports/card-channel.js';

const CID = 0x0badcafe;

/** Answers INIT properly, then plays `script` (raw 64-byte reports, our CID patched in) after each request. */
class HostileHidDevice implements HidReportDevice {
  private readonly cbs = new Set<(r: Buffer) => void>();
  constructor(private readonly script: Buffer[]) {}
  async write(report: Buffer): Promise<void> {
    const r = Buffer.from(report);
    setImmediate(() => {
      if (r.readUInt32BE(0) === 0xffffffff && r[4] === 0x86) {
        for (const p of encodeMessage(0xffffffff, CTAPHID_CMD.INIT, Buffer.concat([r.subarray(7, 15), Buffer.from('0badcafe020100000d', 'hex')]))) this.emit(p);
        return;
      }
      if (r[4] === 0x90) for (const p of this.script) this.emit(p);
    });
  }
  private emit(r: Buffer): void {
    for (const cb of [...this.cbs]) cb(r);
  }
  onReport(cb: (r: Buffer) => void): () => void {
    this.cbs.add(cb);
    return () => this.cbs.delete(cb);
  }
  async close(): Promise<void> {}
}

const report = fc
  .tuple(fc.boolean(), fc.uint8Array({ minLength: 60, maxLength: 60 }))
  .map(([ours, rest]) => {
    const r = Buffer.alloc(64);
    r.writeUInt32BE(ours ? CID : 0x12345678, 0);
    Buffer.from(rest).copy(r, 4);
    return r;
  });

function acceptable(e: unknown): boolean {
  return e instanceof CtapTransportError;
}

describe('transports against hostile devices', () => {
  it('CTAPHID: random reports on our channel → an answer or a typed error, within the budget', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(report, { maxLength: 40 }), async (script) => {
        const t = await CtapHidTransport.open(new HostileHidDevice(script), { uri: 'hid:hostile', cancelDrainMs: 5 });
        try {
          const answer = await t.cbor(Buffer.from([0x04]), { timeoutMs: 30 });
          assert.ok(answer.length >= 1 && answer.length <= 7609);
        } catch (e) {
          assert.ok(acceptable(e), `untyped: ${String(e)}`);
        } finally {
          await t.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('NFC: random status words and data → an answer or a typed error, bounded', async () => {
    const sw = fc.oneof(
      fc.constantFrom(0x9000, 0x9100, 0x6100, 0x6110, 0x61ff, 0x6a82, 0x6700, 0x6985),
      fc.integer({ min: 0, max: 0xffff }),
    );
    const answer = fc.tuple(fc.uint8Array({ maxLength: 300 }), sw).map(([d, w]) => {
      const b = Buffer.alloc(d.length + 2);
      Buffer.from(d).copy(b);
      b.writeUInt16BE(w, d.length);
      return b;
    });
    const raw = fc.oneof(answer, fc.uint8Array({ maxLength: 3 }).map((u) => Buffer.from(u)));
    await fc.assert(
      fc.asyncProperty(fc.array(raw, { minLength: 1, maxLength: 30 }), fc.boolean(), async (answers, extended) => {
        let i = 0;
        const channel: CardChannel = {
          readerName: 'Hostile 00 00',
          atr: Buffer.from('3b00', 'hex'),
          connected: true,
          async transmit(apdu: Buffer): Promise<Buffer> {
            if (apdu[1] === 0xa4) return Buffer.concat([Buffer.from('FIDO_2_0'), Buffer.from([0x90, 0x00])]);
            const a = answers[i % answers.length] ?? Buffer.from([0x6f, 0x00]);
            i++;
            return a;
          },
        };
        const t = await CtapNfcTransport.open(channel, { extendedLength: extended });
        try {
          const out = await t.cbor(Buffer.alloc(600, 1), { timeoutMs: 50 });
          assert.ok(out.length >= 1 && out.length <= 0x10000);
        } catch (e) {
          assert.ok(acceptable(e), `untyped: ${String(e)}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('NFC: random answers to SELECT → opened or nfc_select_failed / invalid_frame', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), async (bytes) => {
        const channel: CardChannel = {
          readerName: 'Hostile 00 00',
          atr: Buffer.alloc(0),
          connected: true,
          transmit: async () => Buffer.from(bytes),
        };
        try {
          const t = await CtapNfcTransport.open(channel);
          assert.match(t.version, /^(FIDO_2_0|U2F_V2|FIDO_2_1[A-Z_]*)$/);
        } catch (e) {
          assert.ok(e instanceof CtapTransportError && ['nfc_select_failed', 'invalid_frame'].includes(e.code), String(e));
        }
      }),
      { numRuns: 200 },
    );
  });
});
