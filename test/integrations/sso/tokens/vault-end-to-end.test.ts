/**
 * The vault with everything real below it: the session engine (manual clock), the project's
 * OIDC client signing in through Chromium at a real `oidc-provider`, and the refresh token in a
 * real gnome-keyring on a private bus, checked from outside with `secret-tool`. Refresh with
 * rotation, provider down (degraded, token kept until it expires) and sign-out (item gone,
 * logout hook given the ID token).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { OsKeychain } from '../../../../src/main/integrations/keychain/index.js';
import { OidcClient, SsoError } from '../../../../src/main/integrations/sso/client/index.js';
import { SessionTokenVault, answerFromOidcTokens, oidcTokenSource, refreshAccount, type DegradedState } from '../../../../src/main/integrations/sso/tokens/index.js';
import { harness } from '../../../session/engine/harness.js';
import { ALICE, HOUR, SEC, cpsPin } from '../../../session/policy/fixtures.js';
import { lookupWithSecretTool, startProcessSecretService, type Keyring, type ProcessSecretService } from '../../keychain/secret-service-bed.js';
import { CHROMIUM_MISSING, chromiumOpener, launchChromium } from '../client/fixtures/openers.js';
import { TEST_ACCOUNT, startTestProvider, type TestProvider } from '../client/fixtures/test-provider.js';

const SERVICE = `fr.tessera.test-${randomBytes(4).toString('hex')}`;

describe('SessionTokenVault end to end (oidc-provider, OIDC client, gnome-keyring)', { skip: CHROMIUM_MISSING }, () => {
  let dir: string;
  let secrets: ProcessSecretService;
  let keyring: Keyring;
  let provider: TestProvider;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-vault-e2e-'));
    secrets = await startProcessSecretService(dir);
    keyring = secrets.keyring;
    provider = await startTestProvider();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await provider?.close();
    await secrets?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a replayed (rotated-out) refresh token: the provider answers invalid_grant, everything is dropped and the item deleted', async () => {
    const h = harness({ exi14WindowMs: 4 * HOUR });
    const client = await OidcClient.discover({ issuer: provider.issuer, clientId: provider.clientId, scopes: ['openid'], insecureLoopbackIssuer: true, requestTimeoutMs: 3000 });
    const store = new OsKeychain({ service: SERVICE });
    const logouts: string[] = [];
    const vault = new SessionTokenVault({ engine: h.engine, store, source: oidcTokenSource(client, { expectedSubject: TEST_ACCOUNT }), clock: h.clock, logout: (i) => void logouts.push(i.reason) });
    const account = refreshAccount(ALICE.id);
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    const opener = await chromiumOpener(browser);
    const { tokens } = await client.signIn({ opener, timeoutMs: 20_000 });
    await opener.close();
    await vault.adopt(ALICE.id, answerFromOidcTokens(tokens));
    h.clock.advance(300 * SEC);
    assert.equal((await vault.token()).source, 'refreshed');
    // Someone puts the old refresh token back (a copy taken before the rotation).
    await store.set(account, Buffer.from(tokens.refreshToken ?? ''));
    h.clock.advance(300 * SEC);
    await assert.rejects(vault.token(), (e) => e instanceof SsoError && e.code === 'sso_no_token' && e.reason === 'refresh_rejected');
    assert.equal(vault.view(), undefined);
    await vault.settled();
    assert.equal(lookupWithSecretTool(keyring, SERVICE, account), undefined);
    assert.deepEqual(logouts, ['refresh_rejected']);
    await vault.stop();
  });

  it('a narrowed refresh for an audience: the provider issues a token with the smaller scope (userinfo tells)', async () => {
    const h = harness({ exi14WindowMs: 4 * HOUR });
    const client = await OidcClient.discover({ issuer: provider.issuer, clientId: provider.clientId, scopes: ['openid', 'profile'], insecureLoopbackIssuer: true, requestTimeoutMs: 3000 });
    const vault = new SessionTokenVault({ engine: h.engine, store: new OsKeychain({ service: SERVICE }), source: oidcTokenSource(client, { expectedSubject: TEST_ACCOUNT }), clock: h.clock });
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    const opener = await chromiumOpener(browser);
    const { tokens } = await client.signIn({ opener, timeoutMs: 20_000 });
    await opener.close();
    await vault.adopt(ALICE.id, answerFromOidcTokens(tokens));
    const userinfo = async (token: string): Promise<Record<string, unknown>> => {
      const r = await fetch(`${provider.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      return (await r.json()) as Record<string, unknown>;
    };
    const session = await vault.token();
    assert.equal((await userinfo(session.accessToken))['name'], 'Marie Curie');
    const narrowed = await vault.token({ audience: 'urn:test:openid-only', scope: 'openid' });
    assert.equal(narrowed.source, 'refreshed');
    const claims = await userinfo(narrowed.accessToken);
    assert.equal(claims['sub'], TEST_ACCOUNT);
    assert.equal(claims['name'], undefined, 'the narrowed token carries no profile scope');
    assert.equal((await vault.token({ audience: 'urn:test:openid-only', scope: 'openid' })).source, 'cached');
    await vault.stop();
  });

  it('sign-in → refresh token in the keyring → rotated by a real refresh → provider down keeps the token → sign-out deletes the item', async () => {
    const h = harness({ exi14WindowMs: 4 * HOUR });
    const client = await OidcClient.discover({ issuer: provider.issuer, clientId: provider.clientId, scopes: ['openid'], insecureLoopbackIssuer: true, requestTimeoutMs: 3000 });
    const degraded: (DegradedState | undefined)[] = [];
    const logouts: { reason: string; idTokenHint?: string }[] = [];
    const vault = new SessionTokenVault({
      engine: h.engine,
      store: new OsKeychain({ service: SERVICE }),
      source: oidcTokenSource(client, { expectedSubject: TEST_ACCOUNT }),
      clock: h.clock,
      onDegraded: (s) => degraded.push(s),
      logout: (i) => {
        logouts.push({ reason: i.reason, ...(i.idTokenHint !== undefined ? { idTokenHint: i.idTokenHint } : {}) });
      },
    });
    const account = refreshAccount(ALICE.id);

    h.engine.authenticate(cpsPin(ALICE, h.now()));
    const opener = await chromiumOpener(browser);
    const { tokens } = await client.signIn({ opener, timeoutMs: 20_000 });
    await opener.close();
    assert.ok(tokens.refreshToken, 'the provider issued a refresh token');
    await vault.adopt(ALICE.id, answerFromOidcTokens(tokens));
    assert.equal(lookupWithSecretTool(keyring, SERVICE, account), tokens.refreshToken, 'the refresh token is in the keyring');
    assert.equal((await vault.token()).accessToken, tokens.accessToken);

    h.clock.advance(300 * SEC);
    const refreshed = await vault.token();
    assert.equal(refreshed.source, 'refreshed');
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    const rotated = lookupWithSecretTool(keyring, SERVICE, account);
    assert.ok(rotated !== undefined && rotated !== tokens.refreshToken, 'the rotated refresh token replaced the old one in the keyring');

    await provider.close();
    h.clock.advance(280 * SEC);
    const kept = await vault.token();
    assert.equal(kept.accessToken, refreshed.accessToken, 'provider down: the current token is kept');
    assert.equal(degraded.at(-1)?.degraded, 'idp_unreachable');
    assert.equal(lookupWithSecretTool(keyring, SERVICE, account), rotated, 'nothing lost in the keyring');

    h.engine.signOut();
    await vault.settled();
    assert.equal(lookupWithSecretTool(keyring, SERVICE, account), undefined, 'sign-out deleted the item');
    assert.deepEqual(logouts.map((l) => l.reason), ['signed_out']);
    // The hint is the latest ID token: the sign-in's, or the one the refresh brought.
    const hint = logouts[0]?.idTokenHint ?? '';
    const claims = JSON.parse(Buffer.from(hint.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string; aud?: string };
    assert.equal(claims.sub, TEST_ACCOUNT);
    assert.equal(claims.aud, provider.clientId);
    await vault.stop();
  });
});
