/**
 * RecordedSessionEngine under random recording failures (fast-check): a session is active only
 * if the last recorded decision about that person is a grant — nothing permissive takes effect
 * unrecorded — and every call settles (no hang, no lost hold on the engine's timers).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../../../src/main/session/engine/clock.js';
import { RecordedSessionEngine } from '../../../src/main/session/engine/recorded-engine.js';
import { SessionEngine } from '../../../src/main/session/engine/session-engine.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import { ALICE, BOB, CPS_READER, HOUR, MIN, T0, badgePin, cpsPin, registry, tap } from '../policy/fixtures.js';

const PERSONS = [ALICE, BOB] as const;
const GRANT = new Set(['open', 'unlock', 'switch_user']);
const RESTRICT = new Set(['lock', 'sign_out', 'expire']);

type Cmd =
  | { t: 'cps' | 'badge' | 'tap' | 'signout'; p: 0 | 1 }
  | { t: 'lock' | 'remove' }
  | { t: 'advance'; ms: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ t: fc.constantFrom('cps' as const, 'badge' as const, 'tap' as const, 'tap' as const, 'signout' as const), p: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ t: fc.constantFrom('lock' as const, 'remove' as const) }),
  fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 40 * MIN }) }),
);

describe('RecordedSessionEngine properties', () => {
  it('no grant takes effect unrecorded, under random recording failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }), async (cmds, failures) => {
        const clock = new ManualClock(T0);
        const engine = new SessionEngine({ registry: registry(), clock, config: { exi14WindowMs: HOUR, idleLockMs: 20 * MIN } });
        let n = 0;
        const last = new Map<string, string>();
        const rec = new RecordedSessionEngine(engine, async (d: Decision) => {
          const fail = failures[n++ % failures.length] === true && n % 3 === 0;
          if (fail) throw new Error('EIO');
          if (d.person && (GRANT.has(d.decision) || RESTRICT.has(d.decision))) last.set(d.person, d.decision);
        });
        for (const c of cmds) {
          const now = clock.now();
          let p: Promise<unknown>;
          switch (c.t) {
            case 'cps':
              p = rec.authenticate(cpsPin(PERSONS[c.p], now));
              break;
            case 'badge':
              p = rec.authenticate(badgePin(PERSONS[c.p], now));
              break;
            case 'tap':
              p = rec.badgeTapped(tap(PERSONS[c.p], now));
              break;
            case 'signout':
              p = rec.signOut(PERSONS[c.p].id);
              break;
            case 'lock':
              p = rec.lock();
              break;
            case 'remove':
              p = rec.cardRemoved(CPS_READER);
              break;
            case 'advance':
              clock.advance(c.ms);
              p = rec.idle();
              break;
          }
          await p.catch(() => undefined);
          await rec.idle();
          const st = rec.status();
          for (const s of [...(st.current ? [st.current] : []), ...st.others]) {
            if (s.state === 'active') assert.ok(GRANT.has(last.get(s.person.id) ?? ''), `${s.person.id} active without a recorded grant`);
          }
        }
        rec.dispose();
        assert.equal(clock.pending, 0);
      }),
      { numRuns: 150 },
    );
  });
});
