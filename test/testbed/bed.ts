/**
 * One test bed per test process: an isolated pcscd, its two vpcd slots, and this process's
 * PC/SC client pointed at it. pcsc-lite's client library reads `PCSCLITE_CSOCK_NAME` once, at
 * the first context, so a process gets exactly one bed.
 */
import { startPcscd, type PcscdInstance } from './pcscd.js';
import { VirtualCardSlot } from './vpcd-host.js';

export interface TestBed {
  readonly pcscd: PcscdInstance;
  /** Slot 0 and slot 1 of the vpcd reader. */
  readonly slots: readonly [VirtualCardSlot, VirtualCardSlot];
  readonly readerNames: readonly [string, string];
  close(): Promise<void>;
}

let current: TestBed | undefined;

export async function openTestBed(): Promise<TestBed> {
  if (current) throw new Error('one test bed per process: pcsc-lite binds its socket path at the first context');
  const pcscd = await startPcscd();
  process.env['PCSCLITE_CSOCK_NAME'] = pcscd.socketPath;
  const slots = [new VirtualCardSlot(pcscd.port), new VirtualCardSlot(pcscd.port + 1)] as const;
  const bed: TestBed = {
    pcscd,
    slots,
    readerNames: pcscd.readerNames,
    async close() {
      await Promise.all(slots.map((s) => s.remove()));
      await pcscd.dispose();
      current = undefined;
    },
  };
  current = bed;
  return bed;
}
