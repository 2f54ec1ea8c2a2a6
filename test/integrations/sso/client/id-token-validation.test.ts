/**
 * ID token validation against a hostile token endpoint (test-only, signs with `jose`): the client
 * refuses a token signed by a key the provider does not publish, for another audience, from
 * another issuer, with another nonce, expired or issued in the future, a missing or garbage
 * token, and names each problem; an error or silence at the token endpoint is a provider error
 * or a slow provider. The browser leg is a plain fetch (the provider redirects straight back).
 */
import { after, before, describe, it } from 'node:test';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { OidcClient, SsoError } from '../../../../src/main/integrations/sso/client/index.js';
import { startHostileProvider, type HostileProvider, type Tamper } from './fixtures/hostile-provider.js';
import { fetchOpener } from './fixtures/openers.js';
import { rejectsWith } from './fixtures/helpers.js';

describe('ID token validation (hostile token endpoint)', () => {
  let hostile: HostileProvider;
  let client: OidcClient;

  before(async () => {
    hostile = await startHostileProvider();
    client = await OidcClient.discover({ issuer: hostile.issuer, clientId: hostile.clientId, insecureLoopbackIssuer: true, requestTimeoutMs: 500 });
  });
  after(async () => {
    await hostile?.close();
  });

  async function signInWith(tamper: Tamper): Promise<{ error: SsoError; pageStatus: number }> {
    hostile.script.tamper = tamper;
    const opener = fetchOpener();
    try {
      await client.signIn({ opener, timeoutMs: 5000 });
    } catch (e) {
      assert.ok(e instanceof SsoError, `expected SsoError, got ${e instanceof Error ? e.stack : String(e)}`);
      return { error: e, pageStatus: (await opener.landing()).status };
    } finally {
      hostile.script.tamper = 'none';
    }
    assert.fail(`${tamper}: accepted`);
  }

  it('accepts the untampered token (the fixture itself is sound)', async () => {
    const opener = fetchOpener();
    const { claims } = await client.signIn({ opener, timeoutMs: 5000 });
    assert.equal(claims.sub, '810002345678');
    assert.equal((await opener.landing()).status, 200);
  });

  const cases: [Tamper, string, string][] = [
    ['bad_signature', 'sso_id_token_invalid', 'signature'],
    ['unknown_kid', 'sso_id_token_invalid', 'signature'],
    ['wrong_audience', 'sso_id_token_invalid', 'audience'],
    ['wrong_issuer', 'sso_id_token_invalid', 'issuer'],
    ['wrong_nonce', 'sso_id_token_invalid', 'nonce'],
    ['expired', 'sso_id_token_invalid', 'expired'],
    ['future_iat', 'sso_id_token_invalid', 'issued_at'],
    ['no_id_token', 'sso_id_token_invalid', 'missing'],
    ['garbage_id_token', 'sso_id_token_invalid', 'malformed'],
    ['token_error', 'sso_provider_error', 'invalid_grant (code already used)'],
    ['token_never_answers', 'sso_provider_slow', 'token'],
  ];
  for (const [tamper, code, reason] of cases) {
    it(`${tamper} → ${code} (${reason}), and the browser is told it failed`, async () => {
      const { error, pageStatus } = await signInWith(tamper);
      assert.equal(error.code, code, error.message);
      assert.equal(error.reason, reason, error.message);
      assert.equal(pageStatus, 400);
    });
  }

  it('acr and amr are checked only when configured', async () => {
    hostile.script.acr = 'urn:x:1fa';
    hostile.script.amr = ['pwd'];
    try {
      const lax = await client.signIn({ opener: fetchOpener(), timeoutMs: 5000 });
      assert.equal(lax.claims.acr, 'urn:x:1fa');
      const strict = await OidcClient.discover({ issuer: hostile.issuer, clientId: hostile.clientId, insecureLoopbackIssuer: true, acrValues: ['urn:x:2fa'] });
      await assert.rejects(strict.signIn({ opener: fetchOpener(), timeoutMs: 5000 }), (e: SsoError) => e.code === 'sso_id_token_invalid' && e.reason === 'acr');
      const amr = await OidcClient.discover({ issuer: hostile.issuer, clientId: hostile.clientId, insecureLoopbackIssuer: true, requiredAmr: ['hwk'] });
      await assert.rejects(amr.signIn({ opener: fetchOpener(), timeoutMs: 5000 }), (e: SsoError) => e.code === 'sso_id_token_invalid' && e.reason === 'amr');
    } finally {
      hostile.script.acr = undefined;
      hostile.script.amr = undefined;
    }
  });

  it('refresh sends a narrower scope and RFC 8707 resource indicators when asked', async () => {
    const { tokens } = await client.signIn({ opener: fetchOpener(), timeoutMs: 5000 });
    await client.refresh(tokens.refreshToken ?? '', { scope: 'openid', resource: ['https://dpi.example/api', 'https://pacs.example'] });
    const sent = hostile.tokenRequests[hostile.tokenRequests.length - 1];
    assert.equal(sent?.get('grant_type'), 'refresh_token');
    assert.equal(sent?.get('refresh_token'), tokens.refreshToken);
    assert.equal(sent?.get('scope'), 'openid');
    assert.deepEqual(sent?.getAll('resource'), ['https://dpi.example/api', 'https://pacs.example']);
    await client.refresh(tokens.refreshToken ?? '');
    const plain = hostile.tokenRequests[hostile.tokenRequests.length - 1];
    assert.equal(plain?.has('scope'), false);
    assert.equal(plain?.has('resource'), false);
  });

  it('caller-supplied parameters cannot override state, nonce, PKCE or the redirect', async () => {
    for (const k of ['state', 'nonce', 'code_challenge', 'redirect_uri', 'scope']) {
      await assert.rejects(client.signIn({ opener: fetchOpener(), timeoutMs: 1000, extraParams: { [k]: 'x' } }), (e: SsoError) => e.code === 'sso_config_invalid');
    }
    const opener = fetchOpener();
    await client.signIn({ opener, timeoutMs: 5000, extraParams: { login_hint: '810002345678' } });
    assert.equal(new URL(opener.opened[0] ?? '').searchParams.get('login_hint'), '810002345678');
  });
});

describe('OidcClient: broken discovery, failed opener, cancellation', () => {
  /** A provider whose discovery answers `handler`'s way. */
  async function withServer(handler: (issuer: string, req: IncomingMessage, res: ServerResponse) => void, run: (issuer: string) => Promise<void>): Promise<void> {
    let issuer = '';
    const server = createServer((req, res) => handler(issuer, req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await run(issuer);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }
  const discover = (issuer: string) => OidcClient.discover({ issuer, clientId: 'c', insecureLoopbackIssuer: true, requestTimeoutMs: 2000 });

  it('discovery answering 500, or not JSON: sso_provider_error (invalid_response)', async () => {
    await withServer(
      (_i, _req, res) => res.writeHead(500, { 'Content-Type': 'text/html' }).end('<h1>oops</h1>'),
      async (issuer) => assert.equal((await rejectsWith(discover(issuer), 'sso_provider_error')).reason, 'invalid_response'),
    );
    await withServer(
      (_i, _req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>portal</h1>'),
      async (issuer) => assert.equal((await rejectsWith(discover(issuer), 'sso_provider_error')).reason, 'invalid_response'),
    );
  });

  it('a discovery document naming another issuer: sso_provider_error (issuer_mismatch)', async () => {
    await withServer(
      (_i, _req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ issuer: 'https://elsewhere.example', authorization_endpoint: 'https://elsewhere.example/auth' })),
      async (issuer) => assert.equal((await rejectsWith(discover(issuer), 'sso_provider_error')).reason, 'issuer_mismatch'),
    );
  });

  it('an endpoint that is not a URL: sso_provider_error (invalid_response), not a crash', async () => {
    await withServer(
      (issuer, _req, res) =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: 'not a url', jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'] })),
      async (issuer) => assert.equal((await rejectsWith(discover(issuer), 'sso_provider_error')).reason, 'invalid_response'),
    );
  });

  it('endpoints that leave the loopback over http are refused even with the loopback exception', async () => {
    await withServer(
      (issuer, _req, res) =>
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: 'http://tokens.example/token', jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'] })),
      async (issuer) => assert.equal((await rejectsWith(discover(issuer), 'sso_config_invalid')).reason, 'insecure_endpoint'),
    );
  });

  it('an opener that fails ends the attempt with its error and closes the listener; an abort ends it with sso_cancelled', async () => {
    const hostile = await startHostileProvider();
    try {
      const client = await discover(hostile.issuer);
      let redirect = '';
      const failing = { open: () => Promise.reject(new SsoError('sso_browser_failed', 'no browser', { reason: 'xdg-open' })) };
      await rejectsWith(client.signIn({ opener: failing, timeoutMs: 5000, onListening: (uri) => (redirect = uri) }), 'sso_browser_failed');
      await assert.rejects(fetch(redirect), /fetch failed/, 'the listener is closed');

      // An opener from elsewhere (Electron's openExternal) failing with a plain Error.
      await rejectsWith(client.signIn({ opener: { open: () => Promise.reject(new Error('no handler for https')) }, timeoutMs: 5000 }), 'sso_browser_failed');

      const ac = new AbortController();
      const idle = { open: () => Promise.resolve(ac.abort()) };
      await rejectsWith(client.signIn({ opener: idle, timeoutMs: 5000, signal: ac.signal }), 'sso_cancelled');
    } finally {
      await hostile.close();
    }
  });
});

