/**
 * `tessera status` end to end: the real binary in a child process against a control channel
 * served by this test (fake handler), and with no agent at all.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ControlServer, type AgentStatus } from '../../../src/main/integrations/control/index.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

interface Run { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined }

function tessera(args: string[], lang = 'fr'): Promise<Run> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_LANG: lang };
    delete env['TESSERA_CONFIG'];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      done({ code, stdout, stderr, json });
    });
  });
}

const ACTIVE: AgentStatus = {
  state: 'active',
  session: { person: '810000000001', means: 'cps', factors: ['possession', 'knowledge'], windowLeftMs: 5_400_000, locked: false },
  degraded: true,
  degradedMode: { active: true, reasons: [{ code: 'idp_unreachable', since: '2026-11-23T07:00:00.000Z' }, { code: 'pcsc_unavailable', since: '2026-11-23T07:01:00.000Z' }] },
  readers: [
    { name: 'Virtual PCD 00 00', card: true },
    { name: 'Virtual PCD 00 01', card: false },
  ],
};

let dir: string;
let server: ControlServer;
let current: AgentStatus = ACTIVE;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-status-cli-'));
  server = await ControlServer.start({
    path: join(dir, 'run', 'tessera', 'agent.sock'),
    handler: { status: () => current, lock: () => ({ decision: 'lock', reason: 'session.user_lock' }), signOut: () => ({ decision: 'sign_out', reason: 'session.user_sign_out' }) },
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tessera status', () => {
  it('shows the session, degraded mode and readers', async () => {
    const r = await tessera(['status', '--socket', server.path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'Session active : 810000000001 (cps, possession + knowledge), fenêtre de réidentification : 90 min restantes.',
        'Mode dégradé : oui.',
        '  - Le fournisseur d’identité est injoignable.',
        '  - Le service des lecteurs de cartes ne répond pas.',
        'Lecteur Virtual PCD 00 00 : carte présente.',
        'Lecteur Virtual PCD 00 01 : vide.',
        '',
      ].join('\n'),
    );
  });

  it('--json gives the status object; English with --lang en', async () => {
    const r = await tessera(['status', '--socket', server.path, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, { ok: true, socket: server.path, status: ACTIVE });
    current = { state: 'signed_out', degraded: false, readers: [] };
    const en = await tessera(['status', '--socket', server.path], 'en');
    assert.equal(en.stdout, 'No open session (signed out).\nDegraded mode: no.\n');
    current = ACTIVE;
  });

  it('the socket path can come from the configuration (control.socketPath)', async () => {
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ control: { socketPath: server.path } }));
    const r = await tessera(['status', '--config', cfg, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.['socket'], server.path);
  });

  it('no agent → exit 1, "aucun agent Tessera en cours d\'exécution"', async () => {
    const none = join(dir, 'nobody-here', 'agent.sock');
    const r = await tessera(['status', '--socket', none]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `tessera: aucun agent Tessera en cours d'exécution (${none})\n`);
    const j = await tessera(['status', '--socket', none, '--json']);
    assert.equal(j.code, 1);
    assert.equal(j.json?.['error'], 'agent_not_running');
  });

  it('usage errors → exit 1', async () => {
    assert.equal((await tessera(['status', 'now'])).code, 1);
    assert.equal((await tessera(['status', '--sock', 'x'])).code, 1);
  });
});
