/**
 * Forwards audit records off the workstation through one sink, in order, at least once, from a
 * durable local queue (AuditSpool). While the destination is unreachable records accumulate in
 * the queue (bounded) and sending retries with exponential back-off; when it is back they go in
 * their original order. Each record carries its hash, the idempotency key the collector
 * deduplicates on.
 *
 * Attached to an AuditLog, records are queued (fsync'd) before the log's `append()` resolves.
 */
import type { AuditLog, WrittenRecord } from './audit-log.js';
import { AuditSpool, type SpoolWarning } from './spool.js';
import type { AuditSink } from './sinks/sink.js';
import { MAX_RECORD_LINE_BYTES, parseRecordLine, type AuditRecord } from './record.js';
import { readLines } from './line-reader.js';

export interface ForwarderOptions {
  readonly sink: AuditSink;
  /** Folder of the queue files (created 0700). */
  readonly spoolDir: string;
  /** Queue bound in bytes (default 64 MiB). */
  readonly maxSpoolBytes?: number;
  /** First retry delay (ms, default 500) and the ceiling it doubles up to (default 60 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Records sent between two acknowledgements written to disk (default 32). */
  readonly batch?: number;
  readonly onWarning?: (w: SpoolWarning | { readonly code: 'audit_forward_failing' | 'audit_forward_gap'; readonly message: string }) => void;
  /** Told after each record the sink took. */
  readonly onDelivered?: (record: AuditRecord) => void;
}

export interface ForwarderState {
  readonly sink: string;
  readonly pendingBytes: number;
  readonly consecutiveFailures: number;
  readonly lastError: string | undefined;
  readonly delivered: number;
  /** Records refused by the full queue and not yet queued again from the log. */
  readonly refused: number;
}

export class AuditForwarder {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private idleSleep = false;
  private failures = 0;
  private lastError: string | undefined;
  private delivered = 0;
  private idleWaiters: Array<() => void> = [];
  private log: AuditLog | undefined;
  private queueLock: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: ForwarderOptions,
    private readonly spool: AuditSpool,
  ) {}

  static async open(opts: ForwarderOptions): Promise<AuditForwarder> {
    const spool = await AuditSpool.open({ dir: opts.spoolDir, name: opts.sink.name, ...(opts.maxSpoolBytes !== undefined ? { maxBytes: opts.maxSpoolBytes } : {}), ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
    return new AuditForwarder(opts, spool);
  }

  /**
   * Queues every record the log writes from now on (before its append resolves), after catching
   * up: records the log holds after the last one this queue ever took (a crash between the log's
   * fsync and the queue's, or records dropped while the queue was full) are queued first.
   * Call before the first append.
   */
  async attach(log: AuditLog): Promise<() => void> {
    this.log = log;
    await this.serial(() => this.catchUp(log));
    const off = log.subscribe((written) => this.enqueue(written));
    return () => {
      off();
      this.log = undefined;
    };
  }

  private async catchUp(log: AuditLog): Promise<void> {
    const from = this.spool.lastQueuedHash;
    if (from === undefined || from === log.lastHash) return;
    const files = await log.files();
    for (let i = files.length - 1; i >= 0; i--) {
      if (!(await fileHolds(files[i] as string, from))) continue;
      let found = false;
      let chunk: WrittenRecord[] = [];
      for (const file of files.slice(i)) {
        for await (const l of readLines(file, MAX_RECORD_LINE_BYTES)) {
          const p = l.complete && l.text !== undefined ? parseRecordLine(l.text) : undefined;
          if (!p?.ok) continue;
          if (!found) {
            found = p.record.hash === from;
            continue;
          }
          chunk.push({ record: p.record, line: `${l.text as string}\n` });
          if (chunk.length >= 256) {
            await this.spool.enqueue(chunk, { resuming: true });
            chunk = [];
            if (this.spool.dropping) return; // full again: the rest waits for the next catch-up
          }
        }
      }
      if (chunk.length > 0) await this.spool.enqueue(chunk, { resuming: true });
      return;
    }
    this.warn({ code: 'audit_forward_gap', message: `audit forwarding to ${this.opts.sink.name}: the last queued record is no longer in the local log; records in between may not have been forwarded` });
  }

  private warn(w: { readonly code: 'audit_forward_failing' | 'audit_forward_gap'; readonly message: string }): void {
    if (this.opts.onWarning) this.opts.onWarning(w);
    else process.emitWarning(w.message, { code: w.code });
  }

  /**
   * Queues records durably and wakes the sender. After records were refused for lack of room,
   * and once the queue has room again, the gap is refilled from the attached log (in order).
   */
  async enqueue(written: readonly WrittenRecord[]): Promise<void> {
    await this.serial(async () => {
      if (this.spool.dropping && this.spool.hasRoom && this.log) await this.catchUp(this.log);
      else await this.spool.enqueue(written);
    });
    if (this.idleSleep) this.wake?.();
  }

  get state(): ForwarderState {
    return { sink: this.opts.sink.name, pendingBytes: this.spool.pendingBytes, consecutiveFailures: this.failures, lastError: this.lastError, delivered: this.delivered, refused: this.spool.refusedCount };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Resolves once the queue is empty (everything queued so far was delivered). */
  async idle(): Promise<void> {
    if (this.spool.pendingBytes === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending (the queue stays on disk) and closes the sink. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.spool.close();
    await this.opts.sink.close();
  }

  private async run(): Promise<void> {
    const initial = this.opts.backoff?.initialMs ?? 500;
    const ceiling = this.opts.backoff?.maxMs ?? 60_000;
    while (this.running) {
      let failed: boolean;
      try {
        failed = await this.step(ceiling);
      } catch (e) {
        // the queue itself failed (disk error): keep the loop alive, say so, retry later
        failed = true;
        this.failures += 1;
        this.lastError = `local queue: ${e instanceof Error ? e.message : String(e)}`;
        this.warn({ code: 'audit_forward_failing', message: `audit forwarding to ${this.opts.sink.name}: ${this.lastError}` });
      }
      if (failed && this.running) {
        const delay = Math.min(ceiling, initial * 2 ** Math.min(this.failures - 1, 30));
        await this.sleep(delay * (0.8 + Math.random() * 0.4));
      }
    }
  }

  /** Sends what the queue holds (one batch) or waits for more; true when sending failed. */
  private async step(ceiling: number): Promise<boolean> {
    const items = await this.spool.peek(this.opts.batch ?? 32);
    if (items.length === 0) {
      const log = this.log;
      if (this.spool.dropping && log) {
        // records were refused while full and the queue is empty now: take them from the log
        await this.serial(() => this.catchUp(log));
        if (this.spool.pendingBytes > 0) return false;
      }
      for (const w of this.idleWaiters.splice(0)) w();
      this.idleSleep = true;
      await this.sleep(ceiling);
      this.idleSleep = false;
      return false;
    }
    let sent: { end: number; hash: string } | undefined;
    let failed = false;
    for (const item of items) {
      if (!this.running) break;
      try {
        await this.opts.sink.send(item.record, item.line);
      } catch (e) {
        failed = true;
        this.failures += 1;
        this.lastError = e instanceof Error ? e.message : String(e);
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.warn({ code: 'audit_forward_failing', message: `audit forwarding to ${this.opts.sink.name} failing (${this.failures} attempt(s)): ${this.lastError}; records kept in the local queue` });
        }
        break;
      }
      this.failures = 0;
      this.lastError = undefined;
      this.delivered += 1;
      sent = { end: item.end, hash: item.record.hash };
      try {
        this.opts.onDelivered?.(item.record);
      } catch {
        // an observer's failure does not concern delivery
      }
    }
    if (sent) await this.spool.ack(sent.end, sent.hash);
    return failed;
  }

  /** Runs queue-filling steps one at a time (a catch-up and a live enqueue never interleave). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queueLock.then(fn, fn);
    this.queueLock = run.catch(() => undefined);
    return run;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}


async function fileHolds(file: string, hash: string): Promise<boolean> {
  for await (const l of readLines(file, MAX_RECORD_LINE_BYTES)) {
    if (l.text?.includes(`"hash":"${hash}"`)) return true;
  }
  return false;
}
