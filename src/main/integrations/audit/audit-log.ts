/**
 * The append-only audit log: JSON Lines in numbered files, each record chained to the previous
 * one by SHA-256, written and fsync'd before `append()` resolves (the caller applies its decision
 * only after), appends serialised and grouped (concurrent appends share one write and one fsync),
 * rotation by size and/or UTC date that keeps the chain across files, and repair of a torn tail
 * on open (truncation to the last complete record, then a `log_repaired` record saying so).
 *
 * Files are created 0600 in a folder created 0700. Any write or sync failure poisons the log:
 * later appends are refused (so no decision takes effect unrecorded) until it is reopened,
 * which repairs what the failure left.
 */
import { chmod, mkdir, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AuditError } from './audit-error.js';
import { auditFileName, auditFileNumber, DEFAULT_BASE_NAME, listAuditFiles } from './files.js';
import { checkAuditInput, checkWorkstation, GENESIS_HASH, MAX_RECORD_LINE_BYTES, parseRecordLine, recordLine, sealRecord, type AuditInput, type AuditRecord } from './record.js';

export interface AuditLogOptions {
  /** Folder of the log (created 0700 when missing). */
  readonly dir: string;
  /** Name of this workstation, written in every record. */
  readonly workstation: string;
  /** File name prefix (default `audit`): files are `<base>-000001.jsonl`, ... */
  readonly baseName?: string;
  /** Rotate before a record would make the file larger than this (bytes; default 16 MiB, min 1 KiB). */
  readonly maxFileBytes?: number;
  /** Rotate when the UTC date changes. */
  readonly rotateDaily?: boolean;
  /** Injectable clock. */
  readonly clock?: () => Date;
  /** Most records written by one write + fsync (default 256). */
  readonly maxBatch?: number;
  /** Most bytes a repair may cut from a torn tail before the log is declared corrupt (default 1 MiB). */
  readonly maxRepairBytes?: number;
  /** Told when a subscriber (e.g. a forwarder) fails; the record itself is durable by then. */
  readonly onWarning?: (code: 'audit_subscriber_failed' | 'audit_folder_mode_fixed', message: string) => void;
}

/** Called after each durable write with the records it holds, before their appends resolve. */
export type AuditSubscriber = (written: readonly WrittenRecord[]) => Promise<void> | void;

export interface WrittenRecord {
  readonly record: AuditRecord;
  /** The exact line on disk, newline included. */
  readonly line: string;
}

export interface RepairReport {
  readonly file: string;
  readonly bytesCut: number;
}

interface Pending {
  readonly input: AuditInput;
  readonly resolve: (r: AuditRecord) => void;
  readonly reject: (e: unknown) => void;
}

const DEFAULT_MAX_FILE = 16 * 1024 * 1024;
const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

export class AuditLog {
  private fh: FileHandle;
  private path: string;
  private fileNo: number;
  private size: number;
  private fileRecords: number;
  private fileDay: string | undefined;
  private seq: number;
  private prev: string;
  private readonly pending: Pending[] = [];
  private writing = false;
  private drained: Promise<void> = Promise.resolve();
  private poisoned: unknown;
  private closed = false;
  private readonly subscribers: AuditSubscriber[] = [];
  private lockPath: string | undefined;
  /** What the repair on open did, if anything. */
  readonly repaired: RepairReport | undefined;

  private constructor(
    private readonly opts: Required<Omit<AuditLogOptions, 'rotateDaily'>> & { readonly rotateDaily: boolean },
    state: { fh: FileHandle; path: string; fileNo: number; size: number; fileRecords: number; fileDay: string | undefined; seq: number; prev: string; repaired: RepairReport | undefined },
  ) {
    this.fh = state.fh;
    this.path = state.path;
    this.fileNo = state.fileNo;
    this.size = state.size;
    this.fileRecords = state.fileRecords;
    this.fileDay = state.fileDay;
    this.seq = state.seq;
    this.prev = state.prev;
    this.repaired = state.repaired;
  }

  /** Opens (or creates) the log, repairing a torn tail; resolves once the log can take appends. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const opts = {
      dir: options.dir,
      workstation: checkWorkstation(options.workstation),
      baseName: options.baseName ?? DEFAULT_BASE_NAME,
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE,
      rotateDaily: options.rotateDaily ?? false,
      clock: options.clock ?? (() => new Date()),
      maxBatch: options.maxBatch ?? 256,
      maxRepairBytes: options.maxRepairBytes ?? 1024 * 1024,
      onWarning: options.onWarning ?? ((code: string, message: string) => process.emitWarning(message, { code })),
    };
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.baseName)) throw new AuditError('audit_record_invalid', 'audit baseName: letters, digits, dot, dash, underscore');
    if (!Number.isSafeInteger(opts.maxFileBytes) || opts.maxFileBytes < 1024) throw new AuditError('audit_record_invalid', 'audit maxFileBytes: integer >= 1024');
    if (!Number.isSafeInteger(opts.maxBatch) || opts.maxBatch < 1) throw new AuditError('audit_record_invalid', 'audit maxBatch: integer >= 1');
    await io(`create ${opts.dir}`, async () => {
      const created = await mkdir(opts.dir, { recursive: true, mode: 0o700 });
      if (created !== undefined) await chmod(opts.dir, 0o700);
      else if (process.platform !== 'win32' && ((await stat(opts.dir)).mode & 0o077) !== 0) {
        // others could replace or remove files: the log folder is the agent's alone
        await chmod(opts.dir, 0o700);
        opts.onWarning('audit_folder_mode_fixed', `${opts.dir} was readable or writable by others; set to 0700`);
      }
    });
    const lockPath = join(opts.dir, `${opts.baseName}.lock`);
    await io(`lock ${lockPath}`, () => acquireLock(lockPath));
    try {
      const files = await listAuditFiles(opts.dir, opts.baseName);
      if (process.platform !== 'win32') {
        for (const f of files) {
          await io(`check ${f}`, async () => {
            if (((await stat(f)).mode & 0o077) !== 0) {
              await chmod(f, 0o600);
              opts.onWarning('audit_folder_mode_fixed', `${f} was readable or writable by others; set to 0600`);
            }
          });
        }
      }
      const lastPath = files.at(-1);
      let fileNo = lastPath ? (auditFileNumber(opts.baseName, basename(lastPath)) ?? 1) : 1;
      const path = lastPath ?? join(opts.dir, auditFileName(opts.baseName, fileNo));
      let seq = 0;
      let prev = GENESIS_HASH;
      let size = 0;
      let fileRecords = 0;
      let fileDay: string | undefined;
      let repaired: RepairReport | undefined;
      let needsHeader: { previousFile: string; previousLastSeq: number } | undefined;

      if (lastPath) {
        const tail = await findLastRecord(lastPath, opts.maxRepairBytes, true);
        size = tail.cutAt;
        if (tail.record) {
          seq = tail.record.seq;
          prev = tail.record.hash;
          const first = await firstRecord(lastPath);
          fileDay = first ? first.time.slice(0, 10) : undefined;
          fileRecords = first ? 2 : 0; // "more than a header": enough for the size rule; exact count not needed
        } else if (files.length > 1) {
          const before = files.at(-2) as string;
          const prevTail = await findLastRecord(before, opts.maxRepairBytes, false);
          if (!prevTail.record) throw new AuditError('audit_log_corrupt', `${before} holds no complete record`);
          seq = prevTail.record.seq;
          prev = prevTail.record.hash;
          needsHeader = { previousFile: basename(before), previousLastSeq: seq };
        }
        if (tail.cutAt < tail.size) {
          // The record saying what was cut is written over the torn bytes and synced BEFORE the
          // file is shortened: a crash in between leaves it followed by leftovers, which the
          // next open cuts again; the evidence is never lost.
          repaired = { file: basename(lastPath), bytesCut: tail.size - tail.cutAt };
          const now = opts.clock();
          const lines: string[] = [];
          const seal = (input: AuditInput): void => {
            const r = sealRecord(input, { seq: seq + 1, prev, workstation: opts.workstation, now });
            lines.push(recordLine(r));
            seq = r.seq;
            prev = r.hash;
          };
          if (needsHeader) seal({ event: 'log_rotated', decision: 'info', reason: 'rotation_resumed', details: needsHeader });
          needsHeader = undefined;
          seal({ event: 'log_repaired', decision: 'info', reason: 'torn_tail_truncated', details: { repairedFile: repaired.file, bytesCut: repaired.bytesCut } });
          const buf = Buffer.from(lines.join(''), 'utf8');
          await io(`repair ${lastPath}`, async () => {
            const h = await open(lastPath, 'r+');
            try {
              await h.write(buf, 0, buf.length, tail.cutAt);
              await h.sync();
              await h.truncate(tail.cutAt + buf.length);
              await h.sync();
            } finally {
              await h.close();
            }
          });
          size = tail.cutAt + buf.length;
          fileRecords += lines.length;
          fileDay ??= utcDay(now);
        }
      } else {
        fileNo = 1;
      }

      const fh = await io(`open ${path}`, async () => {
        const h = await open(path, 'a', 0o600);
        await h.chmod(0o600);
        return h;
      });
      if (!lastPath) await fsyncDir(opts.dir);
      const log = new AuditLog(opts, { fh, path, fileNo, size, fileRecords, fileDay, seq, prev, repaired });
      log.lockPath = lockPath;
      if (needsHeader) {
        await log.append({ event: 'log_rotated', decision: 'info', reason: 'rotation_resumed', details: needsHeader });
      }
      return log;
    } catch (e) {
      await unlink(lockPath).catch(() => undefined);
      throw e;
    }
  }

  /** Sequence number of the last durable record (0 for an empty log). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Hash of the last durable record (the genesis value for an empty log). */
  get lastHash(): string {
    return this.prev;
  }

  get currentFile(): string {
    return this.path;
  }

  /** The log's files in chain order. */
  files(): Promise<string[]> {
    return listAuditFiles(this.opts.dir, this.opts.baseName);
  }

  subscribe(fn: AuditSubscriber): () => void {
    this.subscribers.push(fn);
    return () => {
      const i = this.subscribers.indexOf(fn);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  /**
   * Appends one record; resolves with it once it is written and fsync'd. Inputs are checked
   * before anything is queued (a bad input never consumes a sequence number).
   */
  append(input: AuditInput): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new AuditError('audit_closed', 'audit log closed'));
    if (this.poisoned) return Promise.reject(new AuditError('audit_io', 'audit log unusable after a write failure; reopen it', { cause: this.poisoned }));
    let checked: AuditInput;
    try {
      checked = checkAuditInput(input);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ input: checked, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.drained = this.drain();
      }
    });
  }

  /** Waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drained;
    await this.fh.close();
    if (this.lockPath) await unlink(this.lockPath).catch(() => undefined);
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.opts.maxBatch);
      if (this.poisoned) {
        for (const p of batch) p.reject(new AuditError('audit_io', 'audit log unusable after a write failure; reopen it', { cause: this.poisoned }));
        continue;
      }
      const fileNo = this.fileNo;
      try {
        const records = await this.writeBatch(batch.map((p) => p.input));
        batch.forEach((p, i) => p.resolve(records[i] as AuditRecord));
      } catch (e) {
        if (!(await this.recoverFromFullDisk(e, fileNo))) this.poisoned = e;
        for (const p of batch) p.reject(e instanceof AuditError ? e : new AuditError('audit_io', `audit write failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e }));
      }
    }
    this.writing = false;
  }

  /**
   * After a write that failed for lack of space (ENOSPC, EDQUOT) in the current file, cuts the
   * file back to its last synced record: the partial line is gone, the chain state is unchanged
   * (it only advances once a chunk is synced), and later appends work again once space is freed.
   * Any other failure, a failure across a rotation, or a cut that fails itself: not recovered.
   */
  private async recoverFromFullDisk(e: unknown, fileNo: number): Promise<boolean> {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if ((code !== 'ENOSPC' && code !== 'EDQUOT') || this.fileNo !== fileNo) return false;
    try {
      await this.fh.truncate(this.size);
      await this.fh.sync();
      return true;
    } catch {
      return false;
    }
  }

  /** Seals, writes and syncs a batch (rotating between records when needed). */
  private async writeBatch(inputs: readonly AuditInput[]): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    let chunk: WrittenRecord[] = [];
    let chunkBytes = 0;
    let seq = this.seq;
    let prev = this.prev;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const buf = Buffer.from(chunk.map((w) => w.line).join(''), 'utf8');
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
        off += bytesWritten;
      }
      await this.fh.sync();
      this.size += buf.length;
      this.fileRecords += chunk.length;
      this.seq = seq;
      this.prev = prev;
      const written = chunk;
      chunk = [];
      chunkBytes = 0;
      for (const s of [...this.subscribers]) {
        try {
          await s(written);
        } catch (e) {
          this.opts.onWarning('audit_subscriber_failed', e instanceof Error ? e.message : String(e));
        }
      }
    };
    const seal = (input: AuditInput, now: Date): WrittenRecord => {
      const record = sealRecord(input, { seq: seq + 1, prev, workstation: this.opts.workstation, now });
      const line = recordLine(record);
      if (Buffer.byteLength(line) > MAX_RECORD_LINE_BYTES) throw new AuditError('audit_record_invalid', `audit record too long (${Buffer.byteLength(line)} bytes)`);
      return { record, line };
    };
    for (const input of inputs) {
      const now = this.opts.clock();
      let w = seal(input, now);
      const len = Buffer.byteLength(w.line);
      const day = utcDay(now);
      const bySize = this.size + chunkBytes + len > this.opts.maxFileBytes && this.fileRecords + chunk.length > 1;
      const byDate = this.opts.rotateDaily && this.fileDay !== undefined && this.fileDay !== day && this.fileRecords + chunk.length > 0;
      if (bySize || byDate) {
        await flush();
        const previousFile = basename(this.path);
        const previousLastSeq = this.seq;
        await this.openNextFile(day);
        const header = seal({ event: 'log_rotated', decision: 'info', reason: bySize ? 'rotation_size' : 'rotation_date', details: { previousFile, previousLastSeq } }, now);
        seq = header.record.seq;
        prev = header.record.hash;
        chunk.push(header);
        chunkBytes += Buffer.byteLength(header.line);
        w = seal(input, now);
      }
      if (this.fileDay === undefined) this.fileDay = day;
      chunk.push(w);
      chunkBytes += Buffer.byteLength(w.line);
      seq = w.record.seq;
      prev = w.record.hash;
      out.push(w.record);
    }
    await flush();
    return out;
  }

  private async openNextFile(day: string): Promise<void> {
    const next = this.fileNo + 1;
    const path = join(this.opts.dir, auditFileName(this.opts.baseName, next));
    const fh = await open(path, 'ax', 0o600);
    await fh.chmod(0o600);
    await fsyncDir(this.opts.dir);
    const old = this.fh;
    this.fh = fh;
    this.path = path;
    this.fileNo = next;
    this.size = 0;
    this.fileRecords = 0;
    this.fileDay = day;
    await old.close();
  }
}

async function io<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AuditError) throw e;
    throw new AuditError('audit_io', `cannot ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
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

/**
 * One writer per log: `<base>.lock` holds the writer's process id. A lock left by a process that
 * no longer exists (killed) is taken over; a live one refuses the open (two agents appending to
 * one chain would break it).
 */
async function acquireLock(path: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await open(path, 'wx', 0o600);
      try {
        await h.write(`${process.pid}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && processExists(pid)) throw new AuditError('audit_io', `the audit log is in use by process ${pid} (${path})`);
    await unlink(path).catch(() => undefined);
  }
  throw new AuditError('audit_io', `cannot take the audit log lock ${path}`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function firstRecord(path: string): Promise<AuditRecord | undefined> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.alloc(MAX_RECORD_LINE_BYTES);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl < 0) return undefined;
    const p = parseRecordLine(buf.subarray(0, nl).toString('utf8'));
    return p.ok ? p.record : undefined;
  } finally {
    await h.close();
  }
}

/**
 * Finds the last complete, valid record of a file by reading backwards from its end. Bytes
 * after it are a torn tail when they are an unterminated line or lines that are not records
 * (not JSON, cut short); a tail holding a parsable but altered record is not a torn write and
 * is refused (`audit_log_corrupt`): verify the log and investigate.
 */
async function findLastRecord(path: string, maxRepairBytes: number, repairable: boolean): Promise<{ size: number; cutAt: number; record: AuditRecord | undefined }> {
  return io(`read ${path}`, async () => {
    const size = (await stat(path)).size;
    if (size === 0) return { size, cutAt: 0, record: undefined };
    const h = await open(path, 'r');
    try {
      let window = Math.min(size, 64 * 1024);
      for (;;) {
        const start = size - window;
        const buf = Buffer.alloc(window);
        await h.read(buf, 0, window, start);
        // Candidate lines end at each newline, from the last one backwards.
        let end = buf.lastIndexOf(0x0a);
        while (end >= 0) {
          // (a negative offset would search from the end again: a newline at 0 starts the window)
          const lineStart = end === 0 ? 0 : buf.lastIndexOf(0x0a, end - 1) + 1;
          if (lineStart === 0 && start > 0) break; // line may begin before the window
          const text = buf.subarray(lineStart, end).toString('utf8');
          const parsed = parseRecordLine(text);
          const cutAt = start + end + 1;
          if (parsed.ok) {
            if (cutAt < size && !repairable) throw new AuditError('audit_log_corrupt', `${path} has a torn tail but is not the last file`);
            return { size, cutAt, record: parsed.record };
          }
          if (parsed.problem === 'altered') throw new AuditError('audit_log_corrupt', `${path}: the record ending at byte ${cutAt} is altered; run \`tessera audit verify\``);
          end = lineStart - 1;
        }
        if (start === 0) {
          if (!repairable) throw new AuditError('audit_log_corrupt', `${path} holds no complete record`);
          if (size > maxRepairBytes) throw new AuditError('audit_log_corrupt', `${path}: no complete record in ${size} bytes`);
          return { size, cutAt: 0, record: undefined };
        }
        if (window >= maxRepairBytes) throw new AuditError('audit_log_corrupt', `${path}: no complete record in the last ${window} bytes`);
        window = Math.min(size, window * 2, maxRepairBytes + MAX_RECORD_LINE_BYTES);
      }
    } finally {
      await h.close();
    }
  });
}

/**
 * The rule of the house for decisions: record first (written and fsync'd), then apply. If the
 * record cannot be written, `effect` never runs and the error goes to the caller (the session
 * layer refuses rather than acting unrecorded).
 */
export async function recordThenApply<T>(log: AuditLog, input: AuditInput, effect: (record: AuditRecord) => T | Promise<T>): Promise<T> {
  const record = await log.append(input);
  return effect(record);
}
