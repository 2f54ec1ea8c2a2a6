/**
 * Child process of the disk-full test (not a test itself), run under `unshare -m` as root: mounts
 * a 256 KiB tmpfs as the audit folder, starts an agent runtime on its own test bed, opens a CPS
 * session, fills the tmpfs with a filler file, then drives lock / sign-out over the control
 * channel and CPS logins until an audit append fails. It then checks the failing decision did
 * not take effect, frees the space (deletes the filler) and repeats the same request; then a lock
 * that cannot be recorded (it fails closed: takes effect, reported). It prints
 * one JSON line of what it observed; the test asserts on it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient, ControlError } from '../../src/main/integrations/control/index.js';
import { listAuditFiles, verifyAuditFile } from '../../src/main/integrations/audit/index.js';
import type { EngineAgentRecord } from '../../src/main/shells/agent/engine-agent.js';
import { openTestBed } from '../testbed/bed.js';
import { CpsCard } from '../testbed/cards/cps-card.js';
import { getSharedTestPki } from '../testbed/pki/test-pki.js';
import { startTestRuntime } from '../shells/agent/runtime-fixture.js';
import { until } from '../shells/agent/until.js';

interface Failure {
  readonly step: string;
  readonly code: string;
  readonly before: string;
  readonly after: string;
}

const base = mkdtempSync(join(tmpdir(), 'tessera-diskfull-'));
const mnt = join(base, 'audit');
mkdirSync(mnt, { mode: 0o700 });
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt]);

/** Writes the filler until the tmpfs says ENOSPC; returns its size. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0x2e);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, block);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return size;
}

const bed = await openTestBed();
const reports: EngineAgentRecord[] = [];
const t = await startTestRuntime('diskfull', { config: { audit: { dir: mnt } }, report: (r) => reports.push(r) });
const runtime = t.runtime;
let recorded = 0;
runtime.engine.onRecorded(() => (recorded += 1));
const pki = await getSharedTestPki();
const cert = await pki.issueCardCertificate();
const card = (): CpsCard => new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' });
const state = (): string => runtime.engine.status().state;

/** Inserts the card; resolves once the session is active or the agent reported an error. */
async function login(): Promise<{ ok: boolean; code?: string }> {
  const from = reports.length;
  await bed.insert(0, card());
  const failed = (): { code: string } | undefined => {
    for (const r of reports.slice(from)) if (r.type === 'error' || r.type === 'login') return r;
    return undefined;
  };
  await until('the login to end', () => state() === 'active' || failed() !== undefined);
  await runtime.agent.idle();
  await runtime.engine.idle();
  const f = failed();
  return f === undefined ? { ok: true } : { ok: false, code: f.code };
}

const client = await ControlClient.connect(t.socketPath);
/** A control request; a refusal becomes its remote code. */
async function control(method: 'lock' | 'signOut'): Promise<{ ok: boolean; code?: string }> {
  try {
    await client.request(method);
    return { ok: true };
  } catch (e) {
    return { ok: false, code: e instanceof ControlError ? (e.remoteCode ?? e.code) : String(e) };
  }
}

const first = await login();
if (!first.ok) throw new Error(`first login failed: ${first.code ?? ''}`);
const filler = join(mnt, 'filler.bin');
const fillerBytes = fill(filler);

type Step = () => Promise<{ ok: boolean; code?: string }>;
const steps: Array<[string, Step]> = [
  ['lock', () => control('lock')],
  ['signOut', () => control('signOut')],
  ['login', async () => {
    await bed.eject(0);
    await until('the card removal', () => runtime.agent.readers().every((r) => !r.card));
    await runtime.agent.idle();
    await runtime.engine.idle();
    return login();
  }],
];

/** Runs the steps in turn from `start` until one is refused; returns it (and how to retry it). */
async function untilRefused(start: number): Promise<{ failure: Failure | undefined; retry: Step; passed: number }> {
  let passed = 0;
  for (let n = 0; n < 120; n++) {
    const [step, run] = steps[(start + n) % steps.length] as [string, Step];
    const before = state();
    const r = await run();
    if (!r.ok) return { failure: { step, code: r.code ?? '', before, after: state() }, retry: run, passed };
    passed += 1;
  }
  return { failure: undefined, retry: () => Promise.resolve({ ok: false }), passed };
}

const round1 = await untilRefused(0);
const failure = round1.failure;
const retry = round1.retry;
const stepsBeforeFailure = round1.passed;
const recordedAtFailure = recorded;
// while the disk is still full, the next request is refused too and changes nothing
const stillFull = failure ? await retry() : { ok: false };
const stateWhileFull = state();
rmSync(filler);
const before = state();
const afterFree = failure ? await retry() : { ok: false };
const stateAfterFree = state();
// one more decision after the gap
const lock = state() === 'active' ? await control('lock') : await control('signOut');
// A second fill, this time for a restrictive request: from an open session, fill the tmpfs, then
// take the audit file's last free bytes with info records (the refused one is cut back), so the
// next lock over the control channel cannot be recorded. A lock fails closed: it takes effect
// and the agent reports `decision_not_recorded`.
if (state() !== 'signed_out') await control('signOut');
await steps[2]?.[1]();
const round2Before = state();
fill(filler);
let padding = 0;
for (;;) {
  try {
    await runtime.audit.append({ event: 'degraded_mode_entered', decision: 'info', reason: 'network_down' });
    padding += 1;
  } catch {
    break;
  }
}
const reportsBefore = reports.length;
const fileBefore = readFileSync(runtime.audit.currentFile);
const lockFull = await control('lock');
const round2AfterRefusal = state();
const fileUnchanged = readFileSync(runtime.audit.currentFile).equals(fileBefore);
const reportedWhileFull = reports.slice(reportsBefore).flatMap((r) => (r.type === 'error' ? [r.code] : []));
rmSync(filler);
const signOutFreed = await control('signOut');
const round2 = { before: round2Before, padding, lockFull, afterLock: round2AfterRefusal, fileUnchanged, reportedWhileFull, signOutFreed, after: state() };
client.close();
await t.runtime.stop();
const files = await listAuditFiles(mnt);
const verified = await verifyAuditFile(files);
await bed.close();
process.stdout.write(
  `${JSON.stringify({
    fillerBytes,
    stepsBeforeFailure,
    failure,
    stillFull: { ...stillFull, state: stateWhileFull },
    recordedAtFailure,
    afterFree: { ...afterFree, before, state: stateAfterFree },
    lastStep: lock,
    round2,
    recorded,
    verified,
    reports: reports.filter((r) => r.type === 'error').map((r) => (r.type === 'error' ? r.code : '')),
  })}\n`,
);
execFileSync('umount', [mnt]);
rmSync(base, { recursive: true, force: true });
rmSync(t.dir, { recursive: true, force: true });
