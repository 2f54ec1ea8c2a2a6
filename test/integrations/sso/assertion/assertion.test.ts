/**
 * The agent side of the assertion protocol: the workstation key on disk (0600 in 0700, refused
 * when open to others), the amr mapping, the session source over a real session engine, and the
 * loopback endpoint over real HTTP (Host check, configured providers only, answers).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import {
  AssertionServer,
  PROOF_TYP,
  WORKSTATION_KEY_FILE,
  accountIdFor,
  amrFor,
  loadOrCreateWorkstationKey,
  sessionSourceFromEngine,
  recordCardEvidence,
  startAgentAssertion,
  type AssertionSession,
  type ProofClaims,
  type WorkstationKey,
} from '../../../../src/main/integrations/sso/assertion/index.js';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { ManualClock, RecordedSessionEngine, SessionEngine } from '../../../../src/main/session/engine/index.js';
import { StaticMeansRegistry } from '../../../../src/main/session/policy/means-ref.js';
import { ALICE, cpsEvent } from '../provider/fixtures/sso-world.js';
import { TrustStore } from '../../../../src/main/means/cps/trust-store.js';
import { getSharedImpostorTestPki, getSharedTestPki } from '../../../testbed/pki/test-pki.js';

const ISSUER = 'https://sso.hopital-test.fr';

function get(port: number, path: string, host = `127.0.0.1:${port}`, method = 'GET'): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const insecure = (reason: RegExp) => (e: unknown) => e instanceof SsoError && e.code === 'sso_key_storage_insecure' && reason.test(e.message);

describe('workstation key', () => {
  const root = mkdtempSync(join(tmpdir(), 'tessera-wskey-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('is generated once (P-256, file 0600 in a 0700 folder) and read back with the same kid', async () => {
    const dir = join(root, 'a');
    const k1 = await loadOrCreateWorkstationKey(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, WORKSTATION_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(k1.publicJwk.crv, 'P-256');
    assert.equal(k1.publicJwk['d' as keyof typeof k1.publicJwk], undefined, 'no private part in the public JWK');
    const k2 = await loadOrCreateWorkstationKey(dir);
    assert.equal(k2.kid, k1.kid);
    assert.match(k1.publicPem, /BEGIN PUBLIC KEY/);
  });

  it('two first starts at once end with one key (never replaced)', async () => {
    const dir = join(root, 'race');
    const keys = await Promise.all([loadOrCreateWorkstationKey(dir), loadOrCreateWorkstationKey(dir), loadOrCreateWorkstationKey(dir)]);
    assert.equal(new Set(keys.map((k) => k.kid)).size, 1);
    assert.equal((await loadOrCreateWorkstationKey(dir)).kid, keys[0]?.kid);
  });

  it('refuses a folder or a key file others can read, and a symbolic link', async () => {
    const open = join(root, 'open');
    mkdirSync(open, { mode: 0o755 });
    chmodSync(open, 0o755);
    await assert.rejects(loadOrCreateWorkstationKey(open), insecure(/folder open to others/));

    const dir = join(root, 'b');
    await loadOrCreateWorkstationKey(dir);
    chmodSync(join(dir, WORKSTATION_KEY_FILE), 0o644);
    await assert.rejects(loadOrCreateWorkstationKey(dir), insecure(/readable by others/));

    const linked = join(root, 'c');
    mkdirSync(linked, { mode: 0o700 });
    writeFileSync(join(root, 'elsewhere.pem'), 'x', { mode: 0o600 });
    symlinkSync(join(root, 'elsewhere.pem'), join(linked, WORKSTATION_KEY_FILE));
    await assert.rejects(loadOrCreateWorkstationKey(linked), insecure(/not a regular file/));
  });

  it('refuses a key file that is not a P-256 private key', async () => {
    const dir = join(root, 'd');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, WORKSTATION_KEY_FILE), 'not a key', { mode: 0o600 });
    await assert.rejects(loadOrCreateWorkstationKey(dir), (e: unknown) => e instanceof SsoError && e.code === 'sso_config_invalid');
  });
});

describe('amr and account ids (RFC 8176)', () => {
  it('maps means and factors', () => {
    assert.deepEqual(amrFor('cps', ['possession', 'knowledge']), ['sc', 'pin', 'mfa']);
    assert.deepEqual(amrFor('desfire', ['possession']), ['sc']);
    assert.deepEqual(amrFor('desfire', ['possession', 'knowledge']), ['sc', 'pin', 'mfa']);
    assert.deepEqual(amrFor('fido2', ['possession', 'knowledge']), ['hwk', 'pin', 'mfa']);
    assert.deepEqual(amrFor('fido2', ['possession', 'inherence']), ['hwk', 'fpt', 'mfa']);
  });

  it('uses the RPPS number when there is one', () => {
    assert.equal(accountIdFor({ id: 'rpps:10001234567', rpps: '10001234567' }), '10001234567');
    assert.equal(accountIdFor({ id: 'rpps:10001234567' }), '10001234567');
    assert.equal(accountIdFor({ id: 'local:carol' }), 'local:carol');
  });
});

describe('assertion endpoint', () => {
  let dir: string;
  let key: WorkstationKey;
  let engine: RecordedSessionEngine;
  let server: AssertionServer;
  const answers: string[] = [];
  const chain = [Buffer.from('leaf-der'), Buffer.from('ca-der')];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-assert-'));
    key = await loadOrCreateWorkstationKey(join(dir, 'keys'));
    engine = new RecordedSessionEngine(new SessionEngine({ registry: new StaticMeansRegistry(), config: { workstation: 'poste-7' } }), async () => undefined);
    server = await AssertionServer.start({
      key,
      source: sessionSourceFromEngine(engine, { certificateChain: () => chain }),
      providers: [ISSUER],
      workstation: 'poste-7',
      onAnswer: (a) => answers.push(a.outcome === 'refused' ? `refused:${a.status}` : a.outcome === 'error' ? `error:${a.error}` : 'proof'),
    });
  });
  after(async () => {
    await server.close();
    engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const nonce = 'n'.repeat(43);
  const path = (params: Record<string, string>) => `/tessera/assert?${new URLSearchParams(params).toString()}`;
  const good = { nonce, iss: ISSUER, return_to: `${ISSUER}/interaction/abc/assertion` };

  it('refuses a wrong Host header (DNS rebinding), another path, another method', async () => {
    assert.equal((await get(server.port, path(good), `evil.example:${server.port}`)).status, 421);
    assert.equal((await get(server.port, path(good), `localhost:${server.port}`)).status, 421);
    assert.equal((await get(server.port, '/other')).status, 404);
    assert.equal((await get(server.port, path(good), undefined, 'POST')).status, 405);
  });

  it('answers only configured providers, and only on their origin', async () => {
    const a = await get(server.port, path({ ...good, iss: 'https://evil.example' }));
    assert.equal(a.status, 400);
    assert.equal(a.location, undefined);
    const b = await get(server.port, path({ ...good, return_to: 'https://evil.example/steal' }));
    assert.equal(b.status, 400);
    const c = await get(server.port, path({ ...good, return_to: 'https://user:pw@sso.hopital-test.fr/x' }));
    assert.equal(c.status, 400);
  });

  it('answers error=invalid_request for a malformed nonce, error=no_session without an active session', async () => {
    const bad = await get(server.port, path({ ...good, nonce: 'short' }));
    assert.equal(bad.status, 302);
    assert.equal(new URL(bad.location ?? '').searchParams.get('error'), 'invalid_request');
    const none = await get(server.port, path(good));
    assert.equal(new URL(none.location ?? '').searchParams.get('error'), 'no_session');
    assert.equal(new URL(none.location ?? '').origin, ISSUER);
  });

  it('signs a proof of the active session: nonce, audience, person, factors, session id, chain; nothing when locked', async () => {
    await engine.authenticate(cpsEvent(ALICE, 'ab'.repeat(32)));
    const res = await get(server.port, path(good));
    assert.equal(res.status, 302);
    const to = new URL(res.location ?? '');
    assert.equal(to.pathname, '/interaction/abc/assertion');
    const proof = to.searchParams.get('proof') ?? '';
    const header = decodeProtectedHeader(proof);
    assert.deepEqual(header, { alg: 'ES256', typ: PROOF_TYP, kid: key.kid });
    const claims = JSON.parse(Buffer.from((await compactVerify(proof, key.publicKey)).payload).toString('utf8')) as ProofClaims;
    assert.equal(claims.nonce, nonce);
    assert.equal(claims.aud, ISSUER);
    assert.equal(claims.iss, 'tessera:ws:poste-7');
    assert.equal(claims.exp - claims.iat, 30);
    assert.equal(claims.person.rpps, '10001234567');
    assert.equal(claims.means, 'cps');
    assert.deepEqual(claims.factors, ['possession', 'knowledge']);
    assert.equal(claims.two_factor_means, 'cps');
    assert.match(claims.sid, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(claims.evidence?.x5c, chain.map((c) => c.toString('base64')));

    const source = sessionSourceFromEngine(engine);
    const s = source.status() as AssertionSession;
    assert.equal(s.sessionId, claims.sid, 'the session id is stable for one 2FA');
    await engine.lock();
    assert.equal(source.status(), undefined);
    const locked = await get(server.port, path(good));
    assert.equal(new URL(locked.location ?? '').searchParams.get('error'), 'no_session');
    assert.ok(answers.includes('proof') && answers.includes('refused:421') && answers.includes('error:no_session'));
  });

  it('a second server on a taken port is sso_port_in_use', async () => {
    await assert.rejects(
      AssertionServer.start({ key, source: { status: () => undefined }, providers: [ISSUER], workstation: 'x', port: server.port }),
      (e: unknown) => e instanceof SsoError && e.code === 'sso_port_in_use',
    );
  });
});

describe('startAgentAssertion (what the runtime wires)', () => {
  it('serves proofs of the engine and posts a signed logout notice after a recorded lock and sign-out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-agent-assert-'));
    const received: Array<{ path: string; type: string | undefined; body: string }> = [];
    const provider = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'], body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    const engine = new RecordedSessionEngine(new SessionEngine({ registry: new StaticMeansRegistry(), config: { workstation: 'poste-9' } }), async () => undefined);
    const logouts: string[] = [];
    const a = await startAgentAssertion(engine, 'poste-9', { keyDir: join(dir, 'k'), port: 0, providers: [issuer], onLogout: (p, o) => logouts.push(`${p}:${o[0]?.status ?? 'x'}`) });
    try {
      await engine.authenticate(cpsEvent(ALICE, 'cd'.repeat(32)));
      const res = await get(a.server.port, `/tessera/assert?${new URLSearchParams({ nonce: 'm'.repeat(43), iss: issuer, return_to: `${issuer}/i/1` }).toString()}`);
      assert.ok(new URL(res.location ?? '').searchParams.get('proof'));
      // A lock (someone walked away, or another person switched in) ends the browser's sign-in too.
      await engine.lock();
      for (let i = 0; i < 100 && logouts.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      await engine.signOut();
      for (let i = 0; i < 100 && logouts.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(logouts, ['rpps:10001234567:204', 'rpps:10001234567:204']);
      const reasons: string[] = [];
      for (const r of received) {
        assert.equal(r.path, '/tessera/agent-logout');
        assert.equal(r.type, 'application/jwt');
        assert.equal(decodeProtectedHeader(r.body).typ, 'tessera-logout+jwt');
        const claims = JSON.parse(Buffer.from((await compactVerify(r.body, a.key.publicKey)).payload).toString('utf8')) as { sub: string; aud: string; reason: string };
        assert.deepEqual([claims.sub, claims.aud], ['rpps:10001234567', issuer]);
        reasons.push(claims.reason);
      }
      assert.deepEqual(reasons, ['lock', 'sign_out']);
    } finally {
      await a.stop();
      engine.dispose();
      await new Promise<void>((r) => provider.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('window expiry', () => {
  it('the end of the EXI 14 window sends a logout notice (reason expire)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-expire-'));
    const bodies: string[] = [];
    const provider = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    const clock = new ManualClock(Date.now());
    const engine = new RecordedSessionEngine(new SessionEngine({ registry: new StaticMeansRegistry(), clock, config: { workstation: 'poste-9', exi14WindowMs: 60_000 } }), async () => undefined);
    const a = await startAgentAssertion(engine, 'poste-9', { keyDir: join(dir, 'k'), port: 0, providers: [issuer] });
    try {
      await engine.authenticate(cpsEvent(ALICE, 'cd'.repeat(32), new Date(clock.now())));
      clock.advance(61_000);
      for (let i = 0; i < 200 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const reasons = await Promise.all(bodies.map(async (b) => (JSON.parse(Buffer.from((await compactVerify(b, a.key.publicKey)).payload).toString('utf8')) as { reason: string }).reason));
      assert.ok(reasons.includes('expire'), `notices: ${reasons.join(', ')}`);
      assert.equal(sessionSourceFromEngine(engine).status(), undefined, 'nothing to assert after the window');
    } finally {
      await a.stop();
      engine.dispose();
      await new Promise<void>((r) => provider.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('card evidence recorded at the login', () => {
  it('keeps leaf + issuing CA (no root) of each verified card by person; refused cards leave nothing', async () => {
    const pki = await getSharedTestPki();
    const impostor = await getSharedImpostorTestPki();
    const store = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    const ev = recordCardEvidence(store);
    assert.equal(ev.trust.certificates.length, 2, 'the wrapped store answers like the store');
    const card = await pki.issueCardCertificate({ rpps: '10001234567' });
    const path = ev.trust.verify(card.certificate, new Date());
    assert.deepEqual(path.map((c) => c.subject), store.verify(card.certificate, new Date()).map((c) => c.subject));
    assert.deepEqual(ev.chainFor(ALICE), [card.der, pki.intermediate.der]);
    const forged = await impostor.issueCardCertificate({ rpps: '10009999999' });
    assert.throws(() => ev.trust.verify(forged.certificate, new Date()));
    assert.equal(ev.chainFor({ id: 'rpps:10009999999', name: 'X' }), undefined);
  });
});
