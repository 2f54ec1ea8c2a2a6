/**
 * The minimal session (src/main/session/minimal-session.ts): opened by two factors, locked when
 * the session's card leaves its reader.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthEvent, Factor } from '../../src/main/means/auth-event.js';
import { MinimalSession, type SessionDecision, type SessionState } from '../../src/main/session/minimal-session.js';

const READER = 'Lecteur CPS 01';
const OTHER_READER = 'Lecteur CPS 02';
const OPENED_AT = new Date('2026-03-02T08:00:00Z');
const LOCKED_AT = new Date('2026-03-02T08:30:00Z');

function event(factors: readonly Factor[], reader: string | null = READER): AuthEvent {
  return {
    means: 'cps',
    factors,
    subject: { id: 'rpps:10001234567', rpps: '10001234567', name: 'JEAN MARTIN' },
    proof: { kind: 'card-signature', challenge: '00'.repeat(32), certificateSha256: 'ab'.repeat(32) },
    at: OPENED_AT,
    ...(reader === null ? {} : { reader }),
  };
}

function recorder(session: MinimalSession): Array<[SessionState, SessionDecision]> {
  const seen: Array<[SessionState, SessionDecision]> = [];
  session.onChange((s, d) => seen.push([s, d]));
  return seen;
}

describe('MinimalSession', () => {
  it('starts with no session', () => {
    assert.deepEqual(new MinimalSession().state, { state: 'none' });
  });

  it('possession + knowledge opens the session for the subject, on the event reader', () => {
    const session = new MinimalSession();
    const d = session.authenticated(event(['possession', 'knowledge']));
    assert.deepEqual(d, { decision: 'opened', reason: 'two_factor' });
    assert.deepEqual(session.state, {
      state: 'active',
      subject: { id: 'rpps:10001234567', rpps: '10001234567', name: 'JEAN MARTIN' },
      means: 'cps',
      since: OPENED_AT,
      reader: READER,
    });
  });

  it('possession + inherence opens the session too', () => {
    assert.equal(new MinimalSession().authenticated(event(['inherence', 'possession'])).decision, 'opened');
  });

  for (const factors of [['possession'], ['knowledge'], ['knowledge', 'inherence'], [], ['possession', 'possession']] as Factor[][]) {
    it(`[${factors.join(', ')}] is refused and leaves the state unchanged`, () => {
      const session = new MinimalSession();
      const seen = recorder(session);
      assert.deepEqual(session.authenticated(event(factors)), { decision: 'refused', reason: 'not_two_factor' });
      assert.deepEqual(session.state, { state: 'none' });
      assert.equal(seen.length, 0, 'listeners are not called for a refusal');
    });
  }

  it('a one-factor event does not replace an active session', () => {
    const session = new MinimalSession();
    session.authenticated(event(['possession', 'knowledge']));
    const before = session.state;
    assert.equal(session.authenticated(event(['possession'], OTHER_READER)).decision, 'refused');
    assert.equal(session.state, before);
  });

  it('removing the session card from its reader locks the session, at the injected time', () => {
    const session = new MinimalSession(() => LOCKED_AT);
    session.authenticated(event(['possession', 'knowledge']));
    assert.deepEqual(session.cardRemoved(READER), { decision: 'locked', reason: 'card_removed' });
    assert.deepEqual(session.state, {
      state: 'locked',
      subject: { id: 'rpps:10001234567', rpps: '10001234567', name: 'JEAN MARTIN' },
      means: 'cps',
      since: OPENED_AT,
      lockedAt: LOCKED_AT,
      reason: 'card_removed',
    });
  });

  it('a removal in another reader is ignored (not_session_card)', () => {
    const session = new MinimalSession();
    session.authenticated(event(['possession', 'knowledge']));
    assert.deepEqual(session.cardRemoved(OTHER_READER), { decision: 'ignored', reason: 'not_session_card' });
    assert.equal(session.state.state, 'active');
  });

  it('a removal with no active session is ignored (no_session), also once locked', () => {
    const session = new MinimalSession();
    assert.deepEqual(session.cardRemoved(READER), { decision: 'ignored', reason: 'no_session' });
    session.authenticated(event(['possession', 'knowledge']));
    session.cardRemoved(READER);
    assert.deepEqual(session.cardRemoved(READER), { decision: 'ignored', reason: 'no_session' });
    assert.equal(session.state.state, 'locked');
  });

  it('a session opened without a reader is not locked by any removal', () => {
    const session = new MinimalSession();
    session.authenticated(event(['possession', 'knowledge'], null));
    assert.equal('reader' in session.state, false);
    assert.equal(session.cardRemoved(READER).decision, 'ignored');
    assert.equal(session.state.state, 'active');
  });

  it('a new two-factor login after a lock opens a new session', () => {
    const session = new MinimalSession();
    session.authenticated(event(['possession', 'knowledge']));
    session.cardRemoved(READER);
    assert.equal(session.authenticated(event(['possession', 'knowledge'])).decision, 'opened');
    assert.equal(session.state.state, 'active');
  });

  it('listeners get the new state and the decision on open and lock, and can unsubscribe', () => {
    const session = new MinimalSession(() => LOCKED_AT);
    const seen = recorder(session);
    const other: string[] = [];
    const off = session.onChange((s) => other.push(s.state));

    session.authenticated(event(['possession', 'knowledge']));
    session.cardRemoved(OTHER_READER); // ignored: no notification
    off();
    session.cardRemoved(READER);

    assert.deepEqual(
      seen.map(([s, d]) => [s.state, d.decision]),
      [
        ['active', 'opened'],
        ['locked', 'locked'],
      ],
    );
    assert.deepEqual(other, ['active'], 'the unsubscribed listener saw only the opening');
  });

  it('a listener that unsubscribes itself while being called does not stop the others', () => {
    const session = new MinimalSession();
    const calls: string[] = [];
    const off = session.onChange(() => {
      calls.push('first');
      off();
    });
    session.onChange(() => calls.push('second'));
    session.authenticated(event(['possession', 'knowledge']));
    session.authenticated(event(['possession', 'knowledge']));
    assert.deepEqual(calls, ['first', 'second', 'second']);
  });
});
