/**
 * The session engine on a manual clock: opening, EXI 14 window bounds, taps that never extend
 * the window, removal during authentication and each removal action, two persons alternating,
 * sleep/resume across expiry, idle lock, re-identification refusals, listener failures,
 * configuration errors and the read-only status view.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/main/config/config.js';
import type { AuthEvent } from '../../../src/main/means/auth-event.js';
import type { PowerEvents } from '../../../src/shared/power-events.js';
import { SessionEngine } from '../../../src/main/session/engine/session-engine.js';
import { SessionError } from '../../../src/main/session/engine/session-error.js';
import { ManualClock } from '../../../src/main/session/engine/clock.js';
import { ALICE, BADGE, BOB, CAROL, CPS_READER, HOUR, MIN, SEC, SECOND_BADGE_ALICE, T0, badgePin, cpsPin, fido, registry, tap, uidOnly } from '../policy/fixtures.js';
import { harness, summary } from './harness.js';

const W = 10 * MIN;

describe('opening and the visible window', () => {
  it('a CPS + PIN opens the session with a 4 h window by default, shown with its end and time left', () => {
    const h = harness();
    const d = h.engine.authenticate(cpsPin(ALICE, T0));
    assert.equal(d.decision, 'open');
    assert.equal(d.reason, 'rie.cps_pin');
    assert.equal(d.person, ALICE.id);
    assert.equal(d.rpps, ALICE.rpps);
    assert.equal(d.means, 'cps');
    assert.deepEqual(d.factors, ['possession', 'knowledge']);
    assert.deepEqual(d.meansRef, { kind: 'cps', id: 'a1'.repeat(32) });
    assert.equal(d.classification, 'two_factor');
    assert.equal(d.workstation, 'local');
    assert.equal(d.at.getTime(), T0);
    assert.equal(d.windowEnd?.getTime(), T0 + 4 * HOUR);
    h.clock.advance(HOUR);
    const s = h.engine.status();
    assert.equal(s.state, 'active');
    assert.equal(s.locked, false);
    assert.equal(s.current?.person.id, ALICE.id);
    assert.equal(s.current?.timeLeftMs, 3 * HOUR);
    assert.equal(s.current?.windowEnd.getTime(), T0 + 4 * HOUR);
    assert.equal(s.current?.reader, CPS_READER);
    assert.equal(s.windowMs, 4 * HOUR);
    assert.deepEqual(s.others, []);
  });

  it('a refused authentication changes nothing and says why', () => {
    const h = harness();
    for (const [ev, reason] of [
      [fido(ALICE, T0, ['possession'], false), 'rie.fido_touch_only'],
      [uidOnly(ALICE, T0, 'pin'), 'rie.badge_uid_only'],
      [fido(ALICE, T0, ['possession', 'knowledge'], false), 'rie.inconsistent_event'],
    ] as const) {
      const d = h.engine.authenticate(ev);
      assert.equal(d.decision, 'refuse');
      assert.equal(d.reason, reason);
      assert.equal(h.engine.status().state, 'signed_out');
    }
  });

  it('a malformed event is refused without claiming a means, and changes nothing', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    const d = h.engine.authenticate({ ...cpsPin(BOB, T0), proof: { kind: 'x509' } } as unknown as AuthEvent);
    assert.equal(d.decision, 'refuse');
    assert.equal(d.reason, 'rie.inconsistent_event');
    assert.equal(d.person, BOB.id);
    assert.equal(d.means, undefined);
    assert.equal(h.engine.status().current?.person.id, ALICE.id);
    assert.equal(h.engine.status().state, 'active');
  });

  it('a FIDO2 fallback is recorded as such in the decision and the session', () => {
    const h = harness();
    const d = h.engine.authenticate(fido(ALICE, T0, ['possession', 'knowledge'], true, true));
    assert.equal(d.decision, 'open');
    assert.equal(d.reason, 'rie.fido_pin');
    assert.equal(d.fallback, true);
    assert.equal(h.engine.status().current?.twoFactor.fallback, true);
    assert.equal(h.engine.status().current?.reader, undefined);
  });

  it('a 2FA event older than the window is refused, and a window never starts in the future', () => {
    const h = harness({ exi14WindowMs: W });
    h.clock.advance(HOUR);
    assert.equal(h.engine.authenticate(cpsPin(ALICE, T0)).reason, 'exi14.window_expired');
    const d = h.engine.authenticate(cpsPin(ALICE, T0 + 2 * HOUR));
    assert.equal(d.windowEnd?.getTime(), T0 + HOUR + W);
  });
});

describe('EXI 14 window at its exact bounds', () => {
  function lockedAfterCps(): ReturnType<typeof harness> {
    const h = harness({ exi14WindowMs: W });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.clock.advance(MIN);
    assert.equal(h.engine.cardRemoved(CPS_READER).decision, 'lock');
    h.take();
    return h;
  }

  it('1 ms before the end: a tap unlocks', () => {
    const h = lockedAfterCps();
    h.clock.set(T0 + W - 1);
    assert.deepEqual(h.take(), []);
    const d = h.engine.badgeTapped(tap(ALICE, h.now()));
    assert.equal(d.decision, 'unlock');
    assert.equal(d.reason, 'exi14.reidentified');
    assert.equal(d.rule, 'rie.badge_crypto_tap');
    assert.deepEqual(d.factors, ['possession']);
    assert.equal(h.engine.status().current?.timeLeftMs, 1);
  });

  it('at the end exactly: the window expires by its timer, at that instant, and a tap needs 2FA', () => {
    const h = lockedAfterCps();
    h.clock.set(T0 + W);
    const [exp, ...rest] = h.take();
    assert.deepEqual(rest, []);
    assert.equal(exp?.decision, 'expire');
    assert.equal(exp?.reason, 'exi14.window_expired');
    assert.equal(exp?.event, 'window_timer');
    assert.equal(exp?.at.getTime(), T0 + W);
    assert.equal(h.engine.status().state, 'expired');
    const d = h.engine.badgeTapped(tap(ALICE, h.now()));
    assert.equal(d.decision, 'require_second_factor');
    assert.equal(d.reason, 'exi14.window_expired');
  });

  it('1 ms after the end: a tap needs 2FA; a new 2FA restarts the window', () => {
    const h = lockedAfterCps();
    h.clock.set(T0 + W + 1);
    assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).reason, 'exi14.window_expired');
    const d = h.engine.authenticate(badgePin(ALICE, h.now()));
    assert.equal(d.decision, 'unlock');
    assert.equal(d.reason, 'rie.badge_crypto_pin');
    assert.equal(d.windowEnd?.getTime(), T0 + W + 1 + W);
    assert.equal(h.engine.status().current?.timeLeftMs, W);
  });

  it('an ACTIVE session at the end of its window expires too (no active session outlives its 2FA window)', () => {
    const h = harness({ exi14WindowMs: W });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.clock.set(T0 + W - 1);
    assert.equal(h.engine.status().state, 'active');
    h.clock.advance(1);
    assert.deepEqual(summary(h.take().slice(1)), ['expire/exi14.window_expired@10001234567']);
    assert.equal(h.engine.status().state, 'expired');
    assert.equal(h.engine.status().locked, true);
  });

  it('taps never extend the window: many unlocks, same end, time left only decreases', () => {
    const h = lockedAfterCps();
    let last = Infinity;
    for (let i = 0; i < 8; i++) {
      h.clock.advance(SEC * 30);
      assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).decision, 'unlock');
      const s = h.engine.status().current;
      assert.equal(s?.windowEnd.getTime(), T0 + W);
      assert.ok((s?.timeLeftMs ?? Infinity) < last);
      last = s?.timeLeftMs ?? Infinity;
      h.engine.lock();
    }
    h.clock.set(T0 + W);
    assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).reason, 'exi14.window_expired');
  });

  it('a tap while the person is active is ignored, a tap with nobody signed in needs 2FA', () => {
    const h = harness();
    assert.equal(h.engine.badgeTapped(tap(ALICE, T0)).reason, 'exi14.no_session');
    h.engine.authenticate(cpsPin(ALICE, T0));
    const d = h.engine.badgeTapped(tap(ALICE, T0));
    assert.equal(d.decision, 'ignore');
    assert.equal(d.reason, 'session.already_active');
  });
});

describe('card removal', () => {
  it('removal during authentication aborts it and returns to the previous state', () => {
    const h = harness();
    h.engine.authenticationStarted({ reader: CPS_READER, means: 'cps' });
    assert.equal(h.engine.status().state, 'authenticating');
    assert.equal(h.engine.status().authenticating?.reader, CPS_READER);
    const d = h.engine.cardRemoved(CPS_READER);
    assert.equal(d.decision, 'refuse');
    assert.equal(d.reason, 'session.removed_during_authentication');
    assert.equal(h.engine.status().state, 'signed_out');
    // And over a locked session: the session stays locked, nothing else moves.
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.lock();
    h.engine.authenticationStarted({ reader: 'Lecteur 2', means: 'cps' });
    assert.equal(h.engine.cardRemoved('Lecteur 2').reason, 'session.removed_during_authentication');
    assert.equal(h.engine.status().state, 'locked');
    assert.equal(h.engine.status().current?.person.id, ALICE.id);
  });

  it('a failed authentication is refused with the means code and ends "authenticating"', () => {
    const h = harness();
    h.engine.authenticationStarted({ reader: CPS_READER, means: 'cps' });
    const d = h.engine.authenticationFailed('wrong_pin', { reader: CPS_READER, means: 'cps' });
    assert.equal(d.decision, 'refuse');
    assert.equal(d.reason, 'session.authentication_failed');
    assert.equal(d.detail, 'wrong_pin');
    assert.equal(h.engine.status().state, 'signed_out');
  });

  it('action lock: the session locks, a second removal is ignored, another reader is not the session\'s', () => {
    const h = harness({ onCardRemoval: 'lock' });
    h.engine.authenticate(cpsPin(ALICE, T0));
    assert.equal(h.engine.cardRemoved('Autre lecteur').reason, 'session.not_session_card');
    const d = h.engine.cardRemoved(CPS_READER);
    assert.equal(d.decision, 'lock');
    assert.equal(d.reason, 'session.card_removed');
    assert.equal(h.engine.status().current?.lockReason, 'session.card_removed');
    assert.equal(h.engine.cardRemoved(CPS_READER).reason, 'session.not_session_card');
  });

  it('action sign_out: the session is gone', () => {
    const h = harness({ onCardRemoval: 'sign_out' });
    h.engine.authenticate(cpsPin(ALICE, T0));
    const d = h.engine.cardRemoved(CPS_READER);
    assert.equal(d.decision, 'sign_out');
    assert.equal(d.reason, 'session.card_removed');
    assert.equal(h.engine.status().state, 'signed_out');
    assert.equal(h.engine.badgeTapped(tap(ALICE, T0)).reason, 'exi14.no_session');
    assert.equal(h.clock.pending, 0);
  });

  it('action nothing: the session stays active, the decision says so', () => {
    const h = harness({ onCardRemoval: 'nothing' });
    h.engine.authenticate(cpsPin(ALICE, T0));
    const d = h.engine.cardRemoved(CPS_READER);
    assert.equal(d.decision, 'ignore');
    assert.equal(d.reason, 'session.card_removed_no_action');
    assert.equal(h.engine.status().state, 'active');
  });

  it('a badge or FIDO2 session is not bound to a reader', () => {
    const h = harness();
    h.engine.authenticate(badgePin(ALICE, T0));
    assert.equal(h.engine.cardRemoved('Lecteur sans contact 00 01').reason, 'session.not_session_card');
    assert.equal(h.engine.status().state, 'active');
  });
});

describe('fast user switching: two persons alternating', () => {
  it('each keeps their own session and window; switching locks the one in front', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.clock.advance(HOUR);
    const bobOpen = h.engine.authenticate(badgePin(BOB, h.now()));
    assert.deepEqual(summary(h.take()), ['open/rie.cps_pin@10001234567', 'lock/session.user_switch@10001234567', 'switch_user/rie.badge_crypto_pin@10009999999']);
    assert.equal(bobOpen.previousPerson, ALICE.id);
    let s = h.engine.status();
    assert.equal(s.current?.person.id, BOB.id);
    assert.equal(s.others.length, 1);
    assert.equal(s.others[0]?.person.id, ALICE.id);
    assert.equal(s.others[0]?.state, 'locked');
    assert.equal(s.others[0]?.timeLeftMs, 3 * HOUR);

    // Alice comes back with a tap inside HER window: Bob is locked, Alice in front, her window unchanged.
    h.clock.advance(HOUR);
    const back = h.engine.badgeTapped(tap(ALICE, h.now()));
    assert.equal(back.decision, 'switch_user');
    assert.equal(back.reason, 'exi14.reidentified');
    assert.equal(back.previousPerson, BOB.id);
    assert.equal(back.windowEnd?.getTime(), T0 + 4 * HOUR);
    assert.deepEqual(summary(h.take()), ['lock/session.user_switch@10009999999', 'switch_user/exi14.reidentified@10001234567']);

    // Bob taps the badge that did his 2FA: back to Bob, his window (T0+1h+4h) untouched.
    h.clock.advance(30 * MIN);
    assert.equal(h.engine.badgeTapped(tap(BOB, h.now())).decision, 'switch_user');
    s = h.engine.status();
    assert.equal(s.current?.person.id, BOB.id);
    assert.equal(s.current?.windowEnd.getTime(), T0 + 5 * HOUR);
    assert.equal(s.others[0]?.windowEnd.getTime(), T0 + 4 * HOUR);

    // Alice's window ends in the background: her session expires, Bob's is untouched.
    h.take();
    h.clock.set(T0 + 4 * HOUR);
    assert.deepEqual(summary(h.take()), ['expire/exi14.window_expired@10001234567']);
    s = h.engine.status();
    assert.equal(s.state, 'active');
    assert.equal(s.others[0]?.state, 'expired');
    assert.equal(s.others[0]?.timeLeftMs, 0);
    h.take();
    assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).reason, 'exi14.window_expired');
    assert.equal(h.engine.status().current?.person.id, BOB.id);
    assert.equal(h.engine.status().state, 'active');
  });

  it('re-identification by another person\'s badge asks that person for a 2FA and leaves the session locked', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.lock();
    const d = h.engine.badgeTapped(tap(BOB, T0 + MIN));
    assert.equal(d.decision, 'require_second_factor');
    assert.equal(d.reason, 'exi14.no_session');
    assert.equal(d.person, BOB.id);
    const s = h.engine.status();
    assert.equal(s.state, 'locked');
    assert.equal(s.current?.person.id, ALICE.id);
  });

  it('three persons, sign out of one keeps the others', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.authenticate(cpsPin(BOB, T0 + MIN));
    h.engine.authenticate(fido(CAROL, T0 + 2 * MIN, ['possession', 'inherence'], true));
    assert.equal(h.engine.status().others.length, 2);
    assert.equal(h.engine.signOut(BOB.id).decision, 'sign_out');
    const s = h.engine.status();
    assert.equal(s.current?.person.id, CAROL.id);
    assert.deepEqual(s.others.map((o) => o.person.id), [ALICE.id]);
    assert.equal(h.engine.signOut().person, CAROL.id);
    assert.equal(h.engine.status().state, 'signed_out');
    assert.equal(h.engine.status().others.length, 1);
    // Alice's session is still there: her tap (CPS-bound badge) unlocks it.
    assert.equal(h.engine.badgeTapped(tap(ALICE, T0 + 3 * MIN)).decision, 'unlock');
  });

  it('the new card in the reader of a locked session takes the binding', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.authenticate(cpsPin(BOB, T0 + MIN));
    const d = h.engine.cardRemoved(CPS_READER);
    assert.equal(d.person, BOB.id);
    assert.equal(d.decision, 'lock');
  });
});

describe('re-identification refused by the register', () => {
  function locked(reg = registry()): ReturnType<typeof harness> {
    const h = harness({}, reg);
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.lock();
    return h;
  }

  it('revoked enrolment → refuse', () => {
    const h = locked(registry().revoke({ kind: 'desfire', id: BADGE[ALICE.id] ?? '' }));
    const d = h.engine.badgeTapped(tap(ALICE, T0 + MIN));
    assert.equal(d.decision, 'refuse');
    assert.equal(d.reason, 'exi14.means_revoked');
    assert.equal(h.engine.status().state, 'locked');
  });

  it('unknown enrolment, or none on the badge → require_second_factor', () => {
    const h = locked();
    assert.equal(h.engine.badgeTapped(tap(ALICE, T0 + MIN, '0'.repeat(32))).reason, 'exi14.means_not_registered');
    assert.equal(h.engine.badgeTapped(tap(ALICE, T0 + MIN, null)).reason, 'exi14.means_not_registered');
    assert.equal(h.engine.status().state, 'locked');
  });

  it('the badge means\' own refusals', () => {
    const h = locked();
    const ds = (['badge_revoked', 'badge_not_enrolled', 'badge_auth_failed'] as const).map((refused) => h.engine.badgeTapped({ refused }));
    assert.deepEqual(ds.map((d) => `${d.decision}/${d.reason}/${d.detail}`), [
      'refuse/exi14.means_revoked/badge_revoked',
      'require_second_factor/exi14.means_not_registered/badge_not_enrolled',
      'refuse/session.authentication_failed/badge_auth_failed',
    ]);
    assert.equal(h.engine.status().state, 'locked');
  });

  it('a badge bound to another means than the 2FA\'s → not_same_means', () => {
    const h = locked();
    assert.equal(h.engine.badgeTapped(tap(ALICE, T0 + MIN, SECOND_BADGE_ALICE)).reason, 'exi14.not_same_means');
    const h2 = harness();
    h2.engine.authenticate(badgePin(ALICE, T0));
    h2.engine.lock();
    assert.equal(h2.engine.badgeTapped(tap(ALICE, T0 + MIN, SECOND_BADGE_ALICE)).reason, 'exi14.not_same_means');
    assert.equal(h2.engine.badgeTapped(tap(ALICE, T0 + MIN)).decision, 'unlock');
  });

  it('a badge enrolled for Alice presenting Bob → refuse enrolment_mismatch', () => {
    const h = locked();
    assert.equal(h.engine.badgeTapped(tap(BOB, T0 + MIN, BADGE[ALICE.id])).reason, 'exi14.enrolment_mismatch');
  });
});

describe('OS events, sleep and idle', () => {
  it('sleep then resume inside the window: locked by sleep, a tap unlocks', () => {
    const h = harness({ exi14WindowMs: HOUR });
    h.engine.authenticate(cpsPin(ALICE, T0));
    assert.equal(h.engine.suspending().reason, 'session.sleep');
    h.clock.jump(T0 + 30 * MIN);
    assert.equal(h.engine.resumed().reason, 'session.resume');
    assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).decision, 'unlock');
  });

  it('sleep across the end of the window: resume expires it at once, the tap needs 2FA', () => {
    const h = harness({ exi14WindowMs: HOUR });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.suspending();
    h.take();
    h.clock.jump(T0 + 2 * HOUR); // asleep: the timer did not run
    assert.equal(h.engine.status().state, 'locked');
    const d = h.engine.resumed();
    assert.equal(d.decision, 'expire');
    assert.equal(d.event, 'resume');
    assert.equal(d.reason, 'exi14.window_expired');
    assert.equal(h.engine.status().state, 'expired');
    assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).reason, 'exi14.window_expired');
    h.clock.flush(); // the late timer finds nothing left to do
    assert.deepEqual(summary(h.take()), ['expire/exi14.window_expired@10001234567', 'require_second_factor/exi14.window_expired@10001234567']);
  });

  it('any event after a sleep catches up first: a tap that arrives before "resume" is still refused', () => {
    const h = harness({ exi14WindowMs: HOUR });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.lock();
    h.clock.jump(T0 + HOUR);
    assert.equal(h.engine.badgeTapped(tap(ALICE, h.now())).reason, 'exi14.window_expired');
  });

  it('screen locked and OS user switch lock; with nothing in front they are ignored', () => {
    const h = harness();
    assert.equal(h.engine.screenLocked().reason, 'session.no_session');
    h.engine.authenticate(cpsPin(ALICE, T0));
    assert.equal(h.engine.screenLocked().reason, 'session.os_lock');
    assert.equal(h.engine.screenLocked().reason, 'session.already_locked');
    h.engine.badgeTapped(tap(ALICE, T0));
    assert.equal(h.engine.osUserSwitched().reason, 'session.os_user_switch');
    assert.equal(h.engine.status().current?.lockReason, 'session.os_user_switch');
  });

  it('the engine is the PowerEvents sink the Electron shell forwards to', () => {
    const h = harness({ exi14WindowMs: HOUR });
    const power: PowerEvents = h.engine;
    h.engine.authenticate(cpsPin(ALICE, T0));
    power.screenLocked();
    assert.equal(h.engine.status().current?.lockReason, 'session.os_lock');
    power.suspending();
    h.clock.jump(T0 + 2 * HOUR);
    power.resumed();
    assert.equal(h.engine.status().state, 'expired');
  });

  it('idle lock after exactly the idle time without activity; activity restarts it', () => {
    const h = harness({ idleLockMs: 5 * MIN });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.clock.advance(5 * MIN - 1);
    assert.equal(h.engine.status().state, 'active');
    h.engine.activity();
    h.clock.advance(5 * MIN - 1);
    assert.equal(h.engine.status().state, 'active');
    h.take();
    h.clock.advance(1);
    const [d, ...rest] = h.take();
    assert.deepEqual(rest, []);
    assert.equal(d?.decision, 'lock');
    assert.equal(d?.reason, 'session.idle');
    assert.equal(d?.event, 'idle_timeout');
    assert.equal(d?.at.getTime(), T0 + 10 * MIN - 1);
    assert.equal(h.engine.status().state, 'locked');
    // A tap unlocks and restarts the idle timer.
    h.engine.badgeTapped(tap(ALICE, h.now()));
    h.clock.advance(5 * MIN);
    assert.equal(h.engine.status().current?.lockReason, 'session.idle');
  });

  it('no idle lock when none is configured', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.clock.advance(4 * HOUR - 1);
    assert.equal(h.engine.status().state, 'active');
  });
});

describe('decisions recorded before they take effect', () => {
  it('a failing listener stops a permissive decision (no session opened) and throws a SessionError', () => {
    const h = harness();
    const off = h.engine.onDecision(() => {
      throw new Error('disk full');
    });
    assert.throws(() => h.engine.authenticate(cpsPin(ALICE, T0)), (e: unknown) => e instanceof SessionError && e.code === 'decision_not_recorded' && e.layer === 'session');
    assert.equal(h.engine.status().state, 'signed_out');
    off();
    assert.equal(h.engine.authenticate(cpsPin(ALICE, T0)).decision, 'open');
  });

  it('a restrictive decision takes effect anyway (fail closed) and the failure is reported', () => {
    const h = harness({ exi14WindowMs: W });
    h.engine.authenticate(cpsPin(ALICE, T0));
    const errors: unknown[] = [];
    h.engine.onError((e) => errors.push(e));
    h.engine.onDecision(() => {
      throw new Error('disk full');
    });
    assert.equal(h.engine.lock().decision, 'lock');
    assert.equal(h.engine.status().state, 'locked');
    assert.equal(errors.length, 1);
    // A timer-driven expiry with a failing listener still expires.
    h.clock.set(T0 + W);
    assert.equal(h.engine.status().state, 'expired');
    assert.equal(errors.length, 2);
    assert.ok(errors.every((e) => e instanceof SessionError));
  });

  it('every decision carries the audit fields', () => {
    const h = harness({ workstation: 'pc-urgences-03' });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.cardRemoved(CPS_READER);
    h.engine.badgeTapped(tap(ALICE, T0 + MIN));
    for (const d of h.decisions) {
      assert.equal(d.workstation, 'pc-urgences-03');
      assert.ok(d.at instanceof Date);
      assert.ok(d.event.length > 0);
      assert.ok(d.reason.length > 0);
      assert.equal(d.person, ALICE.id);
      assert.ok(Object.isFrozen(d));
    }
    assert.deepEqual(h.decisions.map((d) => d.event), ['authentication', 'card_removed', 'badge_tap']);
  });
});

describe('configuration', () => {
  const make = (config: Record<string, unknown>): SessionEngine => new SessionEngine({ registry: registry(), clock: new ManualClock(T0), config });
  for (const [name, config, field] of [
    ['window under 1 min', { exi14WindowMs: MIN - 1 }, 'session.exi14WindowMs'],
    ['window over 12 h', { exi14WindowMs: 12 * HOUR + 1 }, 'session.exi14WindowMs'],
    ['window as a string', { exi14WindowMs: '4h' }, 'session.exi14WindowMs'],
    ['unknown removal action', { onCardRemoval: 'logoff' }, 'session.onCardRemoval'],
    ['idle lock under 30 s', { idleLockMs: 1000 }, 'session.idleLockMs'],
    ['idle lock not an integer', { idleLockMs: 60_000.5 }, 'session.idleLockMs'],
    ['empty workstation name', { workstation: '' }, 'session.workstation'],
    ['unknown setting', { windowMs: HOUR }, 'session.windowMs'],
  ] as const) {
    it(`${name} is a ConfigError naming ${field}`, () => {
      assert.throws(() => make(config), (e: unknown) => e instanceof ConfigError && e.message.includes(field));
    });
  }

  it('the bounds themselves are accepted', () => {
    assert.equal(make({ exi14WindowMs: MIN }).config.exi14WindowMs, MIN);
    assert.equal(make({ exi14WindowMs: 12 * HOUR, idleLockMs: 30_000, onCardRemoval: 'nothing' }).config.exi14WindowMs, 12 * HOUR);
  });
});

describe('status view and timers', () => {
  it('the status is a frozen snapshot', () => {
    const h = harness();
    h.engine.authenticate(cpsPin(ALICE, T0));
    const s = h.engine.status();
    assert.ok(Object.isFrozen(s));
    assert.ok(Object.isFrozen(s.current));
    assert.ok(Object.isFrozen(s.others));
    assert.throws(() => {
      (s as { state: string }).state = 'signed_out';
    }, TypeError);
    assert.equal(h.engine.status().state, 'active');
  });

  it('one timer at most; none left once every session is expired or gone; dispose cancels it', () => {
    const h = harness({ idleLockMs: MIN });
    h.engine.authenticate(cpsPin(ALICE, T0));
    h.engine.authenticate(cpsPin(BOB, T0 + SEC));
    assert.equal(h.clock.pending, 1);
    h.clock.advance(5 * HOUR);
    assert.equal(h.clock.pending, 0);
    h.engine.authenticate(cpsPin(ALICE, h.now()));
    assert.equal(h.clock.pending, 1);
    h.engine.dispose();
    assert.equal(h.clock.pending, 0);
  });
});
