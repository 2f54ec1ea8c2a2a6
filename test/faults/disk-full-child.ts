/**
 * Child process of the disk-full test (not a test itself), run under `unshare -m` as root: mounts
 * a 256 KiB tmpfs as the audit folder, starts an agent runtime on its own test bed, opens a CPS
 * session, fills the tmpfs with a filler file, then drives lock / sign-out over the control
 * channel and CPS logins until an audit append fails. It then checks the failing decision did
 * not take effect, frees the space (deletes the filler) and repeats the same request. It prints
 * one JSON line of what it observed; the test asserts on it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
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

let failure: Failure | undefined;
let retry: () => Promise<{ ok: boolean; code?: string }> = () => Promise.resolve({ ok: false });
let stepsBeforeFailure = 0;
const steps: Array<[string, () => Promise<{ ok: boolean; code?: string }>]> = [
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
outer: for (let cycle = 0; cycle < 40; cycle++) {
  for (const [step, run] of steps) {
    const before = state();
    const r = await run();
    if (!r.ok) {
      failure = { step, code: r.code ?? '', before, after: state() };
      retry = run;
      break outer;
    }
    stepsBeforeFailure += 1;
  }
}

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
    recorded,
    verified,
    reports: reports.filter((r) => r.type === 'error').map((r) => (r.type === 'error' ? r.code : '')),
  })}\n`,
);
execFileSync('umount', [mnt]);
rmSync(base, { recursive: true, force: true });
rmSync(t.dir, { recursive: true, force: true });
