/**
 * EXI 14 in the minimal session: a tap of the person's enrolled badge unlocks a locked session
 * inside the re-identification window, never extends it, and everything else asks for 2FA.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthEvent, Factor } from '../../src/main/means/auth-event.js';
import { ConfigError } from '../../src/main/config/config.js';
import { EXI14_DEFAULT_WINDOW_MS, MinimalSession, type SessionDecision } from '../../src/main/session/minimal-session.js';

const T0 = new Date('2026-03-02T07:00:00Z');
const MIN = 60_000;
const HOUR = 3600_000;
const CPS_READER = 'Lecteur CPS';
const BADGE_READER = 'Lecteur sans contact';
const ALICE = { id: 'rpps:10001234567', rpps: '10001234567', name: 'ALICE DURAND' };
const BOB = { id: 'rpps:10009999999', rpps: '10009999999', name: 'BOB PETIT' };

class Clock {
  t = T0.getTime();
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

function cpsLogin(at: Date, subject = ALICE): AuthEvent {
  return {
    means: 'cps',
    factors: ['possession', 'knowledge'],
    subject,
    proof: { kind: 'card-signature', challenge: '11'.repeat(32), certificateSha256: '22'.repeat(32) },
    at,
    reader: CPS_READER,
  };
}

function badge(at: Date, subject = ALICE, enrolmentId: string | null = 'enr-alice-1', factors: Factor[] = ['possession']): AuthEvent {
  return {
    means: 'desfire',
    factors,
    subject,
    proof: { kind: 'desfire-mutual-auth', uid: '04A1B2C3D4E5F6', aid: 'F51230', keyNo: 1, keyVersion: 1, ...(enrolmentId ? { enrolmentId } : {}) },
    at,
    reader: BADGE_READER,
  };
}

function lockedSession(clock: Clock, windowMs?: number): MinimalSession {
  const s = new MinimalSession({ now: clock.now, ...(windowMs ? { windowMs } : {}) });
  assert.equal(s.authenticated(cpsLogin(clock.now())).decision, 'opened');
  clock.advance(10 * MIN);
  assert.equal(s.cardRemoved(CPS_READER).decision, 'locked');
  return s;
}

const need = (reason: string): SessionDecision => ({ decision: 'second_factor_required', reason } as SessionDecision);

describe('MinimalSession EXI 14 tap to unlock', () => {
  it('the default window is 4 h and is visible with its end', () => {
    const clock = new Clock();
    const s = lockedSession(clock);
    assert.equal(s.windowMs, EXI14_DEFAULT_WINDOW_MS);
    assert.deepEqual(s.reidentification, { twoFactorAt: T0, until: new Date(T0.getTime() + 4 * HOUR), means: 'cps' });
  });

  it("a tap of the person's enrolled badge unlocks a locked session without PIN", () => {
    const clock = new Clock();
    const s = lockedSession(clock);
    const seen: string[] = [];
    s.onChange((st, d) => seen.push(`${st.state}:${d.decision}:${d.reason}`));
    clock.advance(HOUR);
    assert.deepEqual(s.badgeTapped(badge(clock.now())), { decision: 'unlocked', reason: 'exi14_window' });
    assert.equal(s.state.state, 'active');
    assert.equal(s.state.state === 'active' && s.state.subject.id, ALICE.id);
    assert.equal(s.state.state === 'active' && s.state.reader, undefined, 'a contactless tap does not bind the session to the reader');
    assert.deepEqual(seen, ['active:unlocked:exi14_window']);
  });

  it('the window is inclusive at its end and closed one millisecond later', () => {
    const clock = new Clock();
    const s = lockedSession(clock, 30 * MIN);
    clock.t = T0.getTime() + 30 * MIN;
    assert.equal(s.badgeTapped(badge(clock.now())).decision, 'unlocked');
    s.lock();
    clock.advance(1);
    assert.deepEqual(s.badgeTapped(badge(clock.now())), need('window_expired'));
    assert.equal(s.state.state, 'locked');
    assert.equal(s.reidentification, undefined);
  });

  it('taps never extend the window; a new 2FA restarts it', () => {
    const clock = new Clock();
    const s = lockedSession(clock, HOUR);
    for (let i = 0; i < 5; i++) {
      clock.advance(9 * MIN);
      assert.equal(s.badgeTapped(badge(clock.now())).decision, 'unlocked', `tap ${i}`);
      assert.equal(s.lock().decision, 'locked');
    }
    assert.equal(s.reidentification?.twoFactorAt.getTime(), T0.getTime());
    clock.advance(11 * MIN); // 66 min after the 2FA
    assert.deepEqual(s.badgeTapped(badge(clock.now())), need('window_expired'));
    assert.equal(s.authenticated(cpsLogin(clock.now())).decision, 'opened');
    s.cardRemoved(CPS_READER);
    clock.advance(50 * MIN);
    assert.equal(s.badgeTapped(badge(clock.now())).decision, 'unlocked');
  });

  it("another person's badge asks for the second factor and changes nothing", () => {
    const clock = new Clock();
    const s = lockedSession(clock);
    const before = s.state;
    assert.deepEqual(s.badgeTapped(badge(clock.now(), BOB, 'enr-bob-1')), need('other_person'));
    assert.equal(s.state, before);
  });

  it('an unenrolled, revoked or failed badge asks for the second factor', () => {
    const clock = new Clock();
    const s = lockedSession(clock);
    assert.deepEqual(s.badgeTapped(badge(clock.now(), ALICE, null)), need('badge_not_enrolled'));
    assert.deepEqual(s.badgeTapped({ refused: 'badge_not_enrolled' }), need('badge_not_enrolled'));
    assert.deepEqual(s.badgeTapped({ refused: 'badge_revoked' }), need('badge_revoked'));
    assert.deepEqual(s.badgeTapped({ refused: 'badge_auth_failed' }), need('badge_auth_failed'));
    assert.equal(s.state.state, 'locked');
  });

  it('a tap with no session, or with a non-badge one-factor event, does not open anything', () => {
    const clock = new Clock();
    const s = new MinimalSession({ now: clock.now });
    assert.deepEqual(s.badgeTapped(badge(clock.now())), need('no_session'));
    assert.equal(s.state.state, 'none');
    const locked = lockedSession(clock);
    const cpsOneFactor: AuthEvent = { ...cpsLogin(clock.now()), factors: ['possession'] };
    assert.deepEqual(locked.badgeTapped(cpsOneFactor), need('not_same_means'));
  });

  it('a tap on an active session is ignored', () => {
    const clock = new Clock();
    const s = new MinimalSession({ now: clock.now });
    s.authenticated(cpsLogin(clock.now()));
    assert.deepEqual(s.badgeTapped(badge(clock.now())), { decision: 'ignored', reason: 'already_active' });
  });

  it('after a badge + PIN login, only that same badge unlocks (same MIE)', () => {
    const clock = new Clock();
    const s = new MinimalSession({ now: clock.now });
    assert.equal(s.authenticated(badge(clock.now(), ALICE, 'enr-alice-1', ['possession', 'knowledge'])).decision, 'opened');
    assert.equal(s.state.state === 'active' && s.state.reader, undefined, 'a badge login is not locked by the badge leaving the field');
    s.lock();
    clock.advance(MIN);
    assert.deepEqual(s.badgeTapped(badge(clock.now(), ALICE, 'enr-alice-2')), need('not_same_means'));
    assert.equal(s.badgeTapped(badge(clock.now(), ALICE, 'enr-alice-1')).decision, 'unlocked');
  });

  it("the window belongs to the person: Bob's 2FA then lock does not let Alice's badge in", () => {
    const clock = new Clock();
    const s = new MinimalSession({ now: clock.now });
    s.authenticated(cpsLogin(clock.now(), BOB));
    s.cardRemoved(CPS_READER);
    assert.deepEqual(s.badgeTapped(badge(clock.now(), ALICE)), need('other_person'));
    assert.equal(s.badgeTapped(badge(clock.now(), BOB, 'enr-bob-1')).decision, 'unlocked');
  });

  it('a 2FA event dated in the future does not push the window', () => {
    const clock = new Clock();
    const s = new MinimalSession({ now: clock.now, windowMs: HOUR });
    s.authenticated(cpsLogin(new Date(T0.getTime() + 10 * HOUR)));
    assert.equal(s.reidentification?.twoFactorAt.getTime(), T0.getTime());
  });

  for (const bad of [59_999, 12 * HOUR + 1, 0, -MIN, 90_000.5, Number.NaN]) {
    it(`refuses a window of ${bad} ms as a configuration error`, () => {
      assert.throws(() => new MinimalSession({ windowMs: bad }), (e: unknown) => e instanceof ConfigError && /1 min/.test(e.message));
    });
  }

  it('accepts the limits 1 min and 12 h', () => {
    assert.equal(new MinimalSession({ windowMs: MIN }).windowMs, MIN);
    assert.equal(new MinimalSession({ windowMs: 12 * HOUR }).windowMs, 12 * HOUR);
  });

  it('lock() locks an active session with user_lock and is ignored otherwise', () => {
    const clock = new Clock();
    const s = new MinimalSession({ now: clock.now });
    assert.deepEqual(s.lock(), { decision: 'ignored', reason: 'no_session' });
    s.authenticated(cpsLogin(clock.now()));
    assert.deepEqual(s.lock(), { decision: 'locked', reason: 'user_lock' });
    assert.equal(s.state.state === 'locked' && s.state.reason, 'user_lock');
  });
});
