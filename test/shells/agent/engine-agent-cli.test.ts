/**
 * `tessera agent` as a child process: an invalid configuration is refused before anything starts
 * (exit 11 naming the field); `--demo` runs the agent with its own test bed (a simulated CPS
 * card is inserted and its session opens), `tessera status` answers, and SIGTERM stops it
 * cleanly: exit 0, socket gone, the audit chain verifies.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

function start(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LANG: 'en' }, stdio: ['pipe', 'pipe', 'pipe'] });
}

function finish(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

/** Resolves with the first JSON line of `child` that `match` accepts. */
function line(child: ChildProcessWithoutNullStreams, match: (o: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolveLine, reject) => {
    let buf = '';
    let err = '';
    const onErr = (b: Buffer): void => {
      err += b.toString();
    };
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onErr);
      reject(new Error(`${why}; stdout: ${buf}; stderr: ${err}`));
    };
    const timer = setTimeout(() => fail('no matching line'), timeoutMs);
    child.stderr.on('data', onErr);
    child.once('close', (code) => fail(`agent exited (${String(code)}) before the line`));
    const onData = (b: Buffer): void => {
      buf += b.toString();
      for (const l of buf.split('\n').slice(0, -1)) {
        const o = JSON.parse(l) as Record<string, unknown>;
        if (match(o)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stderr.off('data', onErr);
          resolveLine(o);
          return;
        }
      }
    };
    child.stdout.on('data', onData);
  });
}

describe('tessera agent (child process)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-agent-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an invalid configuration with exit 11, naming the field, and starts nothing', async () => {
    const config = join(dir, 'bad.json');
    const socket = join(dir, 'bad', 'agent.sock');
    writeFileSync(config, JSON.stringify({ session: { windowMinutes: 0 }, audit: { dir: join(dir, 'bad-audit') }, control: { socketPath: socket } }), { mode: 0o600 });
    const r = await finish(start(['agent', '--config', config]));
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, /session\.windowMinutes/);
    assert.match(r.stderr, /1.720/, 'the allowed values are named');
    assert.equal(existsSync(socket), false, 'no control socket was opened');
    assert.equal(existsSync(join(dir, 'bad-audit')), false, 'no audit folder was created');

    const json = await finish(start(['agent', '--config', config, '--json']));
    assert.equal(json.code, 11);
    const out = JSON.parse(json.stdout) as { ok: boolean; error: string; field: string };
    assert.deepEqual([out.ok, out.error, out.field], [false, 'config_invalid', 'session.windowMinutes']);
  });

  it('--demo opens a session from the simulated card; status answers; SIGTERM stops cleanly with the chain intact', async () => {
    const auditDir = join(dir, 'audit');
    const socket = join(dir, 'run', 'agent.sock');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ audit: { dir: auditDir }, control: { socketPath: socket } }), { mode: 0o600 });
    const child = start(['agent', '--config', config, '--demo', '--json']);
    const done = finish(child);
    try {
      const open = await line(child, (o) => o['type'] === 'decision' && o['decision'] === 'open');
      assert.equal(open['means'], 'cps');
      const status = await finish(start(['status', '--json', '--socket', socket]));
      assert.equal(status.code, 0, status.stderr);
      const s = (JSON.parse(status.stdout) as { status: { state: string; session?: { person: string; factors: string[]; windowLeftMs: number } } }).status;
      assert.equal(s.state, 'active');
      assert.equal(s.session?.person, open['person']);
      assert.ok((s.session?.windowLeftMs ?? 0) > 0);
    } finally {
      child.kill('SIGTERM');
    }
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes('"type":"stopped"'), 'the agent says it stopped');
    assert.equal(existsSync(socket), false, 'the control socket is removed');
    const v = await verifyAuditFile(await listAuditFiles(auditDir));
    assert.equal(v.ok, true);
    assert.ok(v.records >= 1);
  });
});
