/**
 * The disk fills up under the audit trail, for real: a child process in its own mount namespace
 * (`unshare -m`, root) puts the audit folder on a 256 KiB tmpfs, opens a CPS session on the test
 * bed, fills the tmpfs with a filler file and drives lock / sign-out / CPS logins until an append
 * fails with ENOSPC. The failing decision does not take effect and is reported with a stable
 * code; nothing written before is lost or damaged; once the filler is deleted the same request
 * is recorded and the chain verifies across the gap. A lock that cannot be recorded fails
 * closed (it takes effect and is reported) and leaves the file untouched.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const CHILD = resolve(import.meta.dirname, 'disk-full-child.js');
const run = promisify(execFile);

interface Outcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly state?: string;
  readonly before?: string;
}

interface Observed {
  readonly fillerBytes: number;
  readonly stepsBeforeFailure: number;
  readonly failure?: { step: string; code: string; before: string; after: string };
  readonly stillFull: Outcome;
  readonly recordedAtFailure: number;
  readonly afterFree: Outcome;
  readonly lastStep: Outcome;
  readonly round2: { before: string; padding: number; lockFull: Outcome; afterLock: string; fileUnchanged: boolean; reportedWhileFull: string[]; signOutFreed: Outcome; after: string };
  readonly recorded: number;
  readonly verified: { ok: boolean; records: number; files?: string[] };
  readonly reports: string[];
}

const canUnshare = process.getuid?.() === 0 && process.platform === 'linux';

describe('audit on a full disk (tmpfs in a private mount namespace)', { skip: canUnshare ? false : 'needs root on Linux (unshare -m, mount tmpfs)' }, () => {
  it('a decision whose append fails with ENOSPC does not take effect; nothing written is lost; recording resumes once space is freed', async () => {
    const { stdout } = await run('unshare', ['-m', '--propagation', 'private', process.execPath, '--enable-source-maps', CHILD], { env: process.env, timeout: 60_000 });
    const o = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Observed;
    process.stdout.write(`# disk full: filler ${o.fillerBytes} B, ${o.stepsBeforeFailure} steps recorded after the fill, failure ${JSON.stringify(o.failure)}, ${o.verified.records} records\n`);
    assert.ok(o.fillerBytes > 200 * 1024, 'the filler took most of the tmpfs');
    // (a) the failing decision did not take effect and was reported with a stable code
    assert.ok(o.failure, 'an append failed once the tmpfs was full');
    assert.equal(o.failure.code, 'decision_not_recorded');
    assert.equal(o.failure.after, o.failure.before, `the ${o.failure.step} changed the state although it was not recorded`);
    assert.ok(o.reports.includes('decision_not_recorded') || o.failure.step !== 'login', 'a refused login is reported by the agent');
    assert.deepEqual([o.stillFull.ok, o.stillFull.code, o.stillFull.state], [false, 'decision_not_recorded', o.failure.before], 'while still full, the retry is refused too and changes nothing');
    // (c) space freed: the same request is recorded and takes effect
    assert.equal(o.afterFree.ok, true, `after the filler was deleted: ${JSON.stringify(o.afterFree)}`);
    assert.notEqual(o.afterFree.state, o.afterFree.before, 'the retried decision took effect');
    assert.equal(o.lastStep.ok, true);
    assert.ok(o.recorded > o.recordedAtFailure, 'decisions were recorded after the gap');
    // a restrictive decision that cannot be recorded fails closed: the lock takes effect, the agent reports it, the file is untouched
    const r2 = o.round2;
    assert.equal(r2.before, 'active');
    assert.ok(r2.padding >= 1, 'info records took the last free bytes');
    assert.deepEqual([r2.lockFull.ok, r2.afterLock], [true, 'locked'], 'the lock takes effect although it is not recorded');
    assert.deepEqual(r2.reportedWhileFull, ['decision_not_recorded']);
    assert.equal(r2.fileUnchanged, true, 'the refused lock left no partial line');
    assert.deepEqual([r2.signOutFreed.ok, r2.after], [true, 'signed_out'], 'space freed: the sign-out is recorded');
    // (b) the chain verifies across the gap and holds every decision the engine reported as recorded
    assert.equal(o.verified.ok, true, JSON.stringify(o.verified));
    assert.ok(o.verified.records >= o.recorded, `${o.verified.records} records on disk for ${o.recorded} recorded decisions`);
  });
});
