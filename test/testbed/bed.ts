/**
 * One test bed per test process: an isolated pcscd, its vpcd slots (two by default, up to 16
 * with `openTestBed({ readers })`), and this process's PC/SC client pointed at it. pcsc-lite's
 * client library reads `PCSCLITE_CSOCK_NAME` once, at the first context, so a process gets
 * exactly one bed.
 */
import { startPcscd, type PcscdInstance, type ReaderNames } from './pcscd.js';
import { VirtualCardSlot, type InsertOptions } from './vpcd-host.js';
import type { VirtualCard } from './virtual-card.js';
import { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';

export interface TestBed {
  readonly pcscd: PcscdInstance;
  /** One slot per virtual reader: slot 0 and slot 1 of the vpcd reader by default. */
  readonly slots: readonly [VirtualCardSlot, VirtualCardSlot, ...VirtualCardSlot[]];
  /** `readerNames[i]` is the reader of `slots[i]`. */
  readonly readerNames: ReaderNames;
  /**
   * Inserts `card` in slot `index` and waits until the daemon reports it present (vpcd takes
   * 0.2-0.4 s), so a command started right after sees the card like a person's would.
   */
  insert(index: number, card: VirtualCard, opts?: InsertOptions): Promise<void>;
  /** Removes the card of slot `index` and waits until the daemon reports the reader empty. */
  eject(index: number): Promise<void>;
  close(): Promise<void>;
}

let current: TestBed | undefined;

export interface TestBedOptions {
  /** Virtual readers served by the one pcscd (even, 2..16; default 2). */
  readers?: number;
}

export async function openTestBed(opts: TestBedOptions = {}): Promise<TestBed> {
  if (current) throw new Error('one test bed per process: pcsc-lite binds its socket path at the first context');
  const pcscd = await startPcscd(opts.readers === undefined ? {} : { readers: opts.readers });
  process.env['PCSCLITE_CSOCK_NAME'] = pcscd.socketPath;
  const slotAt = (i: number): VirtualCardSlot => new VirtualCardSlot(pcscd.port + i);
  const slots: TestBed['slots'] = [slotAt(0), slotAt(1), ...pcscd.readerNames.slice(2).map((_, k) => slotAt(k + 2))];
  const slot = (index: number): VirtualCardSlot => {
    const s = slots[index];
    if (!s) throw new RangeError(`no slot ${index} in this test bed (${slots.length} readers)`);
    return s;
  };
  let watcher: ReaderMonitor | undefined;
  let watcherStarting: Promise<ReaderMonitor> | undefined;
  const freshWatcher = async (): Promise<ReaderMonitor> => {
    await watcher?.stop();
    const w = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 500 } });
    await w.start();
    await w.settled(3000);
    watcher = w;
    return w;
  };
  const waitState = async (index: number, present: boolean): Promise<void> => {
    // Concurrent inserts on several readers share one watcher, started once.
    if (!watcher || !watcher.daemonUp) watcherStarting ??= freshWatcher().finally(() => { watcherStarting = undefined; });
    const w = watcherStarting ? await watcherStarting : watcher;
    if (!w) throw new Error('test bed watcher not started');
    const name = pcscd.readerNames[index];
    // A bound against a hang, not a timing check: on a loaded 2-core machine, pcscd can take
    // seconds to see a removal after a SIGKILLed client held the card (seen in the kill -9 test).
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (w.list().some((r) => r.name === name && r.cardPresent === present)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`reader ${name} still ${present ? 'empty' : 'holds a card'} after 15 s`);
  };
  const bed: TestBed = {
    pcscd,
    slots,
    readerNames: pcscd.readerNames,
    async insert(index, card, insertOpts) {
      await slot(index).insert(card, insertOpts);
      await waitState(index, true);
    },
    async eject(index) {
      await slot(index).remove();
      await waitState(index, false);
    },
    async close() {
      await watcher?.stop();
      await Promise.all(slots.map((s) => s.remove()));
      await pcscd.dispose();
      current = undefined;
    },
  };
  current = bed;
  return bed;
}
