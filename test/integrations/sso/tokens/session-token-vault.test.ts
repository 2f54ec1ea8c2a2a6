/**
 * SessionTokenVault (src/main/integrations/sso/tokens) on the real session engine and a manual
 * clock: every time rule is checked by moving the clock, never by waiting. The keychain and the
 * provider are one layer down (MemorySecretStore, ScriptedSource); the real ones are tested in
 * keychain/ and in refresh-oidc-provider.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { SessionTokenVault, refreshAccount, type DegradedState, type DropReason } from '../../../../src/main/integrations/sso/tokens/index.js';
import { harness } from '../../../session/engine/harness.js';
import { ALICE, BOB, HOUR, MIN, SEC, cpsPin, tap } from '../../../session/policy/fixtures.js';
import { MemorySecretStore, ScriptedSource, accessToken } from './fakes.js';
import type { Decision } from '../../../../src/main/session/policy/decision.js';
import type { EngineStatus } from '../../../../src/main/session/engine/session-engine.js';

const WINDOW = 4 * HOUR;
const DPI = 'https://dpi.chu.local/api';
const LAB = 'https://labo.chu.local/api';

function setup() {
  const h = harness({ exi14WindowMs: WINDOW });
  const store = new MemorySecretStore();
  const source = new ScriptedSource();
  const logouts: { person: string; reason: DropReason; idTokenHint?: string }[] = [];
  const degraded: (DegradedState | undefined)[] = [];
  const warnings: string[] = [];
  const vault = new SessionTokenVault({
    engine: h.engine,
    store,
    source,
    clock: h.clock,
    logout: (i) => {
      logouts.push({ ...i });
    },
    onDegraded: (s) => degraded.push(s),
    onWarning: (code) => warnings.push(code),
  });
  const signIn = async (person = ALICE, aud = DPI, expiresIn = 600) => {
    await vault.adopt(person.id, { access_token: accessToken(aud, person.id), expires_in: expiresIn, id_token: `id.${person.rpps ?? 'x'}.token`, refresh_token: `rt-${person.rpps ?? 'x'}-1`, token_type: 'Bearer' });
  };
  return { h, store, source, vault, logouts, degraded, warnings, signIn };
}

function noToken(reason: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof SsoError, String(e));
    assert.equal(e.code, 'sso_no_token');
    assert.equal(e.reason, reason);
    return true;
  };
}

describe('SessionTokenVault: binding to the session', () => {
  it('takes tokens only for the person of the active 2FA session in front', async () => {
    const t = setup();
    await assert.rejects(t.signIn(), noToken('no_session'));
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await assert.rejects(t.vault.adopt(BOB.id, { access_token: accessToken(DPI, BOB.id) }), noToken('no_session'));
    t.h.engine.lock();
    await assert.rejects(t.signIn(), noToken('session_locked'));
    assert.equal(t.vault.view(), undefined);
    assert.equal(t.store.items.size, 0);
  });

  it('keeps the access and ID tokens in memory and the refresh token in the keychain only', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    assert.deepEqual([...t.store.items.entries()], [[refreshAccount(ALICE.id), 'rt-10001234567-1']]);
    const v = t.vault.view();
    assert.equal(v?.person, ALICE.id);
    assert.equal(v?.hasRefreshToken, true);
    assert.equal(v?.windowEnd.getTime(), t.h.now() + WINDOW);
    const tok = await t.vault.token();
    assert.equal(tok.source, 'cached');
    assert.deepEqual(tok.audiences, [DPI]);
    assert.equal(JSON.stringify(v).includes('rt-'), false, 'the view carries no token');
  });

  it('sign-out drops everything: memory, keychain item, provider session (logout hook with the ID token)', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    t.h.engine.signOut();
    assert.equal(t.vault.view(), undefined, 'memory cleared at the decision');
    await assert.rejects(t.vault.token(), noToken('not_signed_in'));
    await t.vault.settled();
    assert.equal(t.store.items.size, 0, 'keychain item deleted');
    assert.ok(t.store.calls.includes(`delete ${refreshAccount(ALICE.id)}`));
    assert.deepEqual(t.logouts, [{ person: ALICE.id, reason: 'signed_out', idTokenHint: 'id.10001234567.token' }]);
  });

  it('the window end drops the tokens at that instant (engine clock), and no refresh is run after it', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    t.h.clock.advance(WINDOW - 1);
    assert.ok(t.vault.view(), 'still held 1 ms before the end');
    t.h.clock.advance(1);
    assert.equal(t.vault.view(), undefined);
    await assert.rejects(t.vault.token(), noToken('not_signed_in'));
    await t.vault.settled();
    assert.equal(t.store.items.size, 0);
    assert.deepEqual(t.logouts.map((l) => l.reason), ['window_expired']);
    assert.equal(t.source.calls.length, 0);
  });

  it('a lock keeps the tokens (none handed out while locked); a tap unlocks and the same token comes back', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    const before = await t.vault.token();
    t.h.engine.lock();
    t.h.clock.advance(5 * MIN);
    assert.ok(t.vault.view());
    await assert.rejects(t.vault.token(), noToken('session_locked'));
    assert.equal(t.h.engine.badgeTapped(tap(ALICE, t.h.now())).decision, 'unlock');
    const after = await t.vault.token();
    assert.equal(after.accessToken, before.accessToken);
    assert.equal(t.source.calls.length, 0);
    assert.equal(t.store.items.size, 1);
    assert.equal(t.logouts.length, 0);
  });

  it('a re-identification does not extend anything: refreshed near the end, the token is valid until the window end at most, then dropped', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    const windowEnd = t.h.now() + WINDOW;
    await t.signIn();
    t.h.clock.advance(WINDOW - 20 * MIN);
    t.h.engine.lock();
    t.h.clock.advance(10 * MIN);
    t.h.engine.badgeTapped(tap(ALICE, t.h.now()));
    assert.equal(t.vault.view()?.windowEnd.getTime(), windowEnd, 'the tap did not move the window');
    t.source.then({ answer: { access_token: accessToken(DPI), expires_in: 3600, refresh_token: 'rt-10001234567-2' } });
    const tok = await t.vault.token();
    assert.equal(tok.source, 'refreshed');
    assert.equal(tok.expiresAt.getTime(), windowEnd, 'a 1 h token is reported valid until the window end only');
    t.h.clock.advance(10 * MIN);
    assert.equal(t.vault.view(), undefined);
    await assert.rejects(t.vault.token(), noToken('not_signed_in'));
    assert.equal(t.source.calls.length, 1);
    await t.vault.settled();
    assert.equal(t.store.items.size, 0);
  });

  it('a new 2FA of the same person moves the window; the tokens stay', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    t.h.clock.advance(3 * HOUR);
    t.h.engine.lock();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    assert.equal(t.vault.view()?.windowEnd.getTime(), t.h.now() + WINDOW);
    t.h.clock.advance(2 * HOUR);
    assert.ok(t.vault.view(), 'past the first window, inside the new one');
    assert.equal(t.logouts.length, 0);
  });

  it("another person's 2FA drops the first person's tokens (keychain item deleted, provider logout)", async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    t.h.clock.advance(MIN);
    assert.equal(t.h.engine.authenticate(cpsPin(BOB, t.h.now())).decision, 'switch_user');
    assert.equal(t.vault.view(), undefined);
    await t.vault.settled();
    assert.equal(t.store.items.has(refreshAccount(ALICE.id)), false);
    assert.deepEqual(t.logouts.map((l) => `${l.person}/${l.reason}`), [`${ALICE.id}/replaced`]);
    await t.signIn(BOB);
    assert.equal((await t.vault.token()).person, BOB.id);
    assert.deepEqual([...t.store.items.keys()], [refreshAccount(BOB.id)]);
  });
});

describe('SessionTokenVault: the window is moved by two-factor decisions only', () => {
  it('a single-factor unlock that carried a later window end does not move the vault\'s window (regression guard, engine-independent)', async () => {
    const h = harness({ exi14WindowMs: WINDOW });
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    const real = h.engine;
    const listeners: ((d: Decision) => void)[] = [];
    const engine = { status: (): EngineStatus => real.status(), onDecision: (l: (d: Decision) => void) => (listeners.push(l), () => undefined) };
    const vault = new SessionTokenVault({ engine, store: new MemorySecretStore(), source: new ScriptedSource(), clock: h.clock });
    await vault.adopt(ALICE.id, { access_token: accessToken(DPI), expires_in: 600 });
    const end = vault.view()?.windowEnd.getTime() ?? 0;
    const base = { at: new Date(h.now()), workstation: 'local', event: 'badge_tap', person: ALICE.id, reason: 'exi14.reidentified', windowEnd: new Date(end + HOUR) } as const;
    for (const l of listeners) l({ ...base, decision: 'unlock', classification: 'single_factor_reidentification_candidate' });
    assert.equal(vault.view()?.windowEnd.getTime(), end);
    for (const l of listeners) l({ ...base, decision: 'unlock', event: 'authentication', reason: 'rie.cps_pin', classification: 'two_factor' });
    assert.equal(vault.view()?.windowEnd.getTime(), end + HOUR);
    await vault.stop();
  });
});

describe('SessionTokenVault: refresh', () => {
  it('refreshes an expiring token with the keychain refresh token and keeps the rotated one', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 300);
    t.h.clock.advance(280 * SEC);
    const fresh = accessToken(DPI);
    t.source.then({ answer: { access_token: fresh, expires_in: 300, refresh_token: 'rt-10001234567-2' } });
    const tok = await t.vault.token();
    assert.equal(tok.accessToken, fresh);
    assert.equal(t.source.calls[0]?.refreshToken, 'rt-10001234567-1');
    assert.equal(t.store.items.get(refreshAccount(ALICE.id)), 'rt-10001234567-2');
    assert.equal((await t.vault.token()).source, 'cached');
  });

  it('provider unreachable: degraded idp_unreachable reported, the current token kept until it expires, then a typed error; recovery clears it', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 300);
    const first = (await t.vault.token()).accessToken;
    t.h.clock.advance(290 * SEC);
    t.source.then({ error: new SsoError('sso_provider_unreachable', 'connect ECONNREFUSED 127.0.0.1:1') });
    const kept = await t.vault.token();
    assert.equal(kept.accessToken, first);
    assert.equal(kept.expiresAt.getTime(), t.h.now() + 10 * SEC);
    assert.equal(t.degraded.length, 1);
    assert.equal(t.degraded[0]?.degraded, 'idp_unreachable');
    assert.equal(t.vault.view()?.degraded?.degraded, 'idp_unreachable');
    t.h.clock.advance(10 * SEC);
    t.source.then({ error: new SsoError('sso_provider_slow', 'timeout') });
    await assert.rejects(t.vault.token(), (e) => e instanceof SsoError && e.code === 'sso_provider_slow');
    assert.ok(t.vault.view(), 'expired access token, but the session and its refresh token remain');
    assert.equal(t.store.items.size, 1);
    t.source.then({ answer: { access_token: accessToken(DPI), expires_in: 300 } });
    assert.equal((await t.vault.token()).source, 'refreshed');
    assert.deepEqual(t.degraded.map((d) => d?.degraded), ['idp_unreachable', undefined]);
    assert.equal(t.store.items.get(refreshAccount(ALICE.id)), 'rt-10001234567-1', 'no rotation: the refresh token is unchanged');
  });

  it('provider back (probe): the tokens are refreshed at once and the degraded state ends; while locked nothing is refreshed', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 300);
    t.h.clock.advance(295 * SEC);
    t.source.then({ error: new SsoError('sso_provider_unreachable', 'connect ECONNREFUSED 127.0.0.1:1') });
    await t.vault.token();
    assert.deepEqual(t.degraded.map((d) => d?.degraded), ['idp_unreachable']);
    // Locked: the provider is back but nothing is refreshed for a session that is not in front.
    t.h.engine.lock();
    await t.vault.providerBack();
    assert.equal(t.source.calls.length, 1);
    assert.deepEqual(t.degraded.map((d) => d?.degraded), ['idp_unreachable']);
    t.h.engine.badgeTapped(tap(ALICE, t.h.now()));
    assert.equal(t.h.engine.status().current?.state, 'active');
    const fresh = accessToken(DPI);
    t.source.then({ answer: { access_token: fresh, expires_in: 300, refresh_token: 'rt-10001234567-2' } });
    await t.vault.providerBack();
    assert.equal(t.source.calls.length, 2);
    assert.deepEqual(t.degraded.map((d) => d?.degraded), ['idp_unreachable', undefined]);
    assert.equal((await t.vault.token()).accessToken, fresh);
    assert.equal(t.store.items.get(refreshAccount(ALICE.id)), 'rt-10001234567-2');
    // Not degraded: a second signal does nothing.
    await t.vault.providerBack();
    assert.equal(t.source.calls.length, 2);
  });

  it('a refresh refused with invalid_grant drops the tokens', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 60);
    t.h.clock.advance(60 * SEC);
    t.source.then({ error: new SsoError('sso_provider_error', 'invalid_grant', { providerError: 'invalid_grant' }) });
    await assert.rejects(t.vault.token(), noToken('refresh_rejected'));
    assert.equal(t.vault.view(), undefined);
    await t.vault.settled();
    assert.equal(t.store.items.size, 0);
    assert.deepEqual(t.logouts.map((l) => l.reason), ['refresh_rejected']);
  });

  it('a refresh answered after the sign-out is discarded: nothing handed out, its refresh token not kept', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 60);
    t.h.clock.advance(60 * SEC);
    let answer!: (a: { access_token: string; refresh_token: string }) => void;
    t.source.then({ wait: new Promise((r) => (answer = r)) });
    const pending = t.vault.token();
    const again = t.vault.token();
    await new Promise((r) => setImmediate(r));
    t.h.engine.signOut();
    answer({ access_token: accessToken(DPI), refresh_token: 'rt-late' });
    await assert.rejects(pending, noToken('dropped'));
    await assert.rejects(again, noToken('dropped'));
    await t.vault.settled();
    assert.equal(t.source.calls.length, 1, 'one refresh for both callers');
    assert.equal(t.store.items.size, 0);
  });

  it('a sign-out while the refresh token is being read: the provider is never called with it', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 60);
    t.h.clock.advance(60 * SEC);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const get = t.store.get.bind(t.store);
    t.store.get = async (account: string) => {
      await gate;
      return get(account);
    };
    const pending = t.vault.token();
    t.h.engine.signOut();
    release();
    await assert.rejects(pending, noToken('dropped'));
    assert.equal(t.source.calls.length, 0);
  });

  it('audiences: the session token when its aud matches, else a narrowed refresh (resource, scope), cached per audience', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 600);
    const dpi = await t.vault.token({ audience: DPI, resource: DPI });
    assert.equal(dpi.source, 'cached');
    assert.equal(t.source.calls.length, 0);
    await assert.rejects(t.vault.token({ audience: LAB }), noToken('audience_unknown'));
    const lab = accessToken(LAB);
    t.source.then({ answer: { access_token: lab, expires_in: 600 } });
    const got = await t.vault.token({ audience: LAB, resource: LAB, scope: 'labo.read' });
    assert.equal(got.accessToken, lab);
    assert.deepEqual(t.source.calls[0]?.narrowing, { resource: LAB, scope: 'labo.read' });
    assert.equal((await t.vault.token({ audience: LAB, resource: LAB, scope: 'labo.read' })).source, 'cached');
    assert.equal((await t.vault.token({ audience: DPI, resource: DPI })).accessToken, dpi.accessToken);
  });

  it('a malformed answer from the provider is refused with a typed error and changes nothing', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn(ALICE, DPI, 60);
    t.h.clock.advance(60 * SEC);
    t.source.then({ answer: { access_token: 'has spaces in it', expires_in: 60 } });
    await assert.rejects(t.vault.token(), (e) => e instanceof SsoError && e.code === 'sso_provider_error' && e.reason === 'malformed');
    assert.equal(t.store.items.get(refreshAccount(ALICE.id)), 'rt-10001234567-1');
    await assert.rejects(t.vault.adopt(ALICE.id, { access_token: '', expires_in: -1 }), (e) => e instanceof SsoError && e.reason === 'malformed');
  });

  it('a locked keychain at sign-out: the deletion is retried until it succeeds', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    t.store.locked = true;
    t.h.engine.signOut();
    await t.vault.settled();
    assert.ok(t.warnings.includes('sso_keychain_unavailable'));
    assert.equal(t.store.items.size, 1, 'still there: the keychain refused');
    t.store.locked = false;
    await t.vault.settled();
    assert.equal(t.store.items.size, 0);
  });

  it('stop() drops what is held and stops following the engine', async () => {
    const t = setup();
    t.h.engine.authenticate(cpsPin(ALICE, t.h.now()));
    await t.signIn();
    await t.vault.stop();
    assert.equal(t.store.items.size, 0);
    assert.deepEqual(t.logouts.map((l) => l.reason), ['stopped']);
    await assert.rejects(t.signIn(), noToken('stopped'));
  });
});
