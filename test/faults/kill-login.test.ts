/**
 * kill -9 at random points of a CPS login, 100 times: a child process agent (`login-child.ts`:
 * the real runtime on this process's test bed: pcscd, vpcd, a simulated CPS card, PIN typed) is
 * killed with SIGKILL after a random delay that covers the card insertion, the PIN, the decision
 * and its audit append. Each restart on the same audit folder starts clean and signed out
 * (`status` over the control channel), a torn tail is repaired with a `log_repaired` record, the
 * chain verifies after every kill, and every decision the child printed as recorded is in the log.
 * Every other child cuts its file writes in two, 40 ms apart, so that some kills tear a line.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listAuditFiles, parseRecordLine, verifyAuditFile, type AuditRecord } from '../../src/main/integrations/audit/index.js';
import { ControlClient } from '../../src/main/integrations/control/index.js';
import { openTestBed, type TestBed } from '../testbed/bed.js';
import { CpsCard } from '../testbed/cards/cps-card.js';
import { getSharedTestPki } from '../testbed/pki/test-pki.js';

const CHILD = resolve(import.meta.dirname, 'login-child.js');
const ITERATIONS = Number(process.env['TESSERA_KILL_ITERATIONS'] ?? 100);

interface Line {
  readonly type: string;
  readonly [k: string]: unknown;
}

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: Line[];
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  readonly ready: Promise<Line>;
}

function startChild(auditDir: string, socket: string, trustPem: string, slowWrites = false): Child {
  const proc = spawn(process.execPath, ['--enable-source-maps', CHILD, auditDir, socket, trustPem, ...(slowWrites ? ['slow-writes'] : [])], { env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let buf = '';
  let stderr = '';
  let onReady: (l: Line) => void = () => undefined;
  const ready = new Promise<Line>((r) => (onReady = r));
  proc.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const p of parts) {
      const l = JSON.parse(p) as Line;
      lines.push(l);
      if (l.type === 'ready') onReady(l);
    }
  });
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => proc.once('close', (code, signal) => done({ code, signal, stderr })));
  // a child that dies before `ready` fails the wait instead of hanging it
  void closed.then((c) => onReady({ type: 'died', ...c }));
  return { proc, lines, closed, ready };
}

async function auditRecords(dir: string): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (const f of await listAuditFiles(dir)) {
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      if (l.length === 0) continue;
      const r = parseRecordLine(l);
      if (r.ok) out.push(r.record);
    }
  }
  return out;
}

/** Starts a child on the folder, checks it starts clean and signed out; returns it and its `ready` line. */
async function restart(auditDir: string, socket: string, trustPem: string, i: number, slowWrites = false): Promise<{ child: Child; ready: Line }> {
  const child = startChild(auditDir, socket, trustPem, slowWrites);
  const ready = await child.ready;
  assert.equal(ready.type, 'ready', `iteration ${i}: the agent did not start: ${JSON.stringify(ready)}`);
  assert.equal(ready['state'], 'signed_out', `iteration ${i}: state at start`);
  const client = await ControlClient.connect(socket);
  try {
    const s = await client.status();
    assert.equal(s.state, 'signed_out', `iteration ${i}: a session is open after the restart`);
    assert.equal(s.session, undefined);
  } finally {
    client.close();
  }
  return { child, ready };
}

describe('agent killed with kill -9 at random points of a login', () => {
  let bed: TestBed;
  let dir: string;
  before(async () => {
    bed = await openTestBed();
    dir = mkdtempSync(join(tmpdir(), 'tessera-kill-login-'));
  });
  after(async () => {
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${ITERATIONS} SIGKILLs: each restart is clean and signed out, the chain verifies, nothing recorded is lost`, async () => {
    const pki = await getSharedTestPki();
    const trustPem = join(dir, 'trust.pem');
    writeFileSync(trustPem, pki.root.certificate.toString() + pki.intermediate.certificate.toString());
    const cert = await pki.issueCardCertificate();
    const auditDir = join(dir, 'audit');
    const socket = join(dir, 'agent.sock');

    // One uninterrupted login first: how long the whole login takes sets the range of kill delays.
    let { child } = await restart(auditDir, socket, trustPem, -1);
    const t0 = performance.now();
    await bed.insert(0, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    while (!child.lines.some((l) => l.type === 'recorded' && l['decision'] === 'open')) await sleep(5);
    const loginMs = performance.now() - t0;
    child.proc.kill('SIGTERM');
    assert.equal((await child.closed).code, 0);
    await bed.eject(0);
    const maxDelay = Math.ceil(loginMs * 1.6);

    const started = performance.now();
    let repairs = 0;
    let opened = 0;
    let reported = 0;
    const phases = { beforeOpen: 0, afterOpen: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      // every other child writes slowly (half a line, 40 ms, the rest), so some kills cut a record line
      const slow = i % 2 === 1;
      const r = await restart(auditDir, socket, trustPem, i, slow);
      child = r.child;
      const fromSeq = Number(r.ready['lastSeq']);
      if (r.ready['repaired'] !== null) {
        repairs += 1;
        const last = (await auditRecords(auditDir)).at(-1);
        assert.equal(last?.event, 'log_repaired', `iteration ${i}: a repaired tail is said with log_repaired`);
      }
      // the kill timer runs from before the insertion: it can land in the insertion, the PIN, the decision or the append
      // the others cover the whole login; the slow ones aim at its end, where the decision is written
      const delay = slow ? randomInt(Math.floor(loginMs * 0.6), maxDelay + 40) : randomInt(0, maxDelay);
      const killed = sleep(delay).then(() => child.proc.kill('SIGKILL'));
      await bed.insert(0, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' })).catch(() => undefined);
      await killed;
      const end = await child.closed;
      assert.equal(end.signal, 'SIGKILL', `iteration ${i}: the child ended on its own: ${end.stderr}`);
      await bed.eject(0);

      const v = await verifyAuditFile(await listAuditFiles(auditDir));
      assert.ok(v.ok || (v.problem === 'truncated' && v.firstBadRecord?.seq === v.records + 1), `iteration ${i}: ${JSON.stringify(v)}`);
      // every decision the child printed as recorded is in the log, in order, after its start
      const run = (await auditRecords(auditDir)).filter((a) => a.seq > fromSeq);
      const recorded = child.lines.filter((l) => l.type === 'recorded');
      let k = 0;
      for (const d of recorded) {
        while (k < run.length && !(run[k]?.event === d['event'] && run[k]?.decision === d['decision'] && run[k]?.reason === d['reason'] && run[k]?.time === d['at'])) k++;
        assert.ok(k < run.length, `iteration ${i}: the recorded ${JSON.stringify(d)} is not in the audit log`);
        k++;
      }
      reported += recorded.length;
      if (recorded.some((l) => l['decision'] === 'open')) opened += 1;
      if (run.some((a) => a.decision === 'open')) phases.afterOpen += 1;
      else phases.beforeOpen += 1;
    }
    const perIteration = (performance.now() - started) / ITERATIONS;

    // a last restart: clean, signed out, and the whole chain verifies
    ({ child } = await restart(auditDir, socket, trustPem, ITERATIONS));
    child.proc.kill('SIGTERM');
    assert.equal((await child.closed).code, 0);
    const v = await verifyAuditFile(await listAuditFiles(auditDir));
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.ok(repairs >= 1, 'at least one kill cut a record line and the next start repaired it');
    assert.ok(phases.beforeOpen > 0 && phases.afterOpen > 0, `kills landed both before and after the open decision: ${JSON.stringify(phases)}`);
    process.stdout.write(`# kill -9 during login: ${ITERATIONS} kills, login ${loginMs.toFixed(0)} ms, delays 0..${maxDelay} ms, ${perIteration.toFixed(0)} ms per iteration, ${phases.beforeOpen} before / ${phases.afterOpen} after the open was durable, ${opened} opens reported, ${reported} decisions reported, ${repairs} torn tails repaired, ${v.records} records\n`);
  });
});
