/**
 * Fuzz targets for web SSO input: the provider's checks of an agent proof (any JWS text, and
 * any payload correctly signed by an enrolled workstation key, so the checks after the
 * signature are reached), and the native client's loopback listener (raw HTTP requests over a
 * real socket while a sign-in waits).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { connect } from 'node:net';
import { CompactSign } from 'jose';
import fc from 'fast-check';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { AssertionServer } from '../../../src/main/integrations/sso/assertion/assertion-server.js';
import { ASSERT_PATH, PROOF_ALG, PROOF_TYP, LOGOUT_TYP } from '../../../src/main/integrations/sso/assertion/protocol.js';
import type { AssertionSession } from '../../../src/main/integrations/sso/assertion/session-source.js';
import { describePublicKey, loadOrCreateWorkstationKey } from '../../../src/main/integrations/sso/assertion/workstation-key.js';
import { CALLBACK_PATH, LoopbackListener } from '../../../src/main/integrations/sso/client/loopback-listener.js';
import { verifyLogout, verifyProof, WorkstationKeyRing } from '../../../src/main/integrations/sso/provider/verify-proof.js';
import { SsoError } from '../../../src/main/integrations/sso/sso-error.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { defaultArbitrary, expected, mutationsOf, TempFolder, typedAsync, type FuzzTarget } from '../harness.js';

const ISSUER = 'http://127.0.0.1:4000';
/** One fixed time per run (the test PKI is issued around the real clock). */
const NOW_MS = Date.now();

interface ProofFixture {
  readonly key: KeyObject;
  readonly kid: string;
  readonly ring: WorkstationKeyRing;
  readonly trust: TrustStore;
  readonly certificateDer: Buffer;
}

let fixture: Promise<ProofFixture> | undefined;

function proofFixture(): Promise<ProofFixture> {
  fixture ??= (async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kid } = await describePublicKey(publicKey);
    const ring = await WorkstationKeyRing.fromPublicKeys([{ name: 'PC-URG-01', key: publicKey }]);
    const pki = await getSharedTestPki();
    const card = await pki.issueCardCertificate({ notBefore: new Date(NOW_MS - 3_600_000) });
    return { key: privateKey, kid, ring, trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]), certificateDer: card.der };
  })();
  return fixture;
}

function validClaims(f: ProofFixture): Record<string, unknown> {
  const iat = Math.floor(NOW_MS / 1000);
  return {
    iss: 'tessera:ws:PC-URG-01', aud: ISSUER, iat, exp: iat + 30, jti: 'j1', nonce: 'n'.repeat(43),
    person: { id: 'rpps:10001234567', rpps: '10001234567', name: 'Marie Curie' },
    means: 'cps', factors: ['possession', 'knowledge'], sid: 's1', auth_time: iat - 60, two_factor_means: 'cps', window_end: iat + 3600,
    evidence: { type: 'x509-chain', x5c: [f.certificateDer.toString('base64')] },
  };
}

const sign = (f: ProofFixture, payload: Buffer, typ: string): Promise<string> =>
  new CompactSign(payload).setProtectedHeader({ alg: PROOF_ALG, typ, kid: f.kid }).sign(f.key);

const SSO_ERRORS = [expected(SsoError, ['sso_assertion_invalid'])];

export const ssoProofTarget: FuzzTarget = {
  name: 'sso-proof',
  description: 'the provider’s checks of agent proofs and logout notices: any JWS text, and any payload signed by the enrolled key (schema, times, nonce, evidence certificate chain)',
  runs: 400,
  async seeds() {
    const f = await proofFixture();
    const claims = validClaims(f);
    const noEvidence = { ...claims, means: 'desfire', two_factor_means: 'desfire', evidence: undefined };
    return [
      Buffer.concat([Buffer.of(1), Buffer.from(JSON.stringify(claims))]),
      Buffer.concat([Buffer.of(1), Buffer.from(JSON.stringify(noEvidence))]),
      Buffer.concat([Buffer.of(3), Buffer.from(JSON.stringify({ iss: 'tessera:ws:PC-URG-01', aud: ISSUER, iat: 1, exp: 2, jti: 'x', sub: 'rpps:10001234567', reason: 'lock' }))]),
      Buffer.concat([Buffer.of(0), Buffer.from(await sign(f, Buffer.from(JSON.stringify(claims)), PROOF_TYP))]),
    ];
  },
  arbitrary: (seeds) => fc.oneof({ arbitrary: mutationsOf(seeds), weight: 4 }, { arbitrary: defaultArbitrary([], 300), weight: 1 }),
  async check(input) {
    const f = await proofFixture();
    const mode = (input[0] ?? 0) % 4;
    const body = input.subarray(1);
    const logout = mode >= 2;
    const jws = mode % 2 === 0 ? body.toString('utf8') : await sign(f, body, logout ? LOGOUT_TYP : PROOF_TYP);
    const r = logout
      ? await typedAsync(() => verifyLogout(jws, { issuer: ISSUER, ring: f.ring, firstUse: () => true, nowMs: NOW_MS }), SSO_ERRORS)
      : await typedAsync(() => verifyProof(jws, { issuer: ISSUER, ring: f.ring, consumeNonce: () => 'ok', trust: f.trust, maxAuthAgeS: 12 * 3600, nowMs: NOW_MS }), SSO_ERRORS);
    if (!r.ok) {
      const reason = r.error instanceof SsoError ? r.error.reason : undefined;
      assert.ok(typeof reason === 'string' && reason.length > 0, 'refusal without a reason');
      return;
    }
    // accepted: only ever with a verified signature of the enrolled key and the right audience
    assert.equal(r.value.workstation.kid, f.kid);
    assert.equal(r.value.claims.aud, ISSUER);
  },
};

// ---------------------------------------------------------------------------------------------

interface Loopback {
  readonly listener: LoopbackListener;
  readonly state: string;
  settled: boolean;
  readonly wait: Promise<unknown>;
}

let loopback: Loopback | undefined;

const METHODS = ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'CONNECT', 'TRACE', 'get', 'G\0T', ''];

/** A raw HTTP/1.1 request from the input: method, target, Host choice and header bytes. */
function requestOf(input: Buffer, port: number): Buffer {
  const b = (i: number): number => input[i] ?? 0;
  if (b(0) % 5 === 4) return Buffer.from(input.subarray(1)); // raw bytes, whatever they are
  const method = METHODS[b(1) % METHODS.length] ?? 'GET';
  const host = [`127.0.0.1:${port}`, `localhost:${port}`, `127.0.0.1:${port + 1}`, 'evil.example', '', `127.0.0.1:${port}\r\nHost: evil`][b(2) % 6] ?? '';
  const rest = input.subarray(3).toString('latin1');
  const cut = rest.indexOf('\u0001');
  const target = cut >= 0 ? rest.slice(0, cut) : rest;
  const headers = cut >= 0 ? rest.slice(cut + 1) : '';
  const path = b(0) % 2 === 0 ? `${CALLBACK_PATH}?${target}` : target;
  return Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}\r\nConnection: close\r\n\r\n`, 'latin1');
}

/** Sends `raw`, returns the status code of the answer (undefined: closed without one). */
async function exchangeHttp(port: number, raw: Buffer): Promise<number | undefined> {
  return (await exchangeHttpHead(port, raw)).status;
}

/**
 * Sends `raw` and returns the status and `Location` of the answer, as soon as its header block
 * is in. Raw requests (which may not end) are half-closed so the server answers or drops them;
 * built ones end with `Connection: close` and are not (an asynchronous handler's answer would be
 * lost on a half-closed socket).
 */
function exchangeHttpHead(port: number, raw: Buffer): Promise<{ status: number | undefined; location: string | undefined }> {
  const builtRequest = raw.includes('\r\nConnection: close\r\n\r\n');
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      const head = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
      const loc = /\r\nLocation: ([^\r\n]*)\r\n/i.exec(head);
      resolve({ status: m?.[1] !== undefined ? Number(m[1]) : undefined, location: loc?.[1] });
    };
    s.on('data', (d: Buffer) => {
      size += d.length;
      if (size < 64 * 1024) chunks.push(d);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', done);
    s.setTimeout(3000, () => s.destroy());
    s.on('connect', () => (builtRequest ? s.write(raw) : s.end(raw)));
  });
}

export const ssoLoopbackTarget: FuzzTarget = {
  name: 'sso-loopback',
  description: 'the native client’s loopback redirect listener under random HTTP requests (method, Host, path, query, headers, raw bytes) while a sign-in waits',
  runs: 300,
  seeds: () =>
    Promise.resolve([
      Buffer.concat([Buffer.of(0, 0, 0), Buffer.from('code=abc&state=wrong')]),
      Buffer.concat([Buffer.of(0, 0, 0), Buffer.from('code=abc&state=a&state=b')]),
      Buffer.concat([Buffer.of(1, 1, 0), Buffer.from('/other?x=1\u0001X-Test: 1\r\n')]),
      Buffer.concat([Buffer.of(4), Buffer.from('GET /callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999\r\n\r\n')]),
    ]),
  async setup() {
    const listener = await LoopbackListener.open();
    const state = randomBytes(32).toString('base64url');
    const lb: Loopback = {
      listener,
      state,
      settled: false,
      wait: listener.waitForCallback({ state, timeoutMs: 10 * 60_000 }).then(
        (c) => {
          lb.settled = true;
          c.finish({ ok: true });
        },
        () => {
          lb.settled = true;
        },
      ),
    };
    loopback = lb;
  },
  async teardown() {
    const lb = loopback;
    loopback = undefined;
    if (!lb) return;
    // the sign-in survived every hostile request: the real callback still completes it
    const stillWaiting = !lb.settled;
    const status = stillWaiting ? await exchangeHttp(lb.listener.port, Buffer.from(`GET ${CALLBACK_PATH}?code=c&state=${lb.state} HTTP/1.1\r\nHost: 127.0.0.1:${lb.listener.port}\r\nConnection: close\r\n\r\n`)) : undefined;
    await lb.listener.close();
    await lb.wait;
    assert.ok(stillWaiting, 'a hostile request ended the pending sign-in');
    assert.equal(status, 200, 'the real callback was not accepted after the hostile requests');
  },
  async check(input) {
    const lb = loopback;
    if (!lb) return;
    const status = await exchangeHttp(lb.listener.port, requestOf(input, lb.listener.port));
    if (status !== undefined) assert.ok([400, 404, 405, 410, 413, 414, 431, 501, 505].includes(status), `answered ${status}`);
    assert.equal(lb.settled, false, 'a request without this attempt’s state ended the sign-in');
  },
};

// ---------------------------------------------------------------------------------------------

const PROVIDER = 'http://127.0.0.1:4000';
let assertion: AssertionServer | undefined;
const assertionDir = new TempFolder('tessera-fuzz-assert-');
/** Answers seen by status code (a run that never reaches a 302 fuzzes nothing of the redirect rule). */
export const assertionStatuses = new Map<number, number>();

/** `iss` and `return_to` values around the configured provider: look-alikes, userinfo tricks, other schemes. */
const ADDRESSES = [
  PROVIDER, `${PROVIDER}/`, `${PROVIDER}/cb`, 'http://127.0.0.1:4001/cb', 'http://localhost:4000/cb', `http://evil@127.0.0.1:4000/cb`,
  'http://127.0.0.1:4000@evil.example/cb', 'http://127.0.0.1:4000.evil.example/cb', '//evil.example/cb', 'http:\\\\evil.example', 'javascript:alert(1)',
  'HTTP://127.0.0.1:4000/cb', 'http://127.0.0.1:04000/cb', 'http://[::1]:4000/cb', 'https://127.0.0.1:4000/cb', '',
];

/** An assertion request from the input: method, Host, path, nonce, iss, return_to (or raw bytes). */
function assertionRequestOf(input: Buffer, port: number): Buffer {
  const b = (i: number): number => input[i] ?? 0;
  if (b(0) % 7 === 6) return Buffer.from(input.subarray(1));
  const pick = (i: number): string => ADDRESSES[b(i) % ADDRESSES.length] ?? '';
  const free = input.subarray(6).toString('latin1');
  const nonce = b(3) % 3 === 0 ? 'N'.repeat(43) : b(3) % 3 === 1 ? free.slice(0, 43) : `${'N'.repeat(43)}&nonce=${'M'.repeat(43)}`;
  const iss = b(4) % 5 === 4 ? free : pick(4);
  const returnTo = b(5) % 5 === 4 ? free : pick(5);
  const query = b(0) % 2 === 0
    ? new URLSearchParams({ nonce: 'x', iss, return_to: returnTo }).toString().replace('nonce=x', `nonce=${nonce}`)
    : free;
  const path = b(0) % 3 === 2 ? `/${free}` : `${ASSERT_PATH}?${query}`;
  const method = METHODS[b(1) % METHODS.length] ?? 'GET';
  const host = [`127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', ''][b(2) % 4] ?? '';
  return Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 'latin1');
}

export const ssoAssertionEndpointTarget: FuzzTarget = {
  name: 'sso-assertion-endpoint',
  description: 'the agent’s loopback assertion endpoint under random requests (Host, path, method, nonce, iss, return_to look-alikes): a proof only ever goes to the configured provider’s origin',
  runs: 300,
  seeds: () =>
    Promise.resolve([
      Buffer.concat([Buffer.of(0, 0, 0, 0, 0, 2), Buffer.from('x')]),
      Buffer.concat([Buffer.of(0, 0, 0, 0, 0, 5), Buffer.from('x')]),
      Buffer.concat([Buffer.of(0, 0, 0, 0, 0, 7), Buffer.from('x')]),
      Buffer.concat([Buffer.of(0, 0, 0, 0, 0, 4), Buffer.from('http://127.0.0.1:4000/%2e%2e/x')]),
    ]),
  async setup() {
    assertionDir.create();
    const key = await loadOrCreateWorkstationKey(assertionDir.path ?? '');
    const now = Date.now();
    const session: AssertionSession = {
      person: { id: 'rpps:10001234567', rpps: '10001234567', name: 'Marie Curie' },
      means: 'cps', factors: ['possession', 'knowledge'], sessionId: 's1', twoFactorAt: new Date(now - 60_000), twoFactorMeans: 'cps', windowEnd: new Date(now + 3_600_000),
    };
    assertion = await AssertionServer.start({ key, source: { status: () => session }, providers: [PROVIDER], workstation: 'PC-URG-01' });
  },
  async teardown() {
    const a = assertion;
    assertion = undefined;
    await a?.close();
    assertionDir.remove();
  },
  async check(input) {
    const a = assertion;
    if (!a) return;
    const { status, location } = await exchangeHttpHead(a.port, assertionRequestOf(input, a.port));
    if (status === undefined) return;
    assertionStatuses.set(status, (assertionStatuses.get(status) ?? 0) + 1);
    assert.ok([302, 400, 404, 405, 421, 431, 500, 505].includes(status), `answered ${status}`);
    if (status !== 302) return;
    assert.ok(location !== undefined, 'a redirect without Location');
    const to = new URL(location);
    assert.equal(to.origin, new URL(PROVIDER).origin, `redirected to ${to.origin}`);
    assert.equal(to.username + to.password, '', 'userinfo in the redirect');
  },
};

export const SSO_TARGETS: readonly FuzzTarget[] = [ssoProofTarget, ssoLoopbackTarget, ssoAssertionEndpointTarget];
