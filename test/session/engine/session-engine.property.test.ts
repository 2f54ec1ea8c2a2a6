/**
 * Properties of the engine over random event sequences (fast-check), on a manual clock:
 *  - no decision without a known reason code,
 *  - an active session always has a 2FA within its window (2FA instant ≤ now < window end),
 *  - a person's time left never increases without a 2FA of that person,
 *  - a re-identification never moves the window,
 *  - at most one session is active, and the engine holds at most one timer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AuthEvent, Subject } from '../../../src/main/means/auth-event.js';
import type { SessionEngineConfig } from '../../../src/main/session/engine/engine-config.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import { isReasonCode } from '../../../src/main/session/policy/reasons.js';
import { ALICE, BOB, CAROL, CPS_READER, HOUR, MIN, SECOND_BADGE_ALICE, badgePin, cpsPin, fido, tap } from '../policy/fixtures.js';
import { harness } from './harness.js';

const PERSONS: readonly Subject[] = [ALICE, BOB, CAROL];

type Cmd =
  | { t: '2fa'; p: number; via: 'cps' | 'badge' | 'fido' | 'fido_bio' }
  | { t: 'tap'; p: number; badge: 'own' | 'second' | 'none' | 'foreign' }
  | { t: 'refused'; p: number }
  | { t: 'remove'; reader: string }
  | { t: 'start'; reader: string }
  | { t: 'os'; what: 'screen' | 'switch' | 'lock' | 'activity' }
  | { t: 'sleep'; ms: number }
  | { t: 'signout'; p: number | null }
  | { t: 'advance'; ms: number };

const person = fc.integer({ min: 0, max: PERSONS.length - 1 });
const reader = fc.constantFrom(CPS_READER, 'Lecteur 2');
const duration = fc.oneof(fc.integer({ min: 0, max: 10 * MIN }), fc.integer({ min: 0, max: 3 * HOUR }), fc.constantFrom(1, MIN - 1, MIN, HOUR));

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('2fa' as const), p: person, via: fc.constantFrom('cps' as const, 'badge' as const, 'fido' as const, 'fido_bio' as const) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('tap' as const), p: person, badge: fc.constantFrom('own' as const, 'own' as const, 'second' as const, 'none' as const, 'foreign' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('refused' as const), p: person }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), reader }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('start' as const), reader }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('os' as const), what: fc.constantFrom('screen' as const, 'switch' as const, 'lock' as const, 'activity' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sleep' as const), ms: duration }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('signout' as const), p: fc.option(person) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: duration }) },
);

const config: fc.Arbitrary<SessionEngineConfig> = fc.record(
  {
    exi14WindowMs: fc.integer({ min: MIN, max: 3 * HOUR }),
    onCardRemoval: fc.constantFrom('lock' as const, 'sign_out' as const, 'nothing' as const),
    idleLockMs: fc.integer({ min: 30_000, max: HOUR }),
  },
  { requiredKeys: ['exi14WindowMs', 'onCardRemoval'] },
);

function subjectOf(i: number): Subject {
  const s = PERSONS[i];
  if (!s) throw new Error(`no person ${i}`);
  return s;
}

function twoFactorEvent(s: Subject, via: 'cps' | 'badge' | 'fido' | 'fido_bio', at: number): AuthEvent {
  switch (via) {
    case 'cps':
      return cpsPin(s, at);
    case 'badge':
      return badgePin(s, at);
    case 'fido':
      return fido(s, at, ['possession', 'knowledge'], true);
    case 'fido_bio':
      return fido(s, at, ['possession', 'inherence'], true);
  }
}

const GRANTS = new Set(['open', 'unlock', 'switch_user']);

describe('session engine properties (random event sequences)', () => {
  it('reasons, 2FA within the window, time left, re-identification and timers', () => {
    fc.assert(
      fc.property(config, fc.array(cmd, { minLength: 1, maxLength: 60 }), (cfg, cmds) => {
        const h = harness(cfg);
        const e = h.engine;
        let before = new Map<string, { timeLeft: number; windowEnd: number }>();
        for (const c of cmds) {
          const now = h.now();
          switch (c.t) {
            case '2fa':
              e.authenticate(twoFactorEvent(subjectOf(c.p), c.via, now));
              break;
            case 'tap': {
              const s = subjectOf(c.p);
              const id = c.badge === 'own' ? undefined : c.badge === 'second' ? SECOND_BADGE_ALICE : c.badge === 'none' ? null : 'C'.repeat(31) + '1';
              e.badgeTapped(tap(s, now, id));
              break;
            }
            case 'refused':
              e.authenticate(fido(subjectOf(c.p), now, ['possession'], false));
              break;
            case 'remove':
              e.cardRemoved(c.reader);
              break;
            case 'start':
              e.authenticationStarted({ reader: c.reader, means: 'cps' });
              break;
            case 'os':
              if (c.what === 'screen') e.screenLocked();
              else if (c.what === 'switch') e.osUserSwitched();
              else if (c.what === 'lock') e.lock();
              else e.activity();
              break;
            case 'sleep':
              e.suspending();
              h.clock.jump(now + c.ms);
              e.resumed();
              break;
            case 'signout':
              e.signOut(c.p === null ? undefined : subjectOf(c.p).id);
              break;
            case 'advance':
              h.clock.advance(c.ms);
              break;
          }
          const step: Decision[] = h.take();
          const t = h.now();
          for (const d of step) {
            assert.ok(isReasonCode(d.reason), `unknown reason ${d.reason}`);
            assert.ok(d.at.getTime() <= t);
          }
          const st = e.status();
          const all = [...(st.current ? [st.current] : []), ...st.others];
          // At most one active session, and it is the one in front.
          assert.ok(all.filter((x) => x.state === 'active').length <= 1);
          assert.ok(st.others.every((x) => x.state !== 'active'));
          for (const x of all) {
            if (x.state === 'active') {
              assert.ok(x.twoFactor.at.getTime() <= t && t < x.windowEnd.getTime(), 'active session outside its 2FA window');
              assert.ok(x.twoFactor.reason.startsWith('rie.'));
            }
          }
          const twoFactorOf = new Set(step.filter((d) => GRANTS.has(d.decision) && d.classification === 'two_factor').map((d) => d.person));
          for (const d of step.filter((x) => x.reason === 'exi14.reidentified')) {
            const prev = before.get(d.person ?? '');
            assert.ok(prev, 're-identification of a person without a session');
            assert.equal(d.windowEnd?.getTime(), prev.windowEnd, 'a re-identification moved the window');
          }
          const nowMap = new Map(all.map((x) => [x.person.id, { timeLeft: x.timeLeftMs, windowEnd: x.windowEnd.getTime() }]));
          for (const [id, cur] of nowMap) {
            const prev = before.get(id);
            if (twoFactorOf.has(id)) continue;
            assert.ok(prev, `a session appeared without a 2FA (${id})`);
            assert.ok(cur.timeLeft <= prev.timeLeft, `time left increased without a 2FA (${id})`);
            assert.equal(cur.windowEnd, prev.windowEnd);
          }
          assert.ok(h.clock.pending <= 1);
          before = nowMap;
        }
        e.dispose();
        assert.equal(h.clock.pending, 0);
      }),
      { numRuns: 300 },
    );
  });
});
