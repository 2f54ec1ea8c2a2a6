/**
 * `ssoFromConfig`: what each `sso.*` key turns on (vault, automatic sign-in, assertion endpoint,
 * browser logout), what is refused before anything starts, and the lazily discovered client —
 * a provider that is down at start is asked again at the next use, never remembered as down.
 * The logout page and the discovery run against a real oidc-provider.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/main/config/config-error.js';
import { parseConfig } from '../../../src/main/config/config.js';
import type { ClosableOpener } from '../../../src/main/integrations/sso/auto-signin.js';
import { DiscoveredClient, OidcClient, SsoError } from '../../../src/main/integrations/sso/client/index.js';
import { ssoFromConfig } from '../../../src/main/shells/agent/sso-from-config.js';
import { MemorySecretStore } from '../../integrations/sso/tokens/fakes.js';
import { TEST_CLIENT_ID, startTestProvider, type TestProvider } from '../../integrations/sso/client/fixtures/test-provider.js';
import { freePort } from '../../integrations/sso/provider/fixtures/sso-world.js';

const cfg = (sso: object): ReturnType<typeof parseConfig> => parseConfig(JSON.stringify({ sso }), 'test');
const ISSUER = 'https://sso.chu-exemple.fr/realms/soignants';

describe('ssoFromConfig: what the configuration turns on', () => {
  it('no issuer, no assertion port: nothing', () => {
    const s = ssoFromConfig(cfg({}));
    assert.deepEqual(s.runtime, {});
    assert.equal(s.client, undefined);
  });

  it('an issuer: the vault (keychain given) with its refresh source, the automatic sign-in; no assertion endpoint', () => {
    const store = new MemorySecretStore();
    const s = ssoFromConfig(cfg({ issuerUrl: ISSUER, clientId: 'tessera-agent' }), { store });
    assert.equal(s.runtime.tokens?.store, store);
    assert.ok(s.runtime.tokens?.logout, 'browser logout is on by default');
    assert.equal(s.runtime.autoSignIn?.timeoutMs, 120_000);
    assert.equal(s.runtime.autoSignIn?.subjectClaim, 'sub');
    assert.equal(s.runtime.autoSignIn?.subjectFor?.('rpps:10001234567'), '10001234567');
    assert.equal(s.runtime.autoSignIn?.subjectFor?.('local:bob'), undefined, 'a person without an RPPS number is never matched');
    assert.equal(s.runtime.autoSignIn?.extraParams, undefined);
    assert.equal(s.runtime.assertion, undefined);
    assert.equal(s.client?.options.issuer, ISSUER);
    assert.equal(s.client?.options.insecureLoopbackIssuer, false);
  });

  it('offline_access asks for consent (OIDC Core §11); the claim, timeout and required amr are passed on', () => {
    const s = ssoFromConfig(cfg({ issuerUrl: ISSUER, clientId: 'c', scopes: ['openid', 'offline_access'], subjectClaim: 'preferred_username', signInTimeoutSeconds: 45, requiredAmr: ['mfa'] }), { store: new MemorySecretStore() });
    assert.deepEqual(s.runtime.autoSignIn?.extraParams, { prompt: 'consent' });
    assert.equal(s.runtime.autoSignIn?.subjectClaim, 'preferred_username');
    assert.equal(s.runtime.autoSignIn?.timeoutMs, 45_000);
    assert.deepEqual(s.client?.options.requiredAmr, ['mfa']);
  });

  it('autoSignIn false: tokens (for the broker) but no automatic sign-in', () => {
    const s = ssoFromConfig(cfg({ issuerUrl: ISSUER, clientId: 'c', autoSignIn: false }), { store: new MemorySecretStore() });
    assert.ok(s.runtime.tokens);
    assert.equal(s.runtime.autoSignIn, undefined);
  });

  it('an assertion port: the endpoint asserts to the issuer by default, and the assertion notices replace the browser logout', () => {
    const s = ssoFromConfig(cfg({ issuerUrl: ISSUER, clientId: 'c', assertion: { port: 8701 } }), { store: new MemorySecretStore() });
    assert.deepEqual(s.runtime.assertion, { keyDir: '/var/lib/tessera/agent-keys', port: 8701, providers: [ISSUER], cardSignature: true });
    assert.equal(s.runtime.tokens?.logout, undefined);
  });

  it('sso.assertion.cardSignature false: the endpoint is on, the card is not held for it', () => {
    const s = ssoFromConfig(cfg({ issuerUrl: ISSUER, clientId: 'c', assertion: { port: 8701, cardSignature: false } }), { store: new MemorySecretStore() });
    assert.equal(s.runtime.assertion?.cardSignature, false);
  });

  it('an assertion port without issuer needs its providers, named in the error', () => {
    assert.throws(() => ssoFromConfig(cfg({ assertion: { port: 8701 } })), (e: unknown) => e instanceof ConfigError && e.field === 'sso.assertion.providers');
    const s = ssoFromConfig(cfg({ assertion: { port: 8701, providers: ['https://psc.example/auth'] } }));
    assert.deepEqual(s.runtime.assertion?.providers, ['https://psc.example/auth']);
    assert.equal(s.runtime.tokens, undefined);
  });

  it('plain http to this machine is the explicit loopback exception; the schema refuses it for any other host', () => {
    const s = ssoFromConfig(cfg({ issuerUrl: 'http://127.0.0.1:9/', clientId: 'c' }), { store: new MemorySecretStore() });
    assert.equal(s.client?.options.insecureLoopbackIssuer, true);
    assert.throws(() => cfg({ issuerUrl: 'http://sso.chu-exemple.fr/', clientId: 'c' }), (e: unknown) => e instanceof ConfigError && e.field === 'sso.issuerUrl');
  });

  it('a refresh for a person no sign-in named is refused before the provider is asked', async () => {
    const s = ssoFromConfig(cfg({ issuerUrl: 'http://127.0.0.1:9/', clientId: 'c' }), { store: new MemorySecretStore() });
    await assert.rejects(s.runtime.tokens?.source.refresh('rt', {}, { person: 'rpps:10001234567' }) ?? Promise.reject(new Error('no source')), (e: unknown) => e instanceof SsoError && e.code === 'sso_no_token' && e.reason === 'subject_unknown');
  });
});

describe('ssoFromConfig against a real provider', () => {
  let provider: TestProvider;
  before(async () => {
    provider = await startTestProvider();
  });
  after(async () => {
    await provider?.close();
  });

  it('browser logout: the end-session page with id_token_hint for a sign-out, a window end and a switch; nothing when the agent stops', async () => {
    const opened: string[] = [];
    let closed = 0;
    const opener = (): ClosableOpener => ({
      open: (url) => {
        opened.push(url);
        return Promise.resolve();
      },
      close: () => {
        closed++;
        return Promise.resolve();
      },
    });
    const events: string[] = [];
    const s = ssoFromConfig(cfg({ issuerUrl: provider.issuer, clientId: TEST_CLIENT_ID }), { store: new MemorySecretStore(), opener, onEvent: (e) => events.push(e.type) });
    const logout = s.runtime.tokens?.logout;
    assert.ok(logout);
    for (const reason of ['signed_out', 'window_expired', 'replaced', 'stopped', 'refresh_rejected'] as const) await logout({ person: 'rpps:10001234567', reason, idTokenHint: `hint-${reason}` });
    await logout({ person: 'rpps:10001234567', reason: 'signed_out' });
    assert.equal(opened.length, 3, opened.join('\n'));
    const discovered = await OidcClient.discover({ issuer: provider.issuer, clientId: TEST_CLIENT_ID, insecureLoopbackIssuer: true });
    for (const [i, reason] of ['signed_out', 'window_expired', 'replaced'].entries()) {
      const u = new URL(opened[i] ?? '');
      assert.equal(u.origin + u.pathname, discovered.logoutUrl('x').origin + discovered.logoutUrl('x').pathname);
      assert.equal(u.searchParams.get('id_token_hint'), `hint-${reason}`);
      assert.equal(u.searchParams.get('client_id'), TEST_CLIENT_ID);
    }
    assert.equal(closed, 3);
    assert.deepEqual(events, ['sso_logout_opened', 'sso_logout_opened', 'sso_logout_opened']);
  });
});

describe('DiscoveredClient', () => {
  it('a provider down at start: the discovery fails, is not remembered, and succeeds once the provider answers', async () => {
    const port = await freePort();
    const c = new DiscoveredClient({ issuer: `http://127.0.0.1:${port}`, clientId: TEST_CLIENT_ID, insecureLoopbackIssuer: true, requestTimeoutMs: 2000 });
    await assert.rejects(c.client(), (e: unknown) => e instanceof SsoError && e.code === 'sso_provider_unreachable');
    assert.equal(await c.discovered(), false);
    const p = await startTestProvider({ port });
    try {
      const [a, b] = await Promise.all([c.client(), c.client()]);
      assert.equal(a, b, 'concurrent callers share one discovery');
      assert.equal(a.issuer, p.issuer);
      assert.equal(await c.discovered(), true);
      assert.equal(await c.client(), a, 'kept once discovered');
    } finally {
      await p.close();
    }
  });

  it('concurrent callers share one failed attempt too; the next call starts a new one', async () => {
    let calls = 0;
    const c = new DiscoveredClient({ issuer: 'https://sso.example', clientId: 'c' }, () => {
      calls++;
      return Promise.reject(new SsoError('sso_provider_unreachable', 'down'));
    });
    await Promise.all([assert.rejects(c.client()), assert.rejects(c.client())]);
    assert.equal(calls, 1);
    await assert.rejects(c.client());
    assert.equal(calls, 2);
  });
});
