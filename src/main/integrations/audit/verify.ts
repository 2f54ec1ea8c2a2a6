/**
 * Verifies an audit log (one file, or the files of a rotated set in chain order) and names the
 * first bad record. Streams the files with bounded memory; on the first break of the chain it
 * reads a bounded window ahead to tell a removal from a reordering.
 */
import { basename } from 'node:path';
import { AuditError } from './audit-error.js';
import { readLines } from './line-reader.js';
import { GENESIS_HASH, MAX_RECORD_LINE_BYTES, parseRecordLine, type AuditRecord } from './record.js';

export type AuditProblem = 'altered' | 'removed' | 'reordered' | 'inserted' | 'malformed' | 'truncated';

export interface BadRecord {
  readonly file: string;
  /** 1-based line in `file`. */
  readonly line: number;
  /** Sequence number of the record on that line, or the one expected there. */
  readonly seq: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly records: number; readonly lastSeq: number; readonly lastHash: string; readonly files: readonly string[] }
  | { readonly ok: false; readonly firstBadRecord: BadRecord; readonly problem: AuditProblem; readonly detail: string; readonly records: number };

export interface VerifyOptions {
  /** Accept a first record that is not the genesis (older files pruned by retention). */
  readonly allowPrunedStart?: boolean;
}

const LOOKAHEAD = 256;
const RECENT = 1024;

interface Seen {
  readonly file: string;
  readonly line: number;
  readonly seq: number;
}

export async function verifyAuditFile(paths: string | readonly string[], opts: VerifyOptions = {}): Promise<VerifyResult> {
  const files = typeof paths === 'string' ? [paths] : [...paths];
  if (files.length === 0) throw new AuditError('audit_io', 'no audit file to verify');
  let expSeq = 1;
  let expPrev = GENESIS_HASH;
  let count = 0;
  let started = false;
  let last: (Seen & { readonly hash: string }) | undefined;
  /** hash → position, for the last RECENT records (insertions link back to one of them). */
  const recent = new Map<string, Seen>();
  let prevFile: { readonly path: string; readonly lines: number } | undefined;

  const bad = (file: string, line: number, seq: number, problem: AuditProblem, detail: string): VerifyResult => ({
    ok: false,
    firstBadRecord: { file, line, seq },
    problem,
    detail,
    records: count,
  });

  for (const [fi, file] of files.entries()) {
    let lines = 0;
    const gen = readLinesOrThrow(file);
    for await (const l of gen) {
      lines = l.lineNo;
      if (!l.complete) return bad(file, l.lineNo, expSeq, 'truncated', 'last line has no newline (torn write)');
      if (l.text === undefined) return bad(file, l.lineNo, expSeq, 'malformed', 'line too long');
      const parsed = parseRecordLine(l.text);
      if (!parsed.ok) return bad(file, l.lineNo, seqHint(l.text) ?? expSeq, parsed.problem, parsed.detail);
      const r = parsed.record;
      const here: Seen = { file, line: l.lineNo, seq: r.seq };
      const linked = r.seq === expSeq && r.prev === expPrev;
      if (!linked && !(!started && opts.allowPrunedStart)) {
        // A rotated file whose first record names its predecessor tells what is missing.
        if (l.lineNo === 1 && fi > 0 && r.event === 'log_rotated' && prevFile) {
          const named = r.details?.previousFile;
          if (named !== undefined && named !== basename(prevFile.path)) {
            return bad(file, 1, r.seq, 'removed', `file ${named} is missing before ${basename(file)}`);
          }
          const lastSeqBefore = r.details?.previousLastSeq;
          if (lastSeqBefore !== undefined && lastSeqBefore > expSeq - 1) {
            return bad(prevFile.path, prevFile.lines + 1, expSeq, 'truncated', `${basename(prevFile.path)} ended at ${lastSeqBefore} when rotated`);
          }
        }
        const ahead: AuditRecord[] = [];
        while (ahead.length < LOOKAHEAD) {
          const n = await gen.next();
          if (n.done) break;
          const p = n.value.text !== undefined ? parseRecordLine(n.value.text) : undefined;
          if (p?.ok) ahead.push(p.record);
        }
        return classify(r, here, ahead);
      }
      started = true;
      count += 1;
      last = { ...here, hash: r.hash };
      recent.set(r.hash, here);
      if (recent.size > RECENT) recent.delete(recent.keys().next().value as string);
      expSeq = r.seq + 1;
      expPrev = r.hash;
    }
    prevFile = { path: file, lines };
  }

  return { ok: true, records: count, lastSeq: expSeq - 1, lastHash: expPrev, files };

  function classify(r: AuditRecord, here: Seen, ahead: readonly AuditRecord[]): VerifyResult {
    if (r.prev === expPrev) return bad(here.file, here.line, r.seq, 'altered', `sequence ${r.seq} where ${expSeq} was expected after an intact link`);
    if (recent.has(r.hash)) return bad(here.file, here.line, r.seq, 'inserted', 'duplicate of an earlier record');
    const back = recent.get(r.prev);
    if (back && last && back.seq < last.seq) {
      // r links to an earlier record: the ones after that record were inserted.
      const firstInserted = [...recent.values()].find((s) => s.seq > back.seq && (s.file !== back.file || s.line > back.line));
      const at = firstInserted ?? here;
      return bad(at.file, at.line, at.seq, 'inserted', `record(s) inserted after sequence ${back.seq}`);
    }
    if (r.seq === expSeq) {
      if (!last) return bad(here.file, here.line, r.seq, 'altered', 'first record does not start from the genesis');
      return bad(last.file, last.line, last.seq, 'altered', 'the next record does not link to this one');
    }
    if (r.seq > expSeq) {
      // a later record of the expected sequence means moved records, not lost ones
      return ahead.some((a) => a.seq === expSeq)
        ? bad(here.file, here.line, r.seq, 'reordered', `sequence ${r.seq} found where ${expSeq} was expected`)
        : bad(here.file, here.line, r.seq, 'removed', `sequence ${expSeq}..${r.seq - 1} missing`);
    }
    return bad(here.file, here.line, r.seq, 'reordered', `sequence ${r.seq} found after ${expSeq - 1}`);
  }
}

async function* readLinesOrThrow(file: string): AsyncGenerator<import('./line-reader.js').FileLine> {
  try {
    yield* readLines(file, MAX_RECORD_LINE_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new AuditError('audit_io', `cannot read ${file}: ${code}`, { cause: e });
    throw e;
  }
}

function seqHint(text: string): number | undefined {
  const m = /"seq":(\d{1,15})[,}]/.exec(text);
  return m?.[1] !== undefined ? Number(m[1]) : undefined;
}
