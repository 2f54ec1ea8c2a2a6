/**
 * The agent runtime through the real pcscd, with a temporary configuration file, audit folder
 * and control socket: a CPS login opens the session and is on the audit chain before anyone is
 * told; `tessera status --json` (a child process) shows it; removal locks; `lock` over the
 * channel locks; pcscd killed shows degraded `pcsc_unavailable` until it is back; stop leaves a
 * chain that verifies.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFile } from '../../../src/main/config/config.js';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { ControlClient, type ControlEvent } from '../../../src/main/integrations/control/index.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { startAgentRuntime, type AgentRuntime } from '../../../src/main/shells/agent/agent-runtime.js';
import type { EngineAgentRecord } from '../../../src/main/shells/agent/engine-agent.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki, type CardCertificate } from '../../testbed/pki/test-pki.js';
import { until } from './until.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LANG: 'en' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}


interface AuditLine { seq: number; event: string; decision: string; reason: string; person?: string; factors?: string[] }

describe('agent runtime (engine, audit, control) through the real pcscd', () => {
  let bed: TestBed;
  let dir: string;
  let runtime: AgentRuntime;
  let cert: CardCertificate;
  let auditDir: string;
  let socketPath: string;
  const records: EngineAgentRecord[] = [];
  const pins: Buffer[] = [];
  /** The collector the forwarder sends to (in memory). */
  const forwarded: { seq: number; decision: string }[] = [];
  let sinkClosed = false;

  const auditLines = async (): Promise<AuditLine[]> => {
    const files = await listAuditFiles(auditDir);
    return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as AuditLine));
  };
  const card = (): CpsCard => new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '4711' });

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    cert = await pki.issueCardCertificate();
    dir = mkdtempSync(join(tmpdir(), 'tessera-engine-agent-'));
    auditDir = join(dir, 'audit');
    socketPath = join(dir, 'run', 'agent.sock');
    writeFileSync(join(dir, 'anchors.pem'), pki.caBundlePem, { mode: 0o600 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ session: { windowMinutes: 60 }, cps: { trustAnchors: ['anchors.pem'] }, audit: { dir: auditDir }, control: { socketPath } }), { mode: 0o600 });
    const config = loadConfigFile(join(dir, 'config.json'));
    runtime = await startAgentRuntime({
      config,
      workstation: 'poste-test-01',
      trust: TrustStore.fromPemFiles(config.cps.trustAnchors),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      report: (r) => records.push(r),
      forwardSink: {
        name: 'test-collector',
        send: async (record) => {
          forwarded.push({ seq: record.seq, decision: record.decision });
        },
        close: async () => {
          sinkClosed = true;
        },
      },
      pinPad: async () => {
        const pin = Buffer.from('4711');
        pins.push(pin);
        return pin;
      },
    });
  });

  after(async () => {
    await runtime.stop();
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a CPS login opens the session; the decision is on a verifying audit chain; no PIN anywhere', async () => {
    await bed.slots[0].insert(card());
    await until('the session to open', () => runtime.engine.status().state === 'active');
    const s = runtime.engine.status();
    assert.equal(s.current?.means, 'cps');
    assert.deepEqual([...(s.current?.factors ?? [])].sort(), ['knowledge', 'possession']);
    // Recorded before it took effect: the open decision is already on disk.
    const lines = await auditLines();
    const open = lines.find((l) => l.decision === 'open');
    assert.ok(open, `an open record in ${JSON.stringify(lines)}`);
    assert.equal(open.person, s.current?.person.id);
    const v = await verifyAuditFile(await listAuditFiles(auditDir));
    assert.equal(v.ok, true);
    assert.ok(pins.length > 0 && pins.every((p) => p.every((b) => b === 0)), 'PIN buffers wiped');
    const raw = (await listAuditFiles(auditDir)).map((f) => readFileSync(f, 'utf8')).join('');
    assert.ok(!raw.includes('4711') && !JSON.stringify(records).includes('4711'), 'the PIN is in no record');
    // The report callback hears the decision after it is recorded, possibly after the state changed.
    await until('the open decision to be reported', () => records.some((r) => r.type === 'decision' && r.decision === 'open'));
  });

  it('tessera status --json (child process) shows person, means, factors and time left', async () => {
    const r = await run(['status', '--json', '--socket', socketPath]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ok: boolean; status: unknown };
    assert.equal(out.ok, true);
    const status = out.status as { state: string; degraded: boolean; session?: { person: string; means: string; factors: string[]; windowLeftMs: number; locked: boolean }; readers: { name: string; card: boolean }[] };
    assert.equal(status.state, 'active');
    assert.equal(status.session?.person, runtime.engine.status().current?.person.id);
    assert.equal(status.session?.means, 'cps');
    assert.deepEqual([...(status.session?.factors ?? [])].sort(), ['knowledge', 'possession']);
    assert.ok((status.session?.windowLeftMs ?? 0) > 59 * 60_000 && (status.session?.windowLeftMs ?? 0) <= 60 * 60_000);
    assert.equal(status.session?.locked, false);
    assert.equal(status.degraded, false);
    assert.ok(status.readers.some((x) => x.card), 'the reader with the card is listed');
  });

  it('pulling the card locks the session and records the lock', async () => {
    await bed.slots[0].remove();
    await until('the lock', () => runtime.engine.status().locked);
    await runtime.agent.idle();
    const last = (await auditLines()).at(-1);
    assert.equal(last?.decision, 'lock');
    assert.equal(last?.event, 'card_removed');
    assert.equal((await verifyAuditFile(await listAuditFiles(auditDir))).ok, true);
  });

  it('the same card again unlocks; lock over the control channel locks and subscribers see it', async () => {
    await bed.slots[0].insert(card());
    await until('the unlock', () => runtime.engine.status().state === 'active');
    await runtime.agent.idle();
    const client = await ControlClient.connect(socketPath);
    const events: ControlEvent[] = [];
    try {
      await client.subscribe((e) => events.push(e), ['decision']);
      const answer = await client.request('lock');
      assert.equal(answer.decision, 'lock');
      assert.equal(runtime.engine.status().locked, true);
      assert.equal((await client.status()).session?.locked, true);
      await until('the lock event', () => events.length > 0);
      assert.equal((events[0]?.data as { decision: string }).decision, 'lock');
    } finally {
      client.close();
    }
    const lines = await auditLines();
    assert.deepEqual(lines.slice(-2).map((l) => l.decision), ['unlock', 'lock']);
    await bed.slots[0].remove();
    await until('removal seen', () => !runtime.agent.readers().some((r) => r.card));
  });

  it('pcscd killed: status says degraded (pcsc_unavailable); back when pcscd is back', async () => {
    await bed.pcscd.stop({ crash: true });
    await until('degraded', () => runtime.degraded().some((r) => r.code === 'pcsc_unavailable'));
    const client = await ControlClient.connect(socketPath);
    try {
      const down = await client.status();
      assert.equal(down.degraded, true);
      assert.deepEqual(down.degradedMode?.reasons.map((r) => r.code), ['pcsc_unavailable']);
      await bed.pcscd.start();
      await until('recovery', () => runtime.degraded().length === 0, 15_000);
      const up = await client.status();
      assert.equal(up.degraded, false);
      assert.deepEqual(up.degradedMode, { active: false, reasons: [] });
    } finally {
      client.close();
    }
  });

  it('the forwarder sends every audit record to the collector, in order', async () => {
    await runtime.agent.idle();
    const lines = await auditLines();
    await until('every record forwarded', () => lines.every((l) => forwarded.some((f) => f.seq === l.seq)));
    const seqs = [...new Set(forwarded.map((f) => f.seq))];
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in order');
    assert.deepEqual(seqs.slice(0, lines.length), lines.map((l) => l.seq));
    assert.equal(forwarded.find((f) => f.seq === lines.find((l) => l.decision === 'open')?.seq)?.decision, 'open');
  });

  it('stop closes the socket, flushes and leaves a chain that verifies', async () => {
    await runtime.stop();
    const r = await run(['status', '--json', '--socket', socketPath]);
    assert.equal(r.code, 1, 'no agent answers after stop');
    const v = await verifyAuditFile(await listAuditFiles(auditDir));
    assert.equal(v.ok, true);
    assert.ok(v.records >= 4);
    assert.equal(sinkClosed, true, 'the forwarder closed its sink');
  });
});
