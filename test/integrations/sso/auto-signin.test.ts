/**
 * The automatic web sign-in over a real session engine (manual clock) and a scripted OIDC client:
 * which decisions start a sign-in, one at a time and in order, the opener released each time, the
 * tokens adopted for the person in front, another account's tokens never adopted, stop.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AutoSignIn, opensTwoFactorSession, rppsSubject, type AutoSignInResult } from '../../../src/main/integrations/sso/auto-signin.js';
import type { SignInOptions, SignInResult } from '../../../src/main/integrations/sso/client/index.js';
import { SsoError } from '../../../src/main/integrations/sso/sso-error.js';
import type { TokenEndpointAnswer } from '../../../src/main/integrations/sso/tokens/index.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import { harness, type Harness } from '../../session/engine/harness.js';
import { ALICE, BOB, badgeEvent, cpsPin } from '../../session/policy/fixtures.js';

interface Scripted {
  readonly signIns: number;
  readonly opened: number;
  readonly closed: number;
  readonly adopted: { person: string; answer: TokenEndpointAnswer }[];
  readonly results: AutoSignInResult[];
  /** `settled` (vault) and `open` (opener) calls in the order they came. */
  readonly order: string[];
  readonly errors: unknown[];
  readonly auto: AutoSignIn;
}

/** The engine's decisions, the sign-in answering `sub` (a function of the call number). */
function scripted(h: Harness, sub: (n: number) => string, subjectFor = rppsSubject, subjectClaim?: string): Scripted {
  const s = { signIns: 0, opened: 0, closed: 0, adopted: [] as Scripted['adopted'], results: [] as AutoSignInResult[], errors: [] as unknown[], order: [] as string[] };
  const auto = new AutoSignIn({
    engine: { onRecorded: (l) => h.engine.onDecision(l), status: () => h.engine.status() },
    vault: {
      adopt: (person, answer) => {
        s.adopted.push({ person, answer });
        return Promise.resolve();
      },
      settled: async () => {
        await new Promise((r) => setTimeout(r, 5));
        s.order.push('settled');
      },
    },
    client: {
      signIn: async (opts: SignInOptions): Promise<SignInResult> => {
        const n = ++s.signIns;
        await opts.opener.open('http://127.0.0.1:1/authorize');
        return {
          tokens: { accessToken: `at-${n}`, tokenType: 'Bearer', idToken: `id-${n}`, refreshToken: `rt-${n}`, expiresAt: Date.now() + 600_000, scope: 'openid' },
          claims: { iss: 'http://127.0.0.1:1', sub: `provider-id-${n}`, preferred_username: sub(n), aud: 'tessera-agent', iat: 0, exp: 0, amr: ['sc', 'pin', 'mfa'], ...(subjectClaim === undefined ? { sub: sub(n) } : {}) },
          redirectUri: 'http://127.0.0.1:2/callback',
        };
      },
    },
    opener: () => {
      s.opened += 1;
      return { open: () => Promise.resolve(void s.order.push('open')), close: () => Promise.resolve(void (s.closed += 1)) };
    },
    subjectFor,
    ...(subjectClaim !== undefined ? { subjectClaim } : {}),
    onSignedIn: (r) => s.results.push(r),
    onError: (e) => s.errors.push(e),
  });
  return Object.assign(s, { auto });
}

describe('AutoSignIn', () => {
  it('a CPS + PIN login: one sign-in through a fresh opener (closed after), the tokens adopted for the person', async () => {
    const h = harness();
    const s = scripted(h, () => ALICE.rpps ?? '');
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    await s.auto.idle();
    assert.equal(s.signIns, 1);
    assert.deepEqual([s.opened, s.closed], [1, 1]);
    assert.equal(s.adopted.length, 1);
    assert.equal(s.adopted[0]?.person, ALICE.id);
    assert.equal(s.adopted[0]?.answer.access_token, 'at-1');
    assert.equal(s.adopted[0]?.answer.refresh_token, 'rt-1');
    assert.ok((s.adopted[0]?.answer.expires_in ?? 0) > 500);
    assert.deepEqual(s.results, [{ person: ALICE.id, subject: '10001234567', amr: ['sc', 'pin', 'mfa'] }]);
    assert.deepEqual(s.errors, []);
    await s.auto.stop();
  });

  it('the vault settles (a previous person\'s logout handed over) before the browser opens', async () => {
    const h = harness();
    const s = scripted(h, () => ALICE.rpps ?? '');
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    await s.auto.idle();
    assert.deepEqual(s.order, ['settled', 'open']);
    await s.auto.stop();
  });

  it('subjectClaim: the RPPS number is read from that claim (sub is the provider\'s own id, kept for refreshes)', async () => {
    const h = harness();
    const s = scripted(h, () => ALICE.rpps ?? '', rppsSubject, 'preferred_username');
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    await s.auto.idle();
    assert.equal(s.adopted.length, 1);
    assert.deepEqual(s.results, [{ person: ALICE.id, subject: 'provider-id-1', amr: ['sc', 'pin', 'mfa'] }]);
    const other = scripted(h, () => BOB.rpps ?? '', rppsSubject, 'preferred_username');
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    await other.auto.idle();
    assert.equal(other.adopted.length, 0);
    assert.ok(other.errors[0] instanceof SsoError && other.errors[0].reason === 'subject_mismatch');
    await s.auto.stop();
    await other.auto.stop();
  });

  it('a badge tap (one factor) starts no sign-in; a lock neither', async () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    const s = scripted(h, () => ALICE.rpps ?? '');
    h.engine.lock();
    h.engine.authenticate(badgeEvent(ALICE, h.now(), ['possession']));
    await s.auto.idle();
    assert.equal(h.engine.status().state, 'active', 'the tap unlocked');
    assert.equal(s.signIns, 0);
    await s.auto.stop();
  });

  it('the provider signs in another account: nothing adopted, a typed error', async () => {
    const h = harness();
    const s = scripted(h, () => BOB.rpps ?? '');
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    await s.auto.idle();
    assert.equal(s.adopted.length, 0);
    assert.equal(s.errors.length, 1);
    assert.ok(s.errors[0] instanceof SsoError && s.errors[0].code === 'sso_no_token' && s.errors[0].reason === 'subject_mismatch');
    assert.equal(s.closed, 1, 'the opener is released even so');
    await s.auto.stop();
  });

  it('two logins in a row: sign-ins one after the other, each for its person; the one no longer in front is skipped', async () => {
    const h = harness();
    const s = scripted(h, (n) => (n === 1 ? (BOB.rpps ?? '') : (ALICE.rpps ?? '')));
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    h.engine.authenticate(cpsPin(BOB, h.now()));
    await s.auto.idle();
    // Alice's decision came first, but Bob is in front when her turn runs: only Bob is signed in.
    assert.deepEqual(s.adopted.map((a) => a.person), [BOB.id]);
    assert.equal(s.signIns, 1);
    await s.auto.stop();
  });

  it('after stop, a login starts nothing', async () => {
    const h = harness();
    const s = scripted(h, () => ALICE.rpps ?? '');
    await s.auto.stop();
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    await s.auto.idle();
    assert.equal(s.signIns, 0);
  });

  it('opensTwoFactorSession: open, unlock and switch_user with two factors', () => {
    const base = { reason: 'r', at: new Date(0), workstation: 'w', event: 'authentication' } as const;
    const d = (decision: string, factors: string[], anonymous = false): Decision => ({ ...base, decision, factors, ...(anonymous ? {} : { person: ALICE.id }) }) as unknown as Decision;
    assert.equal(opensTwoFactorSession(d('open', ['possession', 'knowledge'])), true);
    assert.equal(opensTwoFactorSession(d('unlock', ['possession', 'knowledge'])), true);
    assert.equal(opensTwoFactorSession(d('switch_user', ['possession', 'inherence'])), true);
    assert.equal(opensTwoFactorSession(d('unlock', ['possession'])), false);
    assert.equal(opensTwoFactorSession(d('require_second_factor', ['possession', 'knowledge'])), false);
    assert.equal(opensTwoFactorSession(d('open', ['possession', 'knowledge'], true)), false);
    assert.equal(rppsSubject('rpps:10001234567'), '10001234567');
    assert.equal(rppsSubject('local:42'), undefined);
  });
});
