/**
 * The engine's status as the UI contract carries it: every engine state, lock reasons as bare
 * codes, the RPPS number as the person's id, long names clipped, codes the contract cannot carry
 * dropped, and whatever the engine says, a view the contract's own validator accepts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { EngineStatus, PersonSessionView } from '../../../src/main/session/engine/session-engine.js';
import { bareCode, statusViewOf, type StatusInputs } from '../../../src/main/shells/ui-core/status-projection.js';
import { isStatusView, maxDisplayNameLength, nothingAllowed } from '../../../src/shared/status-view.js';

const now = new Date('2026-11-23T08:00:00.000Z');
const person = (over: Partial<PersonSessionView> = {}): PersonSessionView => ({
  person: { id: 'rpps:10001234567', rpps: '10001234567', name: 'JEAN MARTIN' },
  state: 'active',
  means: 'cps',
  factors: ['possession', 'knowledge'],
  twoFactor: { at: now, means: 'cps', reason: 'rie.cps_pin', fallback: false },
  windowEnd: new Date(now.getTime() + 3_600_000),
  timeLeftMs: 3_600_000,
  ...over,
} as PersonSessionView);
const engine = (over: Partial<EngineStatus>): EngineStatus => ({ state: 'signed_out', workstation: 'w', windowMs: 3_600_000, now, locked: false, others: [], ...over });
const inputs = (e: EngineStatus, over: Partial<StatusInputs> = {}): StatusInputs => ({ engine: e, degraded: [], readers: [], sso: null, agent: 'ok', allowed: nothingAllowed, ...over });

describe('status projection', () => {
  it('signed out, authenticating, active, locked with its reason, expired', () => {
    assert.deepEqual(statusViewOf(inputs(engine({}))).session, { state: 'none' });
    assert.deepEqual(statusViewOf(inputs(engine({ state: 'authenticating', authenticating: { since: now, reader: 'Lecteur 0', means: 'cps' } }))).session, { state: 'authenticating', means: 'cps', reader: 'Lecteur 0' });
    const active = statusViewOf(inputs(engine({ state: 'active', current: person() })));
    assert.deepEqual(active.session, { state: 'active', person: { displayName: 'JEAN MARTIN', id: '10001234567' }, means: 'cps', factors: ['possession', 'knowledge'], windowEnd: '2026-11-23T09:00:00.000Z' });
    const locked = statusViewOf(inputs(engine({ state: 'locked', locked: true, current: person({ state: 'locked', lockReason: 'session.card_removed' }) })));
    assert.equal(locked.session.state === 'locked' && locked.session.reason, 'card_removed');
    const expired = statusViewOf(inputs(engine({ state: 'expired', current: person({ state: 'expired', lockReason: 'exi14.window_expired' }) })));
    assert.equal(expired.session.state === 'expired' && expired.session.reason, 'window_expired');
    for (const v of [active, locked, expired]) assert.ok(isStatusView(v));
  });

  it('a local id without RPPS, an empty name, a long name, degraded codes and readers', () => {
    const v = statusViewOf(
      inputs(engine({ state: 'active', current: person({ person: { id: 'local:ide-42', name: '  ' } }) }), {
        degraded: [{ code: 'pcsc_unavailable', since: now.toISOString() }, { code: 'Not A Code', since: now.toISOString() }],
        readers: [{ name: 'Lecteur 0', card: true }, { name: ' ', card: false }],
      }),
    );
    assert.ok(v.session.state === 'active');
    assert.deepEqual(v.session.person, { displayName: 'local:ide-42', id: 'local:ide-42' });
    assert.deepEqual(v.degraded.reasons.map((r) => r.code), ['pcsc_unavailable']);
    assert.deepEqual(v.readers, [{ name: 'Lecteur 0', card: true }]);
    const long = statusViewOf(inputs(engine({ state: 'active', current: person({ person: { id: 'rpps:1', name: 'A'.repeat(500) } }) })));
    assert.ok(long.session.state === 'active' && long.session.person.displayName.length === maxDisplayNameLength);
    assert.equal(bareCode('session.user_lock'), 'user_lock');
    assert.equal(bareCode('session.User-Lock'), undefined);
  });

  it('whatever the engine reports, the view passes the contract validator', () => {
    const text = fc.string({ maxLength: 300 });
    fc.assert(
      fc.property(
        fc.constantFrom('signed_out', 'authenticating', 'active', 'locked', 'expired'),
        text, text, fc.option(text, { nil: undefined }), text,
        fc.array(fc.record({ code: text, since: fc.constant(now.toISOString()) }), { maxLength: 30 }),
        fc.array(fc.record({ name: text, card: fc.boolean() }), { maxLength: 30 }),
        (state, name, id, rpps, reason, degraded, readers) => {
          const current = state === 'signed_out' ? undefined : person({ person: { id: id || 'x', name, ...(rpps !== undefined ? { rpps } : {}) }, state: state === 'authenticating' ? 'active' : state, lockReason: reason as never });
          const e = engine({ state, ...(current ? { current } : {}), ...(state === 'authenticating' ? { authenticating: { since: now, reader: name } } : {}) });
          const v = statusViewOf(inputs(e, { degraded, readers }));
          assert.ok(isStatusView(v), JSON.stringify(v));
        },
      ),
      { numRuns: 300 },
    );
  });
});
