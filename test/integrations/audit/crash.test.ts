/**
 * kill -9 at random moments while a child process appends: after each kill the log reopens,
 * verifies, keeps every record whose append had resolved, and a torn last line (when the kill
 * cut a write) is repaired with a `log_repaired` record.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { AuditLog, listAuditFiles, parseRecordLine, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { tempDir } from './helpers.js';

const CHILD = resolve(import.meta.dirname, 'append-loop.js');
const ITERATIONS = 6;
const SHORT_WRITE_ITERATIONS = 6;
const tmp = tempDir('tessera-audit-crash-');
after(() => tmp.cleanup());

interface Run {
  readonly acked: number;
  readonly readySeq: number;
}

/** Starts the appender, lets it run for a random time, kills it with SIGKILL. */
function runAndKill(dir: string, shortWrites: boolean): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CHILD, dir, ...(shortWrites ? ['short-writes'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // kill once the child is in its loop (a first batch acknowledged), at a random moment after
      if (!killed && out.startsWith('ready') && out.split('\n').length > 2) {
        killed = true;
        void sleep(randomInt(20, 250)).then(() => child.kill('SIGKILL'));
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('error', fail);
    child.once('close', (code, signal) => {
      if (signal !== 'SIGKILL') return fail(new Error(`child ended with ${code ?? signal}: ${err}`));
      const lines = out.split('\n');
      const readySeq = Number((lines[0] ?? '').split(' ')[1]);
      // only whole lines count: the last one may have been cut by the kill
      const acked = lines.slice(1, -1).filter(Boolean).map(Number);
      done({ acked: acked.length > 0 ? Math.max(...acked) : readySeq, readySeq });
    });
  });
}

describe('audit log: kill -9 during writes', () => {
  it(`survives ${ITERATIONS + SHORT_WRITE_ITERATIONS} SIGKILLs at random moments: verifies, keeps acknowledged records, repairs torn tails`, async () => {
    const dir = join(tmp.dir, 'audit');
    let lastAcked = 0;
    let repairs = 0;
    let shortRepairs = 0;
    for (let i = 0; i < ITERATIONS + SHORT_WRITE_ITERATIONS; i++) {
      const shortWrites = i % 2 === 1;
      const run = await runAndKill(dir, shortWrites);
      assert.ok(run.readySeq >= lastAcked, `iteration ${i}: the log restarted at ${run.readySeq} after ${lastAcked} was acknowledged`);
      lastAcked = run.acked;
      const files = await listAuditFiles(dir);
      const log = await AuditLog.open({ dir, workstation: 'PC-CRASH-01', maxFileBytes: 48 * 1024 });
      assert.ok(log.lastSeq >= run.acked, `iteration ${i}: record ${run.acked} was acknowledged but the log ends at ${log.lastSeq}`);
      if (log.repaired) {
        repairs += 1;
        if (shortWrites) shortRepairs += 1;
        const lines = readFileSync(log.currentFile, 'utf8').trimEnd().split('\n');
        const last = parseRecordLine(lines.at(-1) as string);
        assert.ok(last.ok && last.record.event === 'log_repaired' && last.record.details?.bytesCut === log.repaired.bytesCut);
      }
      lastAcked = Math.max(lastAcked, log.lastSeq);
      await log.close();
      const v = await verifyAuditFile(await listAuditFiles(dir));
      assert.ok(v.ok, `iteration ${i}: ${JSON.stringify(v)}`);
      assert.ok(files.length >= 1);
    }
    const v = await verifyAuditFile(await listAuditFiles(dir));
    assert.ok(v.ok);
    assert.ok(v.records > ITERATIONS * 40, `${v.records} records`);
    // With short writes the child spends ~90% of its time with a half-written line on disk.
    assert.ok(shortRepairs >= 1, 'at least one kill landed mid-line and was repaired');
    process.stdout.write(`# kill -9: ${ITERATIONS + SHORT_WRITE_ITERATIONS} kills, ${repairs} torn tails repaired (${shortRepairs} with short writes), ${v.records} records, ${(await listAuditFiles(dir)).length} files\n`);
  });
});
