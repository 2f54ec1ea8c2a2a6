/**
 * Reader monitor and card channel through the real pcscd + vpcd daemon and the real addon.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';
import { ReaderMonitor, type ReaderEvent } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';

/** Answers every APDU with its own bytes followed by 9000, so round trips are checkable. */
class EchoCard implements VirtualCard {
  readonly atr = Buffer.from('3B8F800180318065B0850300EF120FFF82900073', 'hex');
  powerOn(): void {}
  powerOff(): void {}
  reset(): void {}
  processApdu(apdu: Buffer): Buffer {
    return Buffer.concat([apdu, Buffer.from([0x90, 0x00])]);
  }
}

function nextEvent(monitor: ReaderMonitor, match: (e: ReaderEvent) => boolean, timeoutMs = 5000): Promise<ReaderEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error('timed out waiting for a reader event')); }, timeoutMs);
    const off = monitor.on((e) => {
      if (match(e)) { clearTimeout(timer); off(); resolve(e); }
    });
  });
}

describe('reader monitor through the real pcscd', () => {
  let bed: TestBed;
  let monitor: ReaderMonitor;

  before(async () => {
    bed = await openTestBed();
    monitor = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } });
    await monitor.start();
    await monitor.settled(3000);
  });

  after(async () => {
    await monitor.stop();
    await bed.close();
  });

  it('lists both vpcd readers with no card', () => {
    const list = monitor.list();
    assert.deepEqual(list.map((r) => r.name).sort(), [...bed.readerNames].sort());
    assert.ok(list.every((r) => !r.cardPresent));
  });

  it('reports insertion with the ATR, a working exclusive channel, then removal', async () => {
    const inserted = nextEvent(monitor, (e) => e.type === 'card-inserted');
    await bed.slots[1].insert(new EchoCard());
    const ev = await inserted;
    assert.equal(ev.type, 'card-inserted');
    if (ev.type !== 'card-inserted') return;
    assert.equal(ev.reader, bed.readerNames[1]);
    assert.equal(ev.atr.toString('hex'), '3b8f800180318065b0850300ef120fff82900073');

    const answer = await monitor.withCard(bed.readerNames[1], (ch) => ch.transmit(Buffer.from('00A4040002AABB', 'hex')));
    assert.equal(answer.toString('hex'), '00a4040002aabb9000');

    const removed = nextEvent(monitor, (e) => e.type === 'card-removed');
    await bed.slots[1].remove();
    assert.deepEqual(await removed, { type: 'card-removed', reader: bed.readerNames[1] });
    assert.equal(monitor.list().find((r) => r.name === bed.readerNames[1])?.cardPresent, false);
  });

  it('turns a card pulled in the middle of a command into card_removed, and keeps running', async () => {
    const inserted = nextEvent(monitor, (e) => e.type === 'card-inserted');
    await bed.slots[0].insert(new EchoCard(), { beforeApdu: (_a, i) => (i === 2 ? 'pull' : undefined) });
    await inserted;
    const err = await monitor.withCard(bed.readerNames[0], async (ch) => {
      await ch.transmit(Buffer.from('00B0000010', 'hex'));
      await ch.transmit(Buffer.from('00B0001010', 'hex'));
      await ch.transmit(Buffer.from('00B0002010', 'hex'));
      return undefined;
    }).catch((e: unknown) => e);
    assert.ok(err instanceof PcscError, `expected a PcscError, got ${String(err)}`);
    assert.equal(err.code, 'card_removed');
    await monitor.waitForCard(bed.readerNames[0], 10).then(
      () => assert.fail('the pulled card is still reported present'),
      (e: unknown) => assert.equal((e as PcscError).code, 'no_card'),
    );
  });

  it('refuses a connection to an empty reader or an unknown one with typed errors', async () => {
    await assert.rejects(monitor.connect(bed.readerNames[0]), (e: unknown) => e instanceof PcscError && e.code === 'no_card');
    await assert.rejects(monitor.connect('No Such Reader 00 00'), (e: unknown) => e instanceof PcscError && e.code === 'reader_unavailable');
  });

  it('a card pulled right after an operation, while its release reset may still run, leaves the reader usable', async () => {
    for (let i = 0; i < 10; i++) {
      await bed.slots[1].insert(new EchoCard());
      await monitor.waitForCard(bed.readerNames[1], 5000);
      await monitor.withCard(bed.readerNames[1], (ch) => ch.transmit(Buffer.from('00B0000001', 'hex')));
      const removed = nextEvent(monitor, (e) => e.type === 'card-removed' && e.reader === bed.readerNames[1]);
      await bed.slots[1].remove(); // while the reset of the release may still be pending
      await removed;
    }
    await bed.slots[1].insert(new EchoCard());
    await monitor.waitForCard(bed.readerNames[1], 5000);
    const answer = await Promise.race([
      monitor.withCard(bed.readerNames[1], (ch) => ch.transmit(Buffer.from('00CA000000', 'hex'))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the reader stayed blocked')), 8000)),
    ]);
    assert.equal(answer.toString('hex'), '00ca0000009000');
    await bed.slots[1].remove();
  });

  it('survives pcscd being killed and restarted: down, removals, then up with readers and cards again', async () => {
    await bed.slots[0].insert(new EchoCard());
    await monitor.waitForCard(bed.readerNames[0], 5000);
    const events: ReaderEvent[] = [];
    const off = monitor.on((e) => events.push(e));
    const down = nextEvent(monitor, (e) => e.type === 'daemon-down');
    await bed.pcscd.stop({ crash: true });
    const d = await down;
    assert.equal(d.type === 'daemon-down' && d.error.code, 'daemon_unavailable');
    assert.ok(events.some((e) => e.type === 'card-removed' && e.reader === bed.readerNames[0]));
    assert.ok(events.some((e) => e.type === 'reader-removed'));
    assert.equal(monitor.daemonUp, false);
    await assert.rejects(monitor.connect(bed.readerNames[0]), (e: unknown) => e instanceof PcscError && e.code === 'daemon_unavailable');

    const up = nextEvent(monitor, (e) => e.type === 'daemon-up', 10000);
    await bed.slots[0].remove();
    await bed.pcscd.start();
    await up;
    const cardBack = nextEvent(monitor, (e) => e.type === 'card-inserted', 10000);
    await bed.slots[0].insert(new EchoCard());
    await cardBack;
    const answer = await monitor.withCard(bed.readerNames[0], (ch) => ch.transmit(Buffer.from('0001020300', 'hex')));
    assert.equal(answer.toString('hex'), '00010203009000');
    off();
    await bed.slots[0].remove();
  });
});
