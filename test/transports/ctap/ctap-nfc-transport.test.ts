/**
 * CTAP over PC/SC through the real pcscd + vpcd and the real addon: the NFC FIDO card harness in
 * a vpcd slot, the host transport over `ReaderMonitor` connections.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';
import { NfcFidoCard } from '../../testbed/fido/nfc-fido-card.js';
import type { CtapCborHandler } from '../../testbed/fido/ctaphid-device.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { CtapNfcTransport } from '../../../src/main/transports/ctap/ctap-nfc-transport.js';
import { openCtapDevice } from '../../../src/main/transports/ctap/open-ctap-device.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import type { CtapKeepaliveStatus } from '../../../src/main/transports/ctap/ctap-transport.js';

const echo: CtapCborHandler = async (request) => Buffer.concat([Buffer.from([0x00]), request]);

function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + n) & 0xff;
  return b;
}

class NotFidoCard implements VirtualCard {
  readonly atr = Buffer.from('3B8F800180318065B0850300EF120FFF82900073', 'hex');
  powerOn(): void {}
  powerOff(): void {}
  reset(): void {}
  processApdu(): Buffer {
    return Buffer.from([0x6a, 0x82]);
  }
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof CtapTransportError && e.code === code;

describe('CTAP over PC/SC through the real pcscd', () => {
  let bed: TestBed;
  let monitor: ReaderMonitor;
  let reader: string;

  before(async () => {
    bed = await openTestBed();
    monitor = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } });
    await monitor.start();
    await monitor.settled(3000);
    reader = bed.readerNames[0];
  });

  after(async () => {
    await monitor.stop();
    await bed.close();
  });

  it('short APDUs: chained requests (CLA 90) and GET RESPONSE answers, up to 7609 bytes', async () => {
    const card = new NfcFidoCard({ handler: echo, extendedLength: false });
    await bed.insert(0, card);
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    try {
      const t = await openCtapDevice(`pcsc:${reader}`, { monitor });
      try {
        assert.ok(t instanceof CtapNfcTransport);
        assert.equal(t.version, 'FIDO_2_0');
        for (const size of [1, 254, 255, 256, 600, 7609]) {
          const req = payload(size);
          assert.deepEqual(await t.cbor(req), Buffer.concat([Buffer.from([0]), req]), `size ${size}`);
        }
        const chained = card.log.filter((a) => a[0] === 0x90 && a[1] === 0x10);
        assert.ok(chained.length >= 30, 'long requests went out as chains of CLA 90 blocks');
        assert.ok(chained.every((a) => a.length === 5 + 255), 'every chained block is a full 255-byte short APDU');
        assert.ok(card.log.some((a) => a[0] === 0x00 && a[1] === 0xc0), 'long answers fetched with GET RESPONSE');
        assert.ok(card.log.every((a) => !(a[4] === 0 && a.length > 5)), 'no extended APDU sent');
      } finally {
        await t.close();
      }
      // close released the exclusive connection: the reader can be used again.
      const again = await openCtapDevice(`pcsc:${reader}`, { monitor });
      await again.close();
    } finally {
      await bed.eject(0);
    }
  });

  it('without a monitor, openCtapDevice runs its own and stops it on close', async () => {
    await bed.insert(0, new NfcFidoCard({ handler: echo }));
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    try {
      const t = await openCtapDevice(`pcsc:${reader}`);
      try {
        assert.deepEqual(await t.cbor(Buffer.from([0x04])), Buffer.from([0x00, 0x04]));
      } finally {
        await t.close();
      }
      await monitor.withCard(reader, async () => undefined); // released
    } finally {
      await bed.eject(0);
    }
  });

  it('extended-length APDUs: one APDU each way', async () => {
    const card = new NfcFidoCard({ handler: echo });
    await bed.insert(0, card);
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    try {
      await monitor.withCard(reader, async (channel) => {
        const t = await CtapNfcTransport.open(channel, { extendedLength: true });
        const req = payload(3000);
        const before = card.log.length;
        assert.deepEqual(await t.cbor(req), Buffer.concat([Buffer.from([0]), req]));
        const sent = card.log.slice(before);
        assert.equal(sent.length, 1);
        assert.equal(sent[0]?.subarray(0, 7).toString('hex'), '801080' + '00' + '00' + '0bb8');
      });
    } finally {
      await bed.eject(0);
    }
  });

  it('status updates (9100) become keepalive events until the answer', async () => {
    const slow: CtapCborHandler = async (request, ctx) => {
      await new Promise((r) => setTimeout(r, 120));
      ctx.keepalive('user-presence-needed');
      await new Promise((r) => setTimeout(r, 200));
      return echo(request, ctx);
    };
    await bed.insert(0, new NfcFidoCard({ handler: slow, pollWindowMs: 50 }));
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    try {
      const t = await openCtapDevice(`pcsc:${reader}`, { monitor });
      try {
        const seen: CtapKeepaliveStatus[] = [];
        assert.deepEqual(await t.cbor(Buffer.from([0x02, 0xa0]), { onKeepalive: (s) => seen.push(s) }), Buffer.from([0x00, 0x02, 0xa0]));
        assert.ok(seen.includes('processing'), seen.join(','));
        assert.ok(seen.includes('user-presence-needed'), seen.join(','));
      } finally {
        await t.close();
      }
    } finally {
      await bed.eject(0);
    }
  });

  it('abort while polling: cancelled; the next request re-selects the applet, which ends the abandoned one', async () => {
    let abandonedSawAbort = false;
    const card = new NfcFidoCard({
      handler: (r, ctx) => r[0] === 0x04
        ? echo(r, ctx)
        : new Promise((_res, rej) => ctx.signal.addEventListener('abort', () => { abandonedSawAbort = true; rej(new Error('x')); })),
      pollWindowMs: 30,
    });
    await bed.insert(0, card);
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    try {
      const t = await openCtapDevice(`pcsc:${reader}`, { monitor });
      try {
        const ac = new AbortController();
        await assert.rejects(t.cbor(Buffer.from([0x01]), { signal: ac.signal, onKeepalive: () => ac.abort() }), isCode('cancelled'));
        const before = card.log.length;
        assert.deepEqual(await t.cbor(Buffer.from([0x04])), Buffer.from([0x00, 0x04]));
        assert.equal(card.log[before]?.subarray(0, 4).toString('hex'), '00a40400', 'SELECT first');
        assert.equal(abandonedSawAbort, true);
      } finally {
        await t.close();
      }
    } finally {
      await bed.eject(0);
    }
  });

  it('key pulled mid-message (between chained blocks): device_removed', async () => {
    await bed.insert(0, new NfcFidoCard({ handler: echo, extendedLength: false }), {
      beforeApdu: (apdu) => (apdu[0] === 0x80 && apdu[1] === 0x10 ? 'pull' : undefined),
    });
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    const t = await openCtapDevice(`pcsc:${reader}`, { monitor });
    try {
      await assert.rejects(t.cbor(payload(600)), isCode('device_removed'));
      await assert.rejects(t.cbor(payload(10)), isCode('device_removed'));
    } finally {
      await t.close();
      await bed.eject(0);
    }
  });

  it('a card without the FIDO applet: nfc_select_failed with the status word', async () => {
    await bed.insert(0, new NotFidoCard());
    // The test's monitor can lag the bed's own watcher by a status round (more under load).
    await monitor.waitForCard(reader, 15_000);
    try {
      await assert.rejects(openCtapDevice(`pcsc:${reader}`, { monitor }), (e: unknown) => isCode('nfc_select_failed')(e) && (e as CtapTransportError).sw === 0x6a82);
      // The failed open released the reader.
      await monitor.withCard(reader, async () => undefined);
    } finally {
      await bed.eject(0);
    }
  });

  it('empty reader or unknown reader: device_not_found', async () => {
    await assert.rejects(openCtapDevice(`pcsc:${reader}`, { monitor }), isCode('device_not_found'));
    await assert.rejects(openCtapDevice('pcsc:No Such Reader 99', { monitor }), isCode('device_not_found'));
  });
});
