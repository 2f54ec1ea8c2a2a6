/**
 * OidcClient end to end against a real `oidc-provider` (scripted login) with Debian Chromium as
 * the browser: sign-in, claims, acr/amr, refresh, logout URL, provider error, state mismatch,
 * replayed code, fixed port and port conflict; against nothing (provider down) and a provider
 * that accepts and never answers (slow).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { OidcClient, type OidcClientOptions } from '../../../../src/main/integrations/sso/client/index.js';
import { startTestProvider, TEST_ACCOUNT, TEST_ACR, TEST_CONFIDENTIAL_CLIENT } from './fixtures/test-provider.js';
import { CHROMIUM_MISSING, chromiumOpener, craftedCallbackOpener } from './fixtures/openers.js';
import { freePort, rejectsWith, useProviderAndChromium } from './fixtures/helpers.js';

describe('OidcClient against oidc-provider, with Chromium', { skip: CHROMIUM_MISSING }, () => {
  const bed = useProviderAndChromium();
  const options = (extra: Partial<OidcClientOptions> = {}): OidcClientOptions => ({ issuer: bed.provider.issuer, clientId: bed.provider.clientId, scopes: ['openid', 'profile'], insecureLoopbackIssuer: true, requestTimeoutMs: 5000, ...extra });

  it('signs in: code + PKCE S256 through the loopback, ID token validated, claims with sub, acr and amr; refresh; logout URL', async () => {
    const client = await OidcClient.discover(options({ acrValues: [TEST_ACR[0] ?? ''], requiredAmr: ['hwk', 'pin'] }));
    assert.equal(client.issuer, bed.provider.issuer);
    const opener = await chromiumOpener(bed.browser);
    try {
      const { tokens, claims, redirectUri } = await client.signIn({ opener, timeoutMs: 20_000 });
      assert.equal(claims.sub, TEST_ACCOUNT);
      assert.equal(claims.iss, bed.provider.issuer);
      assert.equal(claims.aud, bed.provider.clientId);
      assert.equal(claims.acr, TEST_ACR[0]);
      assert.deepEqual(claims.amr, ['hwk', 'pin', 'mfa']);
      assert.equal(claims['name'], 'Marie Curie');
      assert.ok(tokens.accessToken.length > 10);
      assert.ok(tokens.idToken);
      assert.ok(tokens.refreshToken, 'a refresh token');
      assert.ok(tokens.expiresAt !== undefined && tokens.expiresAt > Date.now());

      // The authorization request carried PKCE S256, fresh state and nonce, acr_values and the loopback redirect.
      const auth = new URL(opener.opened[0] ?? '');
      assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
      assert.match(auth.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok((auth.searchParams.get('state') ?? '').length >= 32);
      assert.ok((auth.searchParams.get('nonce') ?? '').length >= 32);
      assert.equal(auth.searchParams.get('redirect_uri'), redirectUri);
      assert.match(redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      assert.equal(auth.searchParams.get('acr_values'), TEST_ACR[0]);
      assert.equal(auth.searchParams.get('scope'), 'openid profile');

      const landing = await opener.landing();
      assert.equal(landing.status, 200);
      assert.match(landing.text, /Connexion terminée/);
      assert.match(landing.csp ?? '', /default-src 'none'/);

      const refreshed = await client.refresh(tokens.refreshToken ?? '', { expectedSubject: TEST_ACCOUNT });
      assert.notEqual(refreshed.tokens.accessToken, tokens.accessToken);
      assert.equal(refreshed.claims?.sub, TEST_ACCOUNT);
      // The provider rotates refresh tokens: the new one names the same person, so another expected subject is refused.
      // A narrower scope on refresh: the provider issues an access token for that scope only.
      const narrowed = await client.refresh(refreshed.tokens.refreshToken ?? '', { scope: 'openid', expectedSubject: TEST_ACCOUNT });
      assert.equal(narrowed.tokens.scope, 'openid');
      await rejectsWith(client.refresh(narrowed.tokens.refreshToken ?? '', { expectedSubject: 'someone-else' }), 'sso_id_token_invalid');
      assert.equal((await rejectsWith(client.refresh(tokens.refreshToken ?? ''), 'sso_provider_error')).providerError, 'invalid_grant', 'a rotated-away refresh token is refused');
      await rejectsWith(client.refresh('not-a-refresh-token'), 'sso_provider_error');

      const logout = client.logoutUrl(tokens.idToken ?? '', { postLogoutRedirectUri: 'http://127.0.0.1/logged-out' });
      assert.equal(logout.origin, bed.provider.issuer);
      assert.equal(logout.searchParams.get('id_token_hint'), tokens.idToken);
      assert.equal(logout.searchParams.get('client_id'), bed.provider.clientId);
      const page = await (await bed.browser.newContext()).newPage();
      const res = await page.goto(logout.href);
      assert.equal(res?.status(), 200, 'the provider accepts the end-session request');
    } finally {
      await opener.close();
    }
  });

  it('a second sign-in uses a fresh state, nonce and verifier, and answers in English when asked', async () => {
    const client = await OidcClient.discover(options());
    const first = await chromiumOpener(bed.browser);
    const second = await chromiumOpener(bed.browser, 'en-US');
    try {
      await client.signIn({ opener: first, timeoutMs: 20_000 });
      await client.signIn({ opener: second, timeoutMs: 20_000, lang: 'en' });
      const a = new URL(first.opened[0] ?? '');
      const b = new URL(second.opened[0] ?? '');
      for (const k of ['state', 'nonce', 'code_challenge']) assert.notEqual(a.searchParams.get(k), b.searchParams.get(k), k);
      assert.match((await second.landing()).text, /Sign-in complete/);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('refuses an ID token whose acr is not one of the requested acr_values, or that lacks a required amr', async () => {
    bed.provider.script.acr = TEST_ACR[1] ?? '';
    const opener = await chromiumOpener(bed.browser);
    try {
      const client = await OidcClient.discover(options({ acrValues: [TEST_ACR[0] ?? ''] }));
      const err = await rejectsWith(client.signIn({ opener, timeoutMs: 20_000 }), 'sso_id_token_invalid');
      assert.equal(err.reason, 'acr');
      assert.match((await opener.landing()).text, /Jeton d’identité invalide \(acr\)/);
    } finally {
      bed.provider.script.acr = TEST_ACR[0] ?? '';
      await opener.close();
    }
    const opener2 = await chromiumOpener(bed.browser);
    try {
      const client = await OidcClient.discover(options({ requiredAmr: ['fpt'] }));
      assert.equal((await rejectsWith(client.signIn({ opener: opener2, timeoutMs: 20_000 }), 'sso_id_token_invalid')).reason, 'amr');
    } finally {
      await opener2.close();
    }
  });

  it("the provider's access_denied ends the attempt with sso_provider_error and is shown in the bed.browser", async () => {
    bed.provider.script.deny = true;
    const opener = await chromiumOpener(bed.browser);
    try {
      const client = await OidcClient.discover(options());
      const err = await rejectsWith(client.signIn({ opener, timeoutMs: 20_000 }), 'sso_provider_error');
      assert.equal(err.providerError, 'access_denied');
      assert.equal(err.providerErrorDescription, 'refusé par le test');
      const landing = await opener.landing();
      assert.equal(landing.status, 400);
      assert.match(landing.text, /access_denied \(refusé par le test\)/);
    } finally {
      bed.provider.script.deny = false;
      await opener.close();
    }
  });

  it('state mismatch: a forged callback is turned away (400) and, if nothing else comes, the attempt ends with sso_state_mismatch', async () => {
    const client = await OidcClient.discover(options());
    const forger = craftedCallbackOpener((auth) => `${auth.searchParams.get('redirect_uri') ?? ''}?code=forged&state=${'A'.repeat(43)}`);
    await rejectsWith(client.signIn({ opener: forger, timeoutMs: 500 }), 'sso_state_mismatch');
    assert.deepEqual(await Promise.all(forger.answers), [400]);
  });

  it('a stray callback does not kill a pending sign-in', async () => {
    const client = await OidcClient.discover(options());
    const real = await chromiumOpener(bed.browser);
    try {
      const stray = craftedCallbackOpener((auth) => `${auth.searchParams.get('redirect_uri') ?? ''}?code=forged&state=wrong`, real);
      const { claims } = await client.signIn({ opener: stray, timeoutMs: 20_000 });
      assert.equal(claims.sub, TEST_ACCOUNT);
      assert.deepEqual(await Promise.all(stray.answers), [400]);
    } finally {
      await real.close();
    }
  });

  it('replayed code: a code already redeemed, delivered to a new attempt with its own state, is refused by the provider (invalid_grant)', async () => {
    const client = await OidcClient.discover(options());
    const opener = await chromiumOpener(bed.browser);
    let code = '';
    try {
      await client.signIn({ opener, timeoutMs: 20_000 });
      code = new URL((await opener.landing()).url).searchParams.get('code') ?? '';
      assert.ok(code.length > 10);
    } finally {
      await opener.close();
    }
    const replay = craftedCallbackOpener((auth) => {
      const cb = new URL(auth.searchParams.get('redirect_uri') ?? '');
      cb.searchParams.set('code', code);
      cb.searchParams.set('state', auth.searchParams.get('state') ?? '');
      cb.searchParams.set('iss', bed.provider.issuer);
      return cb.href;
    });
    const err = await rejectsWith(client.signIn({ opener: replay, timeoutMs: 10_000 }), 'sso_provider_error');
    assert.equal(err.providerError, 'invalid_grant');
    assert.deepEqual(await Promise.all(replay.answers), [400]);
  });

  it('fixed loopback port: signs in on it; when another process holds it, sso_port_in_use before any bed.browser opens', async () => {
    const port = await freePort();
    const fixed = await startTestProvider({ fixedRedirectPort: port });
    const opener = await chromiumOpener(bed.browser);
    try {
      const client = await OidcClient.discover({ issuer: fixed.issuer, clientId: fixed.clientId, insecureLoopbackIssuer: true, loopbackPort: port });
      const { redirectUri } = await client.signIn({ opener, timeoutMs: 20_000 });
      assert.equal(redirectUri, `http://127.0.0.1:${port}/callback`);

      const squatter = createServer();
      await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
      const idle = craftedCallbackOpener(() => 'http://127.0.0.1:1/');
      try {
        await rejectsWith(client.signIn({ opener: idle, timeoutMs: 5_000 }), 'sso_port_in_use');
        assert.equal(idle.opened.length, 0);
      } finally {
        await new Promise<void>((r) => squatter.close(() => r()));
      }
    } finally {
      await opener.close();
      await fixed.close();
    }
  });

  it('a confidential client: signs in with client_secret_basic; a wrong secret is refused at the token endpoint (invalid_client)', async () => {
    const good = await OidcClient.discover(options({ clientId: TEST_CONFIDENTIAL_CLIENT.id, clientSecret: { secret: TEST_CONFIDENTIAL_CLIENT.secret } }));
    const opener = await chromiumOpener(bed.browser);
    const opener2 = await chromiumOpener(bed.browser);
    try {
      const { claims } = await good.signIn({ opener, timeoutMs: 20_000 });
      assert.equal(claims.aud, TEST_CONFIDENTIAL_CLIENT.id);
      const bad = await OidcClient.discover(options({ clientId: TEST_CONFIDENTIAL_CLIENT.id, clientSecret: { secret: 'wrong-secret' } }));
      assert.equal((await rejectsWith(bad.signIn({ opener: opener2, timeoutMs: 20_000 }), 'sso_provider_error')).providerError, 'invalid_client');
    } finally {
      await opener.close();
      await opener2.close();
    }
  });

  it('the person never finishes: sso_timeout', async () => {
    const client = await OidcClient.discover(options());
    const nobody = { open: () => Promise.resolve() };
    await rejectsWith(client.signIn({ opener: nobody, timeoutMs: 200 }), 'sso_timeout');
  });
});

describe('OidcClient: provider down, slow, or not https', () => {
  it('nothing listens at the issuer: sso_provider_unreachable', async () => {
    const port = await freePort();
    const err = await rejectsWith(OidcClient.discover({ issuer: `http://127.0.0.1:${port}`, clientId: 'c', insecureLoopbackIssuer: true, requestTimeoutMs: 2000 }), 'sso_provider_unreachable');
    assert.equal(err.reason, 'ECONNREFUSED');
  });

  it('the issuer accepts the connection and never answers: sso_provider_slow after the request timeout', async () => {
    const sockets: Socket[] = [];
    const tarpit: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    try {
      const { port } = tarpit.address() as AddressInfo;
      await rejectsWith(OidcClient.discover({ issuer: `http://127.0.0.1:${port}`, clientId: 'c', insecureLoopbackIssuer: true, requestTimeoutMs: 300 }), 'sso_provider_slow');
      assert.ok(sockets.length >= 1, 'the client did connect');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tarpit.close(() => r()));
    }
  });

  it('plain http is refused unless explicitly allowed, and only for a loopback issuer', async () => {
    assert.equal((await rejectsWith(OidcClient.discover({ issuer: 'http://127.0.0.1:9', clientId: 'c' }), 'sso_config_invalid')).reason, 'insecure_issuer');
    assert.equal((await rejectsWith(OidcClient.discover({ issuer: 'http://idp.example', clientId: 'c', insecureLoopbackIssuer: true }), 'sso_config_invalid')).reason, 'insecure_issuer');
    await rejectsWith(OidcClient.discover({ issuer: 'not a url', clientId: 'c' }), 'sso_config_invalid');
    await rejectsWith(OidcClient.discover({ issuer: 'https://idp.example', clientId: 'c', scopes: ['profile'] }), 'sso_config_invalid');
  });
});
