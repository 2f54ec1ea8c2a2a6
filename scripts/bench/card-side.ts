/**
 * Where the simulated CPS runs during the benchmark.
 *
 * - `main` (default): in the benchmark's own thread, inserted with `bed.insert(0, card)` like
 *   every test does. The card's work (socket, APDU parsing, RSA) then shares the event loop with
 *   the agent code under measurement: harmless while the agent waits for each answer, but it
 *   hides any overlap of agent work with a command in flight.
 * - `worker`: in a worker thread with its own event loop, closer to a real card, which computes
 *   beside the agent rather than on its thread.
 *
 * Either way the APDUs are counted from the slot's `apduLog` (in the thread that owns the slot).
 */
import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { TestBed } from '../../test/testbed/bed.js';
import { CpsCard } from '../../test/testbed/cards/cps-card.js';
import type { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';
import { ObservedCard } from './observed-card.js';

import type { CardThread } from './stats.js';

export type { CardThread };

export interface CardSnapshot {
  readonly apduCount: number;
  readonly computeMs: number;
  readonly resets: number;
  readonly atrReads: number;
}

export interface CardSetup {
  readonly certificateDer: Buffer;
  readonly privateKey: KeyObject;
  readonly pin: string;
}

export interface CardSide {
  readonly thread: CardThread;
  snapshot(): Promise<CardSnapshot>;
  /** APDUs received since the snapshot whose `apduCount` was `from`. */
  apdusSince(from: number): Promise<Buffer[]>;
  /** Pulls the card and waits until the reader reports it empty. */
  eject(): Promise<void>;
  /** Releases the worker, if any. */
  dispose(): Promise<void>;
}

class MainThreadCard implements CardSide {
  readonly thread = 'main' as const;
  constructor(private readonly bed: TestBed, private readonly card: ObservedCard) {}

  snapshot(): Promise<CardSnapshot> {
    const c = this.card;
    return Promise.resolve({ apduCount: this.bed.slots[0].apduLog.length, computeMs: c.computeMs, resets: c.resets, atrReads: c.atrReads });
  }

  apdusSince(from: number): Promise<Buffer[]> {
    return Promise.resolve(this.bed.slots[0].apduLog.slice(from));
  }

  eject(): Promise<void> {
    return this.bed.eject(0);
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

class WorkerThreadCard implements CardSide {
  readonly thread = 'worker' as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly worker: Worker, private readonly bed: TestBed) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(`card worker: ${r.error}`));
    });
    worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  call<T>(type: string, arg?: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, type, arg });
    });
  }

  snapshot(): Promise<CardSnapshot> {
    return this.call<CardSnapshot>('snapshot');
  }

  async apdusSince(from: number): Promise<Buffer[]> {
    const list = await this.call<Uint8Array[]>('apdusSince', from);
    return list.map((a) => Buffer.from(a));
  }

  async eject(): Promise<void> {
    await this.call('remove');
    // The bed's own slot 0 holds nothing: eject() only waits for the reader to report empty.
    await this.bed.eject(0);
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Inserts the simulated CPS in slot 0 (in this thread or a worker) and waits until the reader sees it. */
export async function insertCard(thread: CardThread, bed: TestBed, monitor: ReaderMonitor | undefined, setup: CardSetup): Promise<CardSide> {
  if (thread === 'main') {
    const card = new ObservedCard(new CpsCard({ certificateDer: setup.certificateDer, privateKey: setup.privateKey, pin: setup.pin }));
    await bed.insert(0, card);
    return new MainThreadCard(bed, card);
  }
  const worker = new Worker(new URL('./card-worker.js', import.meta.url), {
    workerData: {
      port: bed.slots[0].port,
      certificateDer: new Uint8Array(setup.certificateDer),
      privateKeyPkcs8: new Uint8Array(setup.privateKey.export({ format: 'der', type: 'pkcs8' })),
      pin: setup.pin,
    },
  });
  const side = new WorkerThreadCard(worker, bed);
  await side.call('insert');
  if (!monitor) throw new Error('a worker-thread card needs the monitor to see it inserted');
  await monitor.waitForCard(bed.readerNames[0], 5000);
  return side;
}
