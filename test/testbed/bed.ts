/**
 * One test bed per test process: an isolated pcscd, its two vpcd slots, and this process's
 * PC/SC client pointed at it. pcsc-lite's client library reads `PCSCLITE_CSOCK_NAME` once, at
 * the first context, so a process gets exactly one bed.
 */
import { startPcscd, type PcscdInstance } from './pcscd.js';
import { VirtualCardSlot, type InsertOptions } from './vpcd-host.js';
import type { VirtualCard } from './virtual-card.js';
import { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';

export interface TestBed {
  readonly pcscd: PcscdInstance;
  /** Slot 0 and slot 1 of the vpcd reader. */
  readonly slots: readonly [VirtualCardSlot, VirtualCardSlot];
  readonly readerNames: readonly [string, string];
  /**
   * Inserts `card` in slot `index` and waits until the daemon reports it present (vpcd takes
   * 0.2-0.4 s), so a command started right after sees the card like a person's would.
   */
  insert(index: 0 | 1, card: VirtualCard, opts?: InsertOptions): Promise<void>;
  /** Removes the card of slot `index` and waits until the daemon reports the reader empty. */
  eject(index: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

let current: TestBed | undefined;

export async function openTestBed(): Promise<TestBed> {
  if (current) throw new Error('one test bed per process: pcsc-lite binds its socket path at the first context');
  const pcscd = await startPcscd();
  process.env['PCSCLITE_CSOCK_NAME'] = pcscd.socketPath;
  const slots = [new VirtualCardSlot(pcscd.port), new VirtualCardSlot(pcscd.port + 1)] as const;
  let watcher: ReaderMonitor | undefined;
  const waitState = async (index: 0 | 1, present: boolean): Promise<void> => {
    if (!watcher || !watcher.daemonUp) {
      await watcher?.stop();
      watcher = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 500 } });
      await watcher.start();
      await watcher.settled(3000);
    }
    const name = pcscd.readerNames[index];
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (watcher.list().some((r) => r.name === name && r.cardPresent === present)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`reader ${name} still ${present ? 'empty' : 'holds a card'} after 5 s`);
  };
  const bed: TestBed = {
    pcscd,
    slots,
    readerNames: pcscd.readerNames,
    async insert(index, card, opts) {
      await slots[index].insert(card, opts);
      await waitState(index, true);
    },
    async eject(index) {
      await slots[index].remove();
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
