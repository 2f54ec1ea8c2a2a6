/**
 * A full shift at a ward workstation, end to end (issue 8), through the real pcscd, the real
 * embedded OpenID provider and Chromium, on a manual clock:
 *
 * card + PIN at the start of the shift → the agent signs in at the provider with no second prompt
 * (Chromium follows the authorization URL, the provider gets the agent's proof; sub = RPPS, amr
 * from the card) → lock → 40 badge taps over the morning (same person, window end unchanged) → a
 * colleague takes over with their own card + PIN and the nurse comes back the same way (both
 * sessions kept) → the window expires → a tap then asks for the full 2FA → the card is forgotten:
 * FIDO2 key + PIN (fallback recorded) → the provider and the audit collector go down (degraded
 * idp_unreachable shown; a lock and a badge + PIN unlock still work, marked offline) and come back
 * (degraded cleared, tokens refreshed, the queued audit records delivered in order) → sign out
 * (tokens dropped). Every state the person sees is the UI core's StatusView; every audit record is
 * asserted in order; the chain verifies at the end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listAuditFiles, verifyAuditFile } from '../../src/main/integrations/audit/index.js';
import { SsoError } from '../../src/main/integrations/sso/sso-error.js';
import { refreshAccount } from '../../src/main/integrations/sso/tokens/index.js';
import type { SessionView, StatusView } from '../../src/shared/status-view.js';
import { CHROMIUM_MISSING } from '../integrations/sso/client/fixtures/openers.js';
import { until } from '../shells/agent/until.js';
import { Shift, type RecordShape } from './shift-steps.js';
import { BADGE_PIN, CARD_PIN, COLLEAGUE, KEY_PIN, NURSE, WINDOW_MINUTES, openShiftWorld, type ShiftWorld } from './shift-world.js';

const MIN = 60_000;
const TAPS = 40;
const TWO: readonly string[] = ['possession', 'knowledge'];

type Who = typeof NURSE | typeof COLLEAGUE;

/** The audit record of a decision (or info record) about `who`. */
const rec = (event: string, decision: string, reason: string, who: Who | null, means: string | null, factors: readonly string[] = [], offline = false): RecordShape => ({
  event,
  decision,
  reason,
  person: who?.id ?? null,
  means,
  factors: [...factors],
  ...(offline ? { offline: true as const } : {}),
});

/** The session part of the status view for `who`. */
const session = (state: 'active' | 'locked' | 'expired', who: Who, means: string, factors: readonly string[], windowEnd: number, reason?: string): SessionView =>
  ({ state, person: { displayName: who.name, id: who.rpps }, means, factors: [...factors], windowEnd: new Date(windowEnd).toISOString(), ...(reason !== undefined ? { reason } : {}) }) as SessionView;

describe('a full shift at a ward workstation, end to end', { skip: CHROMIUM_MISSING }, () => {
  let w: ShiftWorld;
  let s: Shift;

  before(async () => {
    w = await openShiftWorld();
    s = new Shift(w);
  });

  after(async () => {
    s?.dispose();
    await w?.close();
  });

  it('card + PIN, SSO, 40 taps, a colleague, expiry, FIDO2 fallback, provider outage, sign-out', async () => {
    const provider = new URL(w.issuer).host;
    const signedOut: StatusView['sso'] = { state: 'signed-out', provider };
    /** The person in front holds web SSO tokens (kept while locked inside the window). */
    const sso = { sso: { state: 'signed-in', provider } } satisfies Partial<StatusView>;
    const vault = w.ui.runtime.tokens;
    assert.ok(vault, 'the runtime holds the session tokens');
    /** Waits until the person sees `expected` (session, web SSO state, degraded reasons), then asserts it. */
    const sees = async (what: string, expected: SessionView, extra: Partial<StatusView> = {}): Promise<void> => {
      const seen = (v: StatusView): unknown => ({ session: v.session, sso: v.sso, degraded: v.degraded.reasons.map((r) => r.code) });
      const want = { session: expected, sso: extra.sso ?? signedOut, degraded: extra.degraded?.reasons.map((r) => r.code) ?? [] };
      const v = await s.waitView(what, (x) => JSON.stringify(seen(x)) === JSON.stringify(want));
      assert.deepEqual(seen(v), want, what);
    };
    const loginsAt = (): { account: string; amr: readonly string[] }[] => w.providerEvents.flatMap((e) => (e.event === 'login' ? [{ account: e.account, amr: e.amr }] : []));

    // ── 7:00 card + PIN → session, then the web sign-in with no second prompt ─────────────
    assert.equal(s.view().session.state, 'none');
    const morningEnd = w.start + WINDOW_MINUTES * MIN;
    await w.bed.insert(0, w.nurseCard);
    await s.typePin('cps', CARD_PIN);
    await s.expectRecords('card + PIN', [rec('authentication', 'open', 'rie.cps_pin', NURSE, 'cps', TWO)]);
    await until('the sign-in', () => w.signIns.length + w.signInErrors.length >= 1, 30_000);
    await sees('card + PIN, signed in to the web SSO', session('active', NURSE, 'cps', TWO, morningEnd), sso);
    assert.deepEqual(w.signInErrors, []);
    assert.deepEqual(w.signIns, [{ person: NURSE.id, subject: NURSE.rpps, amr: ['sc', 'hwk', 'pin', 'mfa'] }]);
    assert.deepEqual(loginsAt(), [{ account: NURSE.rpps, amr: ['sc', 'hwk', 'pin', 'mfa'] }], 'the provider signed in the RPPS account on the agent proof');
    assert.equal(vault.view()?.person, NURSE.id);
    assert.equal(vault.view()?.hasRefreshToken, true);
    assert.ok(w.keychain.items.has(refreshAccount(NURSE.id)), 'the refresh token is in the keychain');
    assert.equal((await vault.token()).source, 'cached', 'the sign-in’s access token is handed out');
    const prompt = w.ui.core.getPrompt();
    assert.ok(prompt.ok && prompt.value.kind === 'none', 'no second prompt');

    // ── lock: the card leaves the reader ─────────────────────────────────────────────────
    await w.bed.eject(0);
    await sees('card out', session('locked', NURSE, 'cps', TWO, morningEnd, 'card_removed'), sso);
    await s.expectRecords('card out', [rec('card_removed', 'lock', 'session.card_removed', NURSE, null)]);

    // ── 40 badge taps over the morning: each re-identifies the nurse, window end unchanged ─
    for (let i = 1; i <= TAPS; i++) {
      w.clock.advance(5 * MIN);
      const [d] = await s.tap();
      assert.equal(d?.decision, 'unlock', `tap ${i}`);
      await sees(`tap ${i}`, session('active', NURSE, 'desfire', ['possession'], morningEnd), sso);
      assert.ok((await w.ui.core.lock()).ok);
      await sees(`lock ${i}`, session('locked', NURSE, 'desfire', ['possession'], morningEnd, 'user_lock'), sso);
      await s.expectRecords(`tap ${i}`, [
        rec('badge_tap', 'unlock', 'exi14.reidentified', NURSE, 'desfire', ['possession']),
        rec('card_removed', 'ignore', 'session.not_session_card', null, null),
        rec('lock_request', 'lock', 'session.user_lock', NURSE, null),
      ]);
    }
    assert.equal(w.signIns.length, 1, 'a tap is not a two-factor login: no new web sign-in');
    assert.equal(vault.view()?.person, NURSE.id, 'the tokens stay with the nurse through the taps');

    // ── a colleague takes over with their own card + PIN, and the nurse comes back ───────
    w.clock.advance(5 * MIN);
    const takeover = w.clock.now();
    const takeoverEnd = takeover + WINDOW_MINUTES * MIN;
    await w.bed.insert(0, w.colleagueCard);
    await s.typePin('cps', CARD_PIN);
    await until('the colleague’s sign-in', () => w.signIns.length + w.signInErrors.length >= 2, 30_000);
    await sees('colleague', session('active', COLLEAGUE, 'cps', TWO, takeoverEnd), sso);
    assert.equal(w.signIns[1]?.subject, COLLEAGUE.rpps);
    assert.equal(vault.view()?.person, COLLEAGUE.id, 'the colleague’s tokens replaced the nurse’s');
    assert.deepEqual([...w.keychain.items.keys()], [refreshAccount(COLLEAGUE.id)]);
    const kept = w.ui.runtime.engine.status();
    assert.deepEqual(kept.others.map((o) => [o.person.id, o.state]), [[NURSE.id, 'locked']], 'the nurse’s session is kept');
    await w.bed.eject(0);
    await sees('colleague leaves', session('locked', COLLEAGUE, 'cps', TWO, takeoverEnd, 'card_removed'), sso);
    await w.bed.insert(0, w.nurseCard);
    await s.typePin('cps', CARD_PIN);
    await until('the nurse’s sign-in', () => w.signIns.length + w.signInErrors.length >= 3, 30_000);
    await sees('nurse back', session('active', NURSE, 'cps', TWO, takeoverEnd), sso);
    assert.equal(w.signIns[2]?.subject, NURSE.rpps);
    assert.deepEqual(w.ui.runtime.engine.status().others.map((o) => [o.person.id, o.state]), [[COLLEAGUE.id, 'locked']], 'the colleague’s session is kept');
    await w.bed.eject(0);
    await sees('nurse leaves', session('locked', NURSE, 'cps', TWO, takeoverEnd, 'card_removed'), sso);
    await s.expectRecords('switch and back', [
      rec('authentication', 'switch_user', 'rie.cps_pin', COLLEAGUE, 'cps', TWO),
      rec('card_removed', 'lock', 'session.card_removed', COLLEAGUE, null),
      rec('authentication', 'switch_user', 'rie.cps_pin', NURSE, 'cps', TWO),
      rec('card_removed', 'lock', 'session.card_removed', NURSE, null),
    ]);

    // ── the window expires: the tokens go with it ────────────────────────────────────────
    w.clock.set(takeoverEnd + MIN);
    await sees('window over', session('expired', NURSE, 'cps', TWO, takeoverEnd, 'card_removed'));
    await s.expectRecords('window over', [rec('window_timer', 'expire', 'exi14.window_expired', NURSE, null), rec('window_timer', 'expire', 'exi14.window_expired', COLLEAGUE, null)]);
    await vault.settled();
    assert.equal(vault.view(), undefined, 'tokens dropped at the end of the window');
    assert.equal(w.keychain.items.size, 0);

    // ── a tap now asks for the full 2FA (the badge PIN); the nurse has no card and cancels ─
    const [asked] = await s.tap(() => s.cancelPin('desfire'));
    assert.equal(asked?.decision, 'require_second_factor');
    await sees('after the refused tap', session('expired', NURSE, 'cps', TWO, takeoverEnd, 'card_removed'));
    await s.expectRecords('tap after the window', [
      rec('badge_tap', 'require_second_factor', 'exi14.window_expired', NURSE, 'desfire', ['possession']),
      rec('authentication_failed', 'refuse', 'session.authentication_failed', null, 'desfire'),
      rec('card_removed', 'ignore', 'session.not_session_card', null, null),
    ]);

    // ── the card is forgotten: FIDO2 key + PIN, recorded as a fallback ───────────────────
    const afternoonEnd = w.clock.now() + WINDOW_MINUTES * MIN;
    assert.ok((await w.ui.core.useSecurityKey()).ok);
    await s.typePin('fido2', KEY_PIN);
    await s.expectRecords('security key', [rec('fallback_used', 'info', 'card_forgotten_fido_fallback', NURSE, 'fido2', TWO), rec('authentication', 'unlock', 'rie.fido_pin', NURSE, 'fido2', TWO)]);
    await until('the key decision heard', () => s.decisions.some((d) => d.means === 'fido2'));
    assert.equal(s.decisions.find((d) => d.means === 'fido2')?.fallback, true, 'the decision says the key stood in for the card');
    await until('the sign-in with the key', () => w.signIns.length + w.signInErrors.length >= 4, 30_000);
    assert.deepEqual(w.signInErrors, []);
    assert.deepEqual(w.signIns[3], { person: NURSE.id, subject: NURSE.rpps, amr: ['hwk', 'pin', 'mfa'] });
    await sees('security key, signed in to the web SSO', session('active', NURSE, 'fido2', TWO, afternoonEnd), sso);
    assert.deepEqual(
      loginsAt(),
      [NURSE, COLLEAGUE, NURSE].map((p) => ({ account: p.rpps, amr: ['sc', 'hwk', 'pin', 'mfa'] })).concat([{ account: NURSE.rpps, amr: ['hwk', 'pin', 'mfa'] }]),
    );
    const beforeOutage = await vault.token();
    const refreshBefore = w.keychain.items.get(refreshAccount(NURSE.id));
    assert.ok(refreshBefore);

    // ── the provider and the collector go down: degraded, local work goes on ─────────────
    await w.relay.stop();
    await w.collector.stop();
    const down: Partial<StatusView> = { sso: { state: 'error', provider, code: 'idp_unreachable' }, degraded: { reasons: [{ code: 'idp_unreachable', since: '' }] } };
    await sees('provider down', session('active', NURSE, 'fido2', TWO, afternoonEnd), down);
    await s.expectRecords('provider down', [rec('degraded_mode_entered', 'info', 'idp_unreachable', null, null)]);
    await until('a failed delivery to the collector', () => (w.ui.runtime.forwarder?.state.consecutiveFailures ?? 0) > 0);
    assert.ok((await w.ui.core.lock()).ok);
    await sees('locked offline', session('locked', NURSE, 'fido2', TWO, afternoonEnd, 'user_lock'), down);
    // After a key login the badge alone is not the same means: badge + PIN, offline.
    await s.tap(() => s.typePin('desfire', BADGE_PIN), 2);
    await sees('badge + PIN offline', session('active', NURSE, 'desfire', TWO, afternoonEnd), down);
    await s.expectRecords('offline work', [
      rec('lock_request', 'lock', 'session.user_lock', NURSE, null, [], true),
      rec('badge_tap', 'require_second_factor', 'exi14.not_same_means', NURSE, 'desfire', ['possession'], true),
      rec('authentication', 'unlock', 'rie.badge_crypto_pin', NURSE, 'desfire', TWO, true),
      rec('card_removed', 'ignore', 'session.not_session_card', null, null, [], true),
    ]);
    assert.ok((w.ui.runtime.forwarder?.state.pendingBytes ?? 0) > 0, 'records queued for the collector');
    // The access token runs out while the provider is away: no refresh, no token, the session goes on.
    w.clock.set(beforeOutage.expiresAt.getTime() + 1000);
    await assert.rejects(vault.token(), (e) => e instanceof SsoError && e.code === 'sso_provider_unreachable');
    assert.equal(vault.view()?.degraded?.degraded, 'idp_unreachable');
    assert.equal(w.ui.runtime.engine.status().state, 'active');

    // ── both come back: degraded cleared, tokens refreshed, the queue delivered in order ─
    await w.relay.start();
    await w.collector.start();
    // The next token request refreshes at the provider (its own degraded flag ends with it).
    const refreshed = await vault.token();
    assert.notEqual(refreshed.accessToken, beforeOutage.accessToken, 'a new access token from the provider');
    await sees('provider back', session('active', NURSE, 'desfire', TWO, afternoonEnd), sso);
    await s.expectRecords('provider back', [rec('degraded_mode_left', 'info', 'idp_unreachable', null, null)]);
    assert.equal(vault.view()?.degraded, undefined);
    const rotated = w.keychain.items.get(refreshAccount(NURSE.id));
    assert.ok(rotated !== undefined && rotated !== refreshBefore, 'the refresh token was rotated');

    // ── sign out: the tokens are dropped ─────────────────────────────────────────────────
    assert.ok((await w.ui.core.signOut()).ok);
    await s.waitView('signed out', (v) => v.session.state === 'none');
    await s.expectRecords('sign out', [rec('sign_out_request', 'sign_out', 'session.user_sign_out', NURSE, null)]);
    await vault.settled();
    assert.equal(vault.view(), undefined);
    assert.equal(w.keychain.items.size, 0);
    await assert.rejects(vault.token(), (e) => e instanceof SsoError && e.code === 'sso_no_token');

    // ── every record asserted, delivered once and in order, and the chain verifies ─────────
    const lines = s.lines();
    assert.equal(s.asserted, lines.length, 'no audit record left unasserted');
    assert.equal(lines.length, 2 + 3 * TAPS + 4 + 2 + 3 + 2 + 1 + 4 + 1 + 1);
    await until('every record at the collector', () => w.collector.records.length === lines.length, 30_000);
    assert.deepEqual(w.collector.records.map((r) => [r.seq, r.hash]), lines.map((l) => [l.seq, l.hash]));
    const verified = await verifyAuditFile(await listAuditFiles(w.auditDir));
    assert.equal(verified.ok, true);
  });
});
