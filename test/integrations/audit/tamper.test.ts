/**
 * Tamper detection: one test per kind of change (edit, edit with a recomputed hash, delete,
 * reorder, insert, replay, truncate, garbage), each checking the first bad record named.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { copyFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, hashBody, recordLine, parseRecordLine, sealRecord, verifyAuditFile, type AuditRecord } from '../../../src/main/integrations/audit/index.js';
import { fillLog, readLinesOf, sampleInput, tempDir, writeLines } from './helpers.js';

const N = 12;
const tmp = tempDir();
let pristine: string;
let copies = 0;

before(async () => {
  const log = await fillLog({ dir: join(tmp.dir, 'src'), workstation: 'PC-URG-01' }, N);
  pristine = log.currentFile;
  await log.close();
});
after(() => tmp.cleanup());

/** A fresh copy of the intact log, to change. */
function copy(): string {
  const p = join(tmp.dir, `copy-${copies++}.jsonl`);
  copyFileSync(pristine, p);
  return p;
}

const rec = (line: string): AuditRecord => {
  const p = parseRecordLine(line);
  assert.ok(p.ok);
  return p.record;
};

/** Re-seals a changed record so its own hash is right (an attacker who knows the format). */
function reseal(r: AuditRecord, change: Partial<AuditRecord>): string {
  const { hash: _h, ...body } = { ...r, ...change };
  return recordLine({ ...body, hash: hashBody(body) }).slice(0, -1);
}

async function expectBad(path: string, problem: string, line: number, seq: number): Promise<void> {
  const r = await verifyAuditFile(path);
  assert.equal(r.ok, false, 'verify must fail');
  if (r.ok) return;
  assert.deepEqual({ problem: r.problem, line: r.firstBadRecord.line, seq: r.firstBadRecord.seq, file: r.firstBadRecord.file }, { problem, line, seq, file: path }, r.detail);
}

describe('audit verify: tamper detection', () => {
  it('the intact log verifies (count, last sequence and hash)', async () => {
    const r = await verifyAuditFile(copy());
    assert.ok(r.ok);
    assert.equal(r.records, N);
    assert.equal(r.lastSeq, N);
    assert.equal(r.lastHash, rec(readLinesOf(pristine).at(-1) as string).hash);
  });

  it('edit: a field changed in place is "altered" at that line', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    lines[4] = (lines[4] as string).replace('"allow"', '"deny"');
    assert.notEqual(lines[4], readLinesOf(pristine)[4]);
    writeLines(p, lines);
    await expectBad(p, 'altered', 5, 5);
  });

  it('edit with a recomputed hash: the next link breaks, the edited record is named', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    lines[5] = reseal(rec(lines[5] as string), { person: 'rpps:19999999999' });
    writeLines(p, lines);
    await expectBad(p, 'altered', 6, 6);
  });

  it('delete: a removed record is named at the line that follows the gap', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    lines.splice(6, 1);
    writeLines(p, lines);
    await expectBad(p, 'removed', 7, 8);
  });

  it('delete: the first record removed', async () => {
    const p = copy();
    writeLines(p, readLinesOf(p).slice(1));
    await expectBad(p, 'removed', 1, 2);
  });

  it('reorder: two records swapped', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    [lines[3], lines[4]] = [lines[4] as string, lines[3] as string];
    writeLines(p, lines);
    await expectBad(p, 'reordered', 4, 5);
  });

  it('reorder: a record moved further down', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    const [moved] = lines.splice(2, 1);
    lines.splice(8, 0, moved as string);
    writeLines(p, lines);
    await expectBad(p, 'reordered', 3, 4);
  });

  it('insert: a forged record chained to its predecessor is caught by the next one', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    const before4 = rec(lines[3] as string);
    const forged = sealRecord(sampleInput(0), { seq: before4.seq + 1, prev: before4.hash, workstation: 'PC-URG-01', now: new Date() });
    lines.splice(4, 0, recordLine(forged).slice(0, -1));
    writeLines(p, lines);
    await expectBad(p, 'inserted', 5, 5);
  });

  it('insert: a replayed copy of an earlier record', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    lines.splice(9, 0, lines[7] as string);
    writeLines(p, lines);
    await expectBad(p, 'inserted', 10, 8);
  });

  it('truncate: a file cut in the middle of a line', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    const keep = lines.slice(0, 9).join('\n').length + 1 + 40;
    truncateSync(p, keep);
    assert.ok(statSync(p).size < Buffer.byteLength(lines.join('\n')));
    await expectBad(p, 'truncated', 10, 10);
  });

  it('garbage: a line that is not a record is "malformed"', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    lines.splice(2, 1, 'not json at all');
    writeLines(p, lines);
    await expectBad(p, 'malformed', 3, 3);
  });

  it('a record with an extra field smuggled in (hash recomputed) is "malformed"', async () => {
    const p = copy();
    const lines = readLinesOf(p);
    const r = rec(lines[1] as string);
    const body = { ...r, token: 'eyJ' } as Record<string, unknown>;
    delete body['hash'];
    lines[1] = canonicalJson({ ...(body as Record<string, string>), hash: 'x' });
    writeLines(p, lines);
    await expectBad(p, 'malformed', 2, 2);
  });
});
