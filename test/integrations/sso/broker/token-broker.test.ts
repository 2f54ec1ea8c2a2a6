/**
 * The token broker over the real control channel: client applications are child processes on
 * the agent's Unix socket; the allow-list names this test's own `node` binary. Each hand-out and
 * each refusal is checked in the real audit log (hash chain verified), with the executable and
 * pid of the asking process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { AuditLog, parseRecordLine, verifyAuditFile, type AuditRecord } from '../../../../src/main/integrations/audit/index.js';
import { ControlServer, type ControlHandler } from '../../../../src/main/integrations/control/index.js';
import { TokenBroker, type BrokerApplication } from '../../../../src/main/integrations/sso/broker/index.js';
import { SessionTokenVault } from '../../../../src/main/integrations/sso/tokens/index.js';
import { harness, type Harness } from '../../../session/engine/harness.js';
import { ALICE, HOUR, cpsPin } from '../../../session/policy/fixtures.js';
import { MemorySecretStore, ScriptedSource, accessToken } from '../tokens/fakes.js';
import { nodeClient, pythonClient, type PeerClient } from './peer-client.js';

const DPI = 'https://dpi.chu.local/api';
const LAB = 'https://labo.chu.local/api';
const NODE = realpathSync(process.execPath);

describe('token broker on the control channel', { skip: process.platform !== 'linux' }, () => {
  let dir: string;
  let h: Harness;
  let log: AuditLog;
  let server: ControlServer;
  let source: ScriptedSource;
  let vault: SessionTokenVault;
  let sessionToken: string;
  const clients: PeerClient[] = [];

  const applications: BrokerApplication[] = [
    { path: process.execPath, audiences: [DPI, LAB, 'https://unconfigured.example'] },
    { path: '/usr/bin/env', audiences: [DPI] },
  ];

  async function start(apps: readonly BrokerApplication[], audit?: (i: Parameters<AuditLog['append']>[0]) => Promise<unknown>): Promise<void> {
    await server?.close();
    const broker = new TokenBroker({
      vault,
      applications: apps,
      audiences: [{ audience: DPI, resource: DPI }, { audience: LAB, resource: LAB, scope: 'labo.read' }],
      audit: audit ?? ((i) => log.append(i)),
      now: () => h.clock.now(),
    });
    const handler: ControlHandler = {
      status: () => ({ state: 'active', degraded: false, readers: [] }),
      lock: () => ({ decision: 'ignore', reason: 'session.no_session' }),
      signOut: () => ({ decision: 'ignore', reason: 'session.no_session' }),
      token: (params, connection) => broker.request(params, connection),
    };
    server = await ControlServer.start({ path: join(dir, 'run', 'agent.sock'), handler });
  }

  async function ask(client: (path: string, line: string) => PeerClient, audience: string): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string; reason?: string } }> {
    const c = client(server.path, JSON.stringify({ id: 1, method: 'token', params: { audience } }));
    clients.push(c);
    const line = await c.answer();
    await c.stop();
    return JSON.parse(line) as { ok: boolean; result?: Record<string, unknown>; error?: { code: string; reason?: string } };
  }
  const asNode = (path: string, line: string): PeerClient => nodeClient(path, { line });

  function records(): AuditRecord[] {
    return readFileSync(log.currentFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const p = parseRecordLine(l);
        assert.ok(p.ok, l);
        return p.record;
      })
      .filter((r) => r.event === 'token_request');
  }
  const last = (): AuditRecord | undefined => records().at(-1);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-broker-'));
    h = harness({ exi14WindowMs: 4 * HOUR });
    log = await AuditLog.open({ dir: join(dir, 'audit'), workstation: 'PC-URG-01', clock: () => new Date(h.clock.now()) });
    source = new ScriptedSource();
    vault = new SessionTokenVault({ engine: h.engine, store: new MemorySecretStore(), source, clock: h.clock });
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    sessionToken = accessToken(DPI, ALICE.id);
    await vault.adopt(ALICE.id, { access_token: sessionToken, expires_in: 900, refresh_token: 'rt-alice-1' });
    await start(applications);
  });

  after(async () => {
    for (const c of clients) await c.stop();
    await server.close();
    await vault.stop();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an allow-listed application (this node binary) gets the session token for its audience; the hand-out is audited with its executable and pid', async () => {
    const r = await ask(asNode, DPI);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.result?.['accessToken'], sessionToken);
    assert.equal(r.result?.['tokenType'], 'Bearer');
    assert.equal(r.result?.['audience'], DPI);
    assert.equal(r.result?.['person'], ALICE.id);
    assert.equal(r.result?.['expiresIn'], 900);
    const rec = last();
    assert.equal(rec?.decision, 'allow');
    assert.equal(rec?.reason, 'broker.issued');
    assert.equal(rec?.person, ALICE.id);
    assert.equal(rec?.details?.application, NODE);
    assert.equal(rec?.details?.audience, DPI);
    assert.equal(typeof rec?.details?.peerPid, 'number');
    assert.equal(JSON.stringify(records()).includes(sessionToken.split('.')[2] ?? 'x'), false, 'no token in the audit log');
  });

  it('another audience is obtained by a refresh narrowed to its configured resource and scope', async () => {
    const lab = accessToken(LAB, ALICE.id);
    source.then({ answer: { access_token: lab, expires_in: 300 } });
    const r = await ask(asNode, LAB);
    assert.equal(r.result?.['accessToken'], lab);
    assert.deepEqual(source.calls.at(-1), { refreshToken: 'rt-alice-1', narrowing: { resource: LAB, scope: 'labo.read' } });
  });

  it('a non-allow-listed executable (python3) is refused with sso_not_allowed, and the refusal is audited', async () => {
    const python = realpathSync(spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim());
    const r = await ask((p, l) => pythonClient(p, l), DPI);
    assert.deepEqual(r.error, { code: 'sso_not_allowed', message: 'token failed', reason: 'not_allow_listed' });
    assert.equal(r.ok, false);
    const rec = last();
    assert.equal(rec?.decision, 'deny');
    assert.equal(rec?.reason, 'broker.not_allowed');
    assert.equal(rec?.details?.application, python);
    assert.equal(rec?.details?.errorCode, 'not_allow_listed');
  });

  it('an audience not configured is refused and audited (audience_unknown)', async () => {
    const r = await ask(asNode, 'https://unconfigured.example');
    assert.equal(r.error?.code, 'sso_no_token');
    assert.equal(r.error?.reason, 'audience_unknown');
    assert.equal(last()?.reason, 'broker.audience_unknown');
  });

  it('a locked session: nothing handed out (sso_no_token), refusal audited with the reason', async () => {
    h.engine.lock();
    try {
      const r = await ask(asNode, DPI);
      assert.equal(r.error?.code, 'sso_no_token');
      assert.equal(r.error?.reason, 'session_locked', 'the application can tell "wait for the unlock" from "sign in"');
      const rec = last();
      assert.equal(rec?.reason, 'broker.no_token');
      assert.equal(rec?.details?.errorCode, 'session_locked');
    } finally {
      h.engine.authenticate(cpsPin(ALICE, h.now()));
    }
    assert.equal((await ask(asNode, DPI)).ok, true);
  });

  it('a SHA-256 pin: the right hash is allowed, another is refused', async () => {
    const digest = createHash('sha256').update(readFileSync(NODE)).digest('hex');
    await start([{ path: process.execPath, sha256: digest, audiences: [DPI] }]);
    assert.equal((await ask(asNode, DPI)).ok, true);
    assert.equal(last()?.details?.applicationSha256, digest);
    await start([{ path: process.execPath, sha256: '0'.repeat(64), audiences: [DPI] }]);
    assert.equal((await ask(asNode, DPI)).error?.code, 'sso_not_allowed');
    await start(applications);
  });

  it('a connection shared with a non-allow-listed process is refused', async () => {
    // The node client hands its connection to a `sleep` child, then asks over it: two holders, one not allowed.
    const r = await ask((p, l) => nodeClient(p, { share: true, line: l }), DPI);
    assert.equal(r.error?.code, 'sso_not_allowed', JSON.stringify(r));
    assert.equal(last()?.reason, 'broker.not_allowed');
    assert.equal(last()?.details?.errorCode, 'not_allow_listed');
  });

  it('when the audit record cannot be written, no token is handed out', async () => {
    await start(applications, () => Promise.reject(new Error('disk full')));
    const r = await ask(asNode, DPI);
    assert.equal(r.ok, false);
    assert.deepEqual(r.error, { code: 'handler_failed', message: 'token failed' });
    await start(applications);
  });

  it('the audit chain verifies', async () => {
    const v = await verifyAuditFile(log.currentFile);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.ok(records().length >= 9);
  });
});
