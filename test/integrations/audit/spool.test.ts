/**
 * The forwarding queue on disk: acknowledged offset checked by hash on reopen (a crash between
 * compaction and the acknowledgement), compaction, a damaged head line skipped with a warning.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditSpool, GENESIS_HASH, recordLine, sealRecord, type SpoolWarning, type WrittenRecord } from '../../../src/main/integrations/audit/index.js';
import { sampleInput, tempDir } from './helpers.js';

const tmp = tempDir('tessera-audit-spool-');
after(() => tmp.cleanup());
let n = 0;
const freshDir = (): string => join(tmp.dir, `spool-${n++}`);

function chain(count: number): WrittenRecord[] {
  const out: WrittenRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 0; i < count; i++) {
    const record = sealRecord(sampleInput(i), { seq: i + 1, prev, workstation: 'PC-URG-01', now: new Date('2026-11-23T08:00:00.000Z') });
    out.push({ record, line: recordLine(record) });
    prev = record.hash;
  }
  return out;
}

describe('audit forwarding queue (spool)', () => {
  it('peek from the acknowledged offset, ack, reopen: resumes after the last acknowledged record', async () => {
    const dir = freshDir();
    const records = chain(6);
    const spool = await AuditSpool.open({ dir, name: 'http' });
    await spool.enqueue(records);
    const first = await spool.peek(4);
    assert.deepEqual(first.map((x) => x.record.seq), [1, 2, 3, 4]);
    await spool.ack((first[1] as { end: number }).end, records[1]?.record.hash as string);
    await spool.close();
    assert.equal(statSync(join(dir, 'http.spool.jsonl')).mode & 0o777, 0o600);
    const again = await AuditSpool.open({ dir, name: 'http' });
    assert.deepEqual((await again.peek(10)).map((x) => x.record.seq), [3, 4, 5, 6]);
    assert.equal(again.lastQueuedHash, records[5]?.record.hash);
    await again.close();
  });

  it('everything acknowledged: the spool file is emptied, the last hash kept', async () => {
    const dir = freshDir();
    const records = chain(3);
    const spool = await AuditSpool.open({ dir, name: 'http' });
    await spool.enqueue(records);
    const all = await spool.peek(10);
    await spool.ack((all.at(-1) as { end: number }).end, records[2]?.record.hash as string);
    assert.equal(statSync(join(dir, 'http.spool.jsonl')).size, 0);
    assert.equal(spool.pendingBytes, 0);
    await spool.close();
    const again = await AuditSpool.open({ dir, name: 'http' });
    assert.equal(again.lastQueuedHash, records[2]?.record.hash);
    assert.deepEqual(await again.peek(10), []);
    await again.close();
  });

  it('compaction keeps the unacknowledged tail; a stale acknowledgement (crash before it was rewritten) is detected by hash', async () => {
    const dir = freshDir();
    const records = chain(10);
    const spool = await AuditSpool.open({ dir, name: 'http', maxBytes: 6 * 1024 });
    await spool.enqueue(records);
    const head = await spool.peek(9);
    await spool.ack((head.at(-1) as { end: number }).end, records[8]?.record.hash as string); // > half of the bound: compacts
    assert.equal(readFileSync(join(dir, 'http.spool.jsonl'), 'utf8'), records[9]?.line);
    await spool.close();
    // simulate the crash window: the acknowledgement still names the old offset
    writeFileSync(join(dir, 'http.ack.json'), JSON.stringify({ offset: head.at(-1)?.end, hash: records[8]?.record.hash }));
    const again = await AuditSpool.open({ dir, name: 'http', maxBytes: 6 * 1024 });
    assert.deepEqual((await again.peek(10)).map((x) => x.record.seq), [10], 'restarts at the start of the compacted spool, not past its end');
    await again.close();
  });

  it('when offset and hash disagree, the hash decides where sending resumes', async () => {
    const dir = freshDir();
    const records = chain(5);
    const spool = await AuditSpool.open({ dir, name: 'http' });
    await spool.enqueue(records);
    const all = await spool.peek(10);
    await spool.close();
    writeFileSync(join(dir, 'http.ack.json'), JSON.stringify({ offset: all[2]?.end, hash: records[0]?.record.hash }));
    const again = await AuditSpool.open({ dir, name: 'http' });
    assert.deepEqual((await again.peek(10)).map((x) => x.record.seq), [2, 3, 4, 5]);
    await again.close();
    writeFileSync(join(dir, 'http.ack.json'), '{"offset": "not a number"');
    const third = await AuditSpool.open({ dir, name: 'http' });
    assert.deepEqual((await third.peek(10)).map((x) => x.record.seq), [1, 2, 3, 4, 5], 'an unreadable acknowledgement means: send everything again');
    await third.close();
  });

  it('a damaged line at the head is skipped with a warning instead of blocking the queue', async () => {
    const dir = freshDir();
    const records = chain(3);
    const warnings: SpoolWarning[] = [];
    const spool = await AuditSpool.open({ dir, name: 'http', onWarning: (w) => warnings.push(w) });
    await spool.close();
    appendFileSync(join(dir, 'http.spool.jsonl'), `{"v":1,"seq":garbage\n${records.map((r) => r.line).join('')}`);
    const again = await AuditSpool.open({ dir, name: 'http', onWarning: (w) => warnings.push(w) });
    assert.deepEqual((await again.peek(10)).map((x) => x.record.seq), [1, 2, 3]);
    assert.deepEqual(warnings.map((w) => w.code), ['audit_spool_skipped_line']);
    await again.close();
  });
});
