/**
 * Durable forwarding queue of one sink: `<name>.spool.jsonl` holds the records still to send
 * (the exact audit lines, appended and fsync'd), `<name>.ack.json` the byte offset and hash of
 * the last record the sink took (written to a temporary file, fsync'd, renamed, folder fsync'd).
 *
 * On open the acknowledged offset is checked against the hash of the line that ends there;
 * when they disagree (a crash between compaction and the acknowledgement) the hash is looked up
 * and, if gone, sending restarts from the start of the spool: delivery is at least once, and
 * the collector deduplicates by record hash.
 *
 * Disk use is bounded (`maxBytes`): above 80% a warning is given, and when full new records are
 * not queued (they stay in the local audit log) and a warning counts them; the forwarder queues
 * them again from the log once there is room.
 */
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from './audit-error.js';
import { readLines } from './line-reader.js';
import { MAX_RECORD_LINE_BYTES, parseRecordLine, type AuditRecord } from './record.js';
import type { WrittenRecord } from './audit-log.js';

export type SpoolWarningCode = 'audit_spool_high' | 'audit_spool_full' | 'audit_spool_resumed' | 'audit_spool_skipped_line';

export interface SpoolWarning {
  readonly code: SpoolWarningCode;
  readonly message: string;
  readonly dropped?: number;
}

export interface SpoolOptions {
  readonly dir: string;
  /** Sink name: letters, digits, dash. */
  readonly name: string;
  /** Default 64 MiB. */
  readonly maxBytes?: number;
  readonly onWarning?: (w: SpoolWarning) => void;
}

export interface SpooledRecord {
  readonly record: AuditRecord;
  readonly line: string;
  /** Offset just after this line in the spool. */
  readonly end: number;
}

export class AuditSpool {
  private size: number;
  private acked: number;
  private lastAckedHash: string | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private dropped = 0;
  private highWarned = false;
  private lastQueued: string | undefined;

  private constructor(
    private readonly opts: Required<Omit<SpoolOptions, 'onWarning'>> & Pick<SpoolOptions, 'onWarning'>,
    private fh: FileHandle,
    private readonly spoolPath: string,
    private readonly ackPath: string,
    state: { size: number; acked: number; hash: string | undefined; lastQueued: string | undefined },
  ) {
    this.size = state.size;
    this.acked = state.acked;
    this.lastAckedHash = state.hash;
    this.lastQueued = state.lastQueued ?? state.hash;
  }

  static async open(options: SpoolOptions): Promise<AuditSpool> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(options.name)) throw new AuditError('audit_record_invalid', 'spool name: letters, digits, dash');
    const opts = { dir: options.dir, name: options.name, maxBytes: options.maxBytes ?? 64 * 1024 * 1024, onWarning: options.onWarning };
    const created = await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await chmodDir(opts.dir);
    const spoolPath = join(opts.dir, `${opts.name}.spool.jsonl`);
    const ackPath = join(opts.dir, `${opts.name}.ack.json`);
    const fh = await open(spoolPath, 'a+', 0o600);
    await fh.chmod(0o600);
    const size = (await fh.stat()).size;
    const ack = await readAck(ackPath);
    const acked = await locateAck(spoolPath, size, ack);
    const lastQueued = await lastLineHash(fh, size);
    return new AuditSpool(opts, fh, spoolPath, ackPath, { size, acked, hash: ack?.hash, lastQueued });
  }

  /** Bytes queued and not yet acknowledged. */
  get pendingBytes(): number {
    return this.size - this.acked;
  }

  /** Hash of the last record ever queued (kept across delivery and restarts); undefined for a new queue. */
  get lastQueuedHash(): string | undefined {
    return this.lastQueued;
  }

  /** True after records were refused for lack of room, until a catch-up (`resuming`) refills the gap. */
  get dropping(): boolean {
    return this.dropped > 0;
  }

  /** Records refused for lack of room since the queue last accepted a catch-up. */
  get refusedCount(): number {
    return this.dropped;
  }

  /** Less than half of the bound is used. */
  get hasRoom(): boolean {
    return this.size - this.acked < this.opts.maxBytes / 2;
  }

  /**
   * Appends records (fsync'd before it resolves); records beyond the bound are not queued. Once
   * records were refused, later ones are refused too (order is never broken) until an enqueue
   * with `resuming` (the forwarder's catch-up from the log) fills the gap.
   */
  enqueue(records: readonly WrittenRecord[], opts: { readonly resuming?: boolean } = {}): Promise<void> {
    return this.exclusive(async () => {
      const take: string[] = [];
      let bytes = 0;
      let refused = this.dropped > 0 && !opts.resuming ? records.length : 0;
      let last: string | undefined;
      for (const w of refused > 0 ? [] : records) {
        const len = Buffer.byteLength(w.line);
        if (refused > 0 || this.size - this.acked + bytes + len > this.opts.maxBytes) refused += 1;
        else {
          take.push(w.line);
          bytes += len;
          last = w.record.hash;
        }
      }
      if (take.length > 0) {
        await this.fh.write(take.join(''));
        await this.fh.sync();
        this.size += bytes;
        this.lastQueued = last;
        if (this.dropped > 0 && refused === 0) {
          this.warn({ code: 'audit_spool_resumed', message: `audit forwarding queue ${this.opts.name} accepts records again; the ${this.dropped} record(s) refused meanwhile were queued again from the local audit log`, dropped: this.dropped });
          this.dropped = 0;
        }
      }
      if (refused > 0) {
        const before = this.dropped;
        this.dropped += refused;
        if (before === 0 || Math.floor(before / 100) !== Math.floor(this.dropped / 100)) this.warn({ code: 'audit_spool_full', message: `audit forwarding queue ${this.opts.name} is full (${this.opts.maxBytes} bytes): ${this.dropped} record(s) not queued, kept only in the local audit log`, dropped: this.dropped });
      }
      const used = this.size - this.acked;
      if (!this.highWarned && used > this.opts.maxBytes * 0.8) {
        this.highWarned = true;
        this.warn({ code: 'audit_spool_high', message: `audit forwarding queue ${this.opts.name} is over 80% of its ${this.opts.maxBytes} bytes: the destination has been unreachable for a while` });
      } else if (used < this.opts.maxBytes * 0.5) this.highWarned = false;
    });
  }

  /** Up to `max` records from the acknowledged offset, in order (unreadable lines skipped with a warning). */
  peek(max: number): Promise<SpooledRecord[]> {
    return this.exclusive(async () => {
      const out: SpooledRecord[] = [];
      if (this.acked >= this.size) return out;
      const buf = Buffer.alloc(Math.min(this.size - this.acked, max * MAX_RECORD_LINE_BYTES));
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.acked);
      let start = 0;
      while (out.length < max) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0 || nl >= bytesRead) break;
        const text = buf.subarray(start, nl).toString('utf8');
        const end = this.acked + nl + 1;
        const p = parseRecordLine(text);
        if (p.ok) out.push({ record: p.record, line: text, end });
        else if (out.length === 0) {
          // a damaged line at the head would block the queue: skip it, say so
          this.warn({ code: 'audit_spool_skipped_line', message: `audit forwarding queue ${this.opts.name}: unreadable line at byte ${this.acked + start} skipped (${p.detail})` });
          await this.writeAck(end, this.lastAckedHash);
        } else break;
        start = nl + 1;
      }
      return out;
    });
  }

  /** Records that everything up to `end` (the end of the record with `hash`) was delivered. */
  ack(end: number, hash: string): Promise<void> {
    return this.exclusive(async () => {
      if (end <= this.acked) return;
      await this.writeAck(end, hash);
      if (this.acked === this.size) {
        await this.fh.truncate(0);
        await this.fh.sync();
        this.size = 0;
        await this.writeAck(0, hash);
      } else if (this.acked > this.opts.maxBytes / 2) await this.compact();
    });
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      await this.fh.close();
    });
  }

  private async compact(): Promise<void> {
    const tmp = `${this.spoolPath}.tmp`;
    const out = await open(tmp, 'w', 0o600);
    try {
      const chunk = Buffer.alloc(256 * 1024);
      let pos = this.acked;
      while (pos < this.size) {
        const { bytesRead } = await this.fh.read(chunk, 0, Math.min(chunk.length, this.size - pos), pos);
        if (bytesRead === 0) break;
        await out.write(chunk.subarray(0, bytesRead));
        pos += bytesRead;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.spoolPath);
    await fsyncDir(this.opts.dir);
    await this.fh.close();
    this.fh = await open(this.spoolPath, 'a+', 0o600);
    this.size -= this.acked;
    await this.writeAck(0, this.lastAckedHash);
  }

  private async writeAck(offset: number, hash: string | undefined): Promise<void> {
    const tmp = `${this.ackPath}.tmp`;
    const h = await open(tmp, 'w', 0o600);
    try {
      await h.write(JSON.stringify({ offset, ...(hash ? { hash } : {}) }));
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, this.ackPath);
    await fsyncDir(this.opts.dir);
    this.acked = offset;
    this.lastAckedHash = hash;
  }

  private warn(w: SpoolWarning): void {
    if (this.opts.onWarning) this.opts.onWarning(w);
    else process.emitWarning(w.message, { code: w.code });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** Hash of the last complete record line of the spool, if any. */
async function lastLineHash(fh: FileHandle, size: number): Promise<string | undefined> {
  if (size === 0) return undefined;
  const len = Math.min(size, 2 * MAX_RECORD_LINE_BYTES);
  const buf = Buffer.alloc(len);
  await fh.read(buf, 0, len, size - len);
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return undefined;
  const p = parseRecordLine(buf.subarray(buf.lastIndexOf(0x0a, end - 1) + 1, end).toString('utf8'));
  return p.ok ? p.record.hash : undefined;
}

async function chmodDir(dir: string): Promise<void> {
  const { chmod } = await import('node:fs/promises');
  await chmod(dir, 0o700);
}

/** Makes a created/renamed entry durable. Windows cannot open a folder for fsync (NTFS journals it). */
async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

async function readAck(path: string): Promise<{ offset: number; hash: string | undefined } | undefined> {
  let text: string;
  try {
    const h = await open(path, 'r');
    try {
      text = (await h.readFile('utf8')).slice(0, 4096);
    } finally {
      await h.close();
    }
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as { offset?: unknown; hash?: unknown };
    if (typeof v.offset !== 'number' || !Number.isSafeInteger(v.offset) || v.offset < 0) return undefined;
    return { offset: v.offset, hash: typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash) ? v.hash : undefined };
  } catch {
    return undefined;
  }
}

/** Where sending resumes: the acknowledged offset if the line ending there has the acknowledged hash. */
async function locateAck(spoolPath: string, size: number, ack: { offset: number; hash: string | undefined } | undefined): Promise<number> {
  if (!ack || ack.offset === 0) return 0;
  if (!ack.hash) return ack.offset <= size ? ack.offset : 0;
  for await (const l of readLines(spoolPath, MAX_RECORD_LINE_BYTES)) {
    if (!l.complete || l.text === undefined) continue;
    const p = parseRecordLine(l.text);
    if (p.ok && p.record.hash === ack.hash) return l.offset + l.bytes + 1;
  }
  return 0;
}

export async function spoolSize(dir: string, name: string): Promise<number> {
  try {
    return (await stat(join(dir, `${name}.spool.jsonl`))).size;
  } catch {
    return 0;
  }
}
