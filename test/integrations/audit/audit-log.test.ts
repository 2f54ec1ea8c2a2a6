/**
 * The audit log on disk: chain round trip, fsync before append resolves, serialised appends,
 * rotation by size and by date keeping the chain, missing or truncated middle files, torn-tail
 * repair, modes 0600/0700, write failures refusing later appends.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it, mock } from 'node:test';
import { appendFileSync, chmodSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { AuditError, AuditLog, GENESIS_HASH, recordThenApply, listAuditFiles, parseRecordLine, recordLine, verifyAuditFile, type AuditRecord } from '../../../src/main/integrations/audit/index.js';
import { fillLog, readLinesOf, sampleInput, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.cleanup());
let n = 0;
const freshDir = (): string => join(tmp.dir, `log-${n++}`, 'audit');

const parse = (line: string): AuditRecord => {
  const p = parseRecordLine(line);
  assert.ok(p.ok, line);
  return p.record;
};

describe('audit log: chain and durability', () => {
  it('round trip: records chain from the genesis, reopen continues the chain, verify agrees', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 5);
    assert.equal(log.lastSeq, 5);
    await log.close();
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    assert.equal(again.repaired, undefined);
    assert.equal(again.lastSeq, 5);
    const r6 = await again.append(sampleInput(1));
    await again.close();
    const records = readLinesOf(join(dir, 'audit-000001.jsonl')).map(parse);
    assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4, 5, 6]);
    assert.equal(records[0]?.prev, GENESIS_HASH);
    for (let i = 1; i < records.length; i++) assert.equal(records[i]?.prev, records[i - 1]?.hash);
    assert.deepEqual(records[5], r6);
    const v = await verifyAuditFile(join(dir, 'audit-000001.jsonl'));
    assert.ok(v.ok);
    assert.equal(v.lastHash, r6.hash);
  });

  it('folder 0700 and files 0600', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1024 }, 6);
    await log.close();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = await listAuditFiles(dir);
    assert.ok(files.length >= 2);
    for (const f of files) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    chmodSync(dir, 0o755);
    chmodSync(files[0] as string, 0o644);
    const warnings: string[] = [];
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01', maxFileBytes: 1024, onWarning: (code) => warnings.push(code) });
    await again.close();
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'an existing folder open to others is closed');
    assert.equal(statSync(files[0] as string).mode & 0o777, 0o600, 'and so is a file');
    assert.deepEqual(warnings, ['audit_folder_mode_fixed', 'audit_folder_mode_fixed']);
  });

  it('concurrent appends are serialised in call order, one sequence each', async () => {
    const dir = freshDir();
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01', maxBatch: 7 });
    const reasons = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const out = await Promise.all(reasons.map((reason) => log.append({ event: 'session_locked', decision: 'lock', reason })));
    await log.close();
    assert.deepEqual(out.map((r) => r.reason), reasons);
    assert.deepEqual(out.map((r) => r.seq), reasons.map((_, i) => i + 1));
    assert.deepEqual(readLinesOf(log.currentFile).map((l) => parse(l).reason), reasons);
  });

  it('fsync is called on the file handle, with the record on disk, before append resolves', async () => {
    const dir = freshDir();
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const original = proto.sync;
    const events: string[] = [];
    const spy = mock.method(proto, 'sync', function (this: unknown) {
      const text = readFileSync(log.currentFile, 'utf8');
      events.push(`sync:${text.split('\n').filter(Boolean).length}`);
      return original.call(this);
    });
    try {
      const p1 = log.append(sampleInput(0)).then(() => events.push('resolved:1'));
      await p1;
      const p2 = log.append(sampleInput(1)).then(() => events.push('resolved:2'));
      await p2;
    } finally {
      spy.mock.restore();
    }
    await log.close();
    assert.deepEqual(events, ['sync:1', 'resolved:1', 'sync:2', 'resolved:2']);
  });

  it('a failed fsync rejects the append and every later one (no decision without its record)', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 2);
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const spy = mock.method(proto, 'sync', () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })));
    try {
      await assert.rejects(log.append(sampleInput(2)), (e: unknown) => e instanceof AuditError && e.code === 'audit_io' && /EIO/.test(e.message));
    } finally {
      spy.mock.restore();
    }
    await assert.rejects(log.append(sampleInput(3)), (e: unknown) => e instanceof AuditError && e.code === 'audit_io');
    await log.close();
    // the unsynced record may be on disk: reopening continues a valid chain either way
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    await again.append(sampleInput(3));
    await again.close();
    assert.ok((await verifyAuditFile(await listAuditFiles(dir))).ok);
  });

  it('a closed log refuses appends; a failing subscriber is reported but the record stays durable', async () => {
    const dir = freshDir();
    const warnings: string[] = [];
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01', onWarning: (code, message) => warnings.push(`${code}: ${message}`) });
    log.subscribe(() => {
      throw new Error('queue disk full');
    });
    const r = await log.append(sampleInput(0));
    assert.equal(r.seq, 1);
    assert.deepEqual(warnings, ['audit_subscriber_failed: queue disk full']);
    await log.close();
    await assert.rejects(log.append(sampleInput(1)), (e: unknown) => e instanceof AuditError && e.code === 'audit_closed');
    assert.equal(readLinesOf(log.currentFile).length, 1);
  });

  it('one writer per log: a second open is refused while the first is live; a dead writer\'s lock is taken over', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 1);
    await assert.rejects(AuditLog.open({ dir, workstation: 'PC-URG-01' }), (e: unknown) => e instanceof AuditError && e.code === 'audit_io' && new RegExp(`in use by process ${process.pid}`).test(e.message));
    await log.close();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'audit.lock'), `${gone.stdout}\n`);
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    assert.equal(readFileSync(join(dir, 'audit.lock'), 'utf8'), `${process.pid}\n`);
    await again.close();
    assert.throws(() => statSync(join(dir, 'audit.lock')), /ENOENT/);
  });

  it('recordThenApply: the effect runs after the record is durable, and never when it cannot be written', async () => {
    const dir = freshDir();
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    let applied = 0;
    const seen = await recordThenApply(log, sampleInput(0), (r) => {
      applied += 1;
      assert.ok(readFileSync(log.currentFile, 'utf8').includes(r.hash), 'on disk when the effect runs');
      return r.seq;
    });
    assert.equal(seen, 1);
    await assert.rejects(recordThenApply(log, { ...sampleInput(1), details: { reader: '0000' } }, () => { applied += 1; }), (e: unknown) => e instanceof AuditError);
    await log.close();
    await assert.rejects(recordThenApply(log, sampleInput(1), () => { applied += 1; }), (e: unknown) => e instanceof AuditError && e.code === 'audit_closed');
    assert.equal(applied, 1);
  });

  it('a refused input consumes no sequence number', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 1);
    await assert.rejects(log.append({ ...sampleInput(0), details: { reader: '1234' } }), (e: unknown) => e instanceof AuditError && e.code === 'audit_record_invalid');
    const r = await log.append(sampleInput(1));
    await log.close();
    assert.equal(r.seq, 2);
  });
});

describe('audit log: rotation', () => {
  it('by size: each new file starts with a rotation record chained to the previous file', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 20);
    await log.close();
    const files = await listAuditFiles(dir);
    assert.ok(files.length >= 4, `${files.length} files`);
    for (let i = 1; i < files.length; i++) {
      const lastBefore = parse(readLinesOf(files[i - 1] as string).at(-1) as string);
      const head = parse(readLinesOf(files[i] as string)[0] as string);
      assert.equal(head.event, 'log_rotated');
      assert.equal(head.reason, 'rotation_size');
      assert.equal(head.prev, lastBefore.hash);
      assert.equal(head.seq, lastBefore.seq + 1);
      assert.deepEqual(head.details, { previousFile: basename(files[i - 1] as string), previousLastSeq: lastBefore.seq });
      assert.ok(statSync(files[i - 1] as string).size <= 1500);
    }
    const v = await verifyAuditFile(files);
    assert.ok(v.ok);
    assert.equal(v.records, 20 + files.length - 1);
  });

  it('by date: a record on a new UTC day opens a new file (injected clock)', async () => {
    const dir = freshDir();
    let now = new Date('2026-11-23T23:59:58.000Z');
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01', rotateDaily: true, clock: () => now });
    await log.append(sampleInput(0));
    await log.append(sampleInput(1));
    now = new Date('2026-11-24T00:00:01.000Z');
    await log.append(sampleInput(2));
    await log.close();
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01', rotateDaily: true, clock: () => now });
    await again.append(sampleInput(3)); // same day as the current file: no rotation after reopen
    now = new Date('2026-11-25T08:00:00.000Z');
    await again.append(sampleInput(0));
    await again.close();
    const files = await listAuditFiles(dir);
    assert.equal(files.length, 3);
    assert.deepEqual(files.map((f) => readLinesOf(f).map((l) => parse(l).event)), [
      ['auth_succeeded', 'session_locked'],
      ['log_rotated', 'reidentification', 'auth_failed'],
      ['log_rotated', 'auth_succeeded'],
    ]);
    assert.equal(parse(readLinesOf(files[1] as string)[0] as string).reason, 'rotation_date');
    assert.ok((await verifyAuditFile(files)).ok);
  });

  it('verify detects a missing middle file and names the file after the hole', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 20);
    await log.close();
    const files = await listAuditFiles(dir);
    const without = files.filter((_, i) => i !== 2);
    const v = await verifyAuditFile(without);
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.problem, 'removed');
    assert.equal(v.firstBadRecord.file, files[3]);
    assert.equal(v.firstBadRecord.line, 1);
    assert.match(v.detail, new RegExp(basename(files[2] as string)));
  });

  it('a set whose oldest files were pruned verifies only when that is allowed', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 20);
    await log.close();
    const files = (await listAuditFiles(dir)).slice(2);
    const strict = await verifyAuditFile(files);
    assert.equal(strict.ok ? 'ok' : strict.problem, 'removed');
    const pruned = await verifyAuditFile(files, { allowPrunedStart: true });
    assert.ok(pruned.ok);
  });

  it('verify detects a middle file truncated at a record boundary (the next rotation record says where it ended)', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 20);
    await log.close();
    const files = await listAuditFiles(dir);
    const victim = files[1] as string;
    const lines = readLinesOf(victim);
    writeFileSync(victim, lines.slice(0, -1).map((l) => `${l}\n`).join(''));
    const v = await verifyAuditFile(files);
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.problem, 'truncated');
    assert.deepEqual(v.firstBadRecord, { file: victim, line: lines.length, seq: parse(lines.at(-1) as string).seq });
  });
});

describe('audit log: torn tail repair on open', () => {
  it('a last line cut mid-record is truncated away and a log_repaired record says how many bytes', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 4);
    const file = log.currentFile;
    await log.close();
    const before = readFileSync(file);
    const torn = readLinesOf(file)[1]?.slice(0, 57) as string; // what a crash mid-write leaves
    appendFileSync(file, torn);
    assert.equal((await verifyAuditFile(file)).ok, false);
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    assert.deepEqual(again.repaired, { file: basename(file), bytesCut: 57 });
    await again.close();
    assert.deepEqual(readFileSync(file).subarray(0, before.length), before);
    const last = parse(readLinesOf(file).at(-1) as string);
    assert.equal(last.event, 'log_repaired');
    assert.deepEqual(last.details, { repairedFile: basename(file), bytesCut: 57 });
    assert.equal(last.seq, 5);
    const v = await verifyAuditFile(file);
    assert.ok(v.ok);
    assert.equal(v.records, 5);
  });

  it('the repair record is durable before the file is cut: a crash in between loses no evidence', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 3);
    const file = log.currentFile;
    await log.close();
    const garbage = `${'x'.repeat(900)}\n${'y'.repeat(300)}`;
    appendFileSync(file, garbage);
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { truncate: () => Promise<void> };
    await probe.close();
    const spy = mock.method(proto, 'truncate', () => Promise.reject(Object.assign(new Error('killed'), { code: 'EIO' })));
    try {
      await assert.rejects(AuditLog.open({ dir, workstation: 'PC-URG-01' }), (e: unknown) => e instanceof AuditError && e.code === 'audit_io');
    } finally {
      spy.mock.restore();
    }
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    await again.close();
    const records = readLinesOf(file).map(parse);
    assert.deepEqual(records.map((r) => r.event), ['auth_succeeded', 'session_locked', 'reidentification', 'log_repaired', 'log_repaired']);
    assert.equal(records[3]?.details?.bytesCut, Buffer.byteLength(garbage));
    assert.equal(records[4]?.details?.bytesCut, Buffer.byteLength(garbage) - Buffer.byteLength(recordLine(records[3] as AuditRecord)));
    assert.ok((await verifyAuditFile(file)).ok);
  });

  it('garbage lines after the last record (e.g. zero-filled blocks) are cut too', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 3);
    const file = log.currentFile;
    await log.close();
    appendFileSync(file, Buffer.concat([Buffer.alloc(100), Buffer.from('\n{"v":1,\n')]));
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
    assert.equal(again.repaired?.bytesCut, 109);
    await again.close();
    assert.ok((await verifyAuditFile(file)).ok);
  });

  it('a rotated file left empty or torn by a crash gets its rotation record, then the repair record', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 8);
    await log.close();
    const files = await listAuditFiles(dir);
    const last = files.at(-1) as string;
    truncateSync(last, 30);
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 });
    assert.equal(again.repaired?.bytesCut, 30);
    await again.close();
    assert.deepEqual(readLinesOf(last).map((l) => parse(l).event), ['log_rotated', 'log_repaired']);
    assert.ok((await verifyAuditFile(files)).ok);
  });

  it('an altered last record is not "repaired" away: open refuses', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01' }, 3);
    const file = log.currentFile;
    await log.close();
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"wrong_pin"/g, '"two_factor_ok"').replace(/"reidentification"/, '"session_opened"'));
    const lines = readLinesOf(file);
    assert.equal(parseRecordLine(lines.at(-1) as string).ok, false);
    await assert.rejects(AuditLog.open({ dir, workstation: 'PC-URG-01' }), (e: unknown) => e instanceof AuditError && e.code === 'audit_log_corrupt');
  });

  it('an empty last file (crash right after rotation created it) is continued', async () => {
    const dir = freshDir();
    const log = await fillLog({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 8);
    await log.close();
    const files = await listAuditFiles(dir);
    const next = join(dir, `audit-${String(files.length + 1).padStart(6, '0')}.jsonl`);
    writeFileSync(next, '');
    const again = await AuditLog.open({ dir, workstation: 'PC-URG-01', maxFileBytes: 1500 });
    assert.equal(again.repaired, undefined);
    await again.append(sampleInput(0));
    await again.close();
    assert.deepEqual(readLinesOf(next).map((l) => parse(l).reason), ['rotation_resumed', 'two_factor_ok']);
    assert.ok((await verifyAuditFile(await listAuditFiles(dir))).ok);
    unlinkSync(next);
  });
});
