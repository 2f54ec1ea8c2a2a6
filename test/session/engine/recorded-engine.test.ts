/**
 * The engine with an asynchronous recorder (as the audit log's fsync'd append): decisions are
 * recorded in order before the caller hears of them, a failed recording rolls back a
 * permissive decision but never a restrictive one, and timers wait while a call is recorded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/main/session/engine/clock.js';
import { RecordedSessionEngine } from '../../../src/main/session/engine/recorded-engine.js';
import { SessionEngine } from '../../../src/main/session/engine/session-engine.js';
import { SessionError } from '../../../src/main/session/engine/session-error.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import { ALICE, BOB, MIN, T0, badgePin, cpsPin, registry, tap } from '../policy/fixtures.js';
import { summary } from './harness.js';

interface Rig {
  clock: ManualClock;
  rec: RecordedSessionEngine;
  written: Decision[];
  recorded: Decision[];
  errors: unknown[];
  /** Makes the next recordings wait until `open()`; `fail` makes matching decisions fail. */
  gate(): { open: () => void };
  fail: ((d: Decision) => boolean) | undefined;
}

function rig(windowMs = 10 * MIN): Rig {
  const clock = new ManualClock(T0);
  const engine = new SessionEngine({ registry: registry(), clock, config: { exi14WindowMs: windowMs } });
  let wait: Promise<void> | undefined;
  const r: Rig = {
    clock,
    written: [],
    recorded: [],
    errors: [],
    fail: undefined,
    gate() {
      let open!: () => void;
      wait = new Promise<void>((res) => {
        open = res;
      });
      return { open: () => { wait = undefined; open(); } };
    },
    rec: undefined as unknown as RecordedSessionEngine,
  };
  r.rec = new RecordedSessionEngine(engine, async (d) => {
    if (wait) await wait;
    await new Promise<void>((res) => setImmediate(res)); // a real asynchronous write
    if (r.fail?.(d)) throw new Error('EIO: disk gone');
    r.written.push(d);
  });
  r.rec.onRecorded((d) => r.recorded.push(d));
  r.rec.onError((e) => r.errors.push(e));
  return r;
}

describe('RecordedSessionEngine', () => {
  it('a decision is recorded before the call resolves, and calls are recorded in call order', async () => {
    const r = rig();
    const g = r.gate();
    let resolved = false;
    const p1 = r.rec.authenticate(cpsPin(ALICE, T0)).then((d) => {
      resolved = true;
      return d;
    });
    const p2 = r.rec.lock();
    const p3 = r.rec.badgeTapped(tap(ALICE, T0));
    await new Promise<void>((res) => setImmediate(res));
    assert.equal(resolved, false);
    assert.deepEqual(r.written, []);
    g.open();
    const [d1, d2, d3] = await Promise.all([p1, p2, p3]);
    assert.equal(d1.decision, 'open');
    assert.equal(d2.decision, 'lock');
    assert.equal(d3.decision, 'unlock');
    assert.deepEqual(summary(r.written), ['open/rie.cps_pin@10001234567', 'lock/session.user_lock@10001234567', 'unlock/exi14.reidentified@10001234567']);
    assert.deepEqual(r.recorded, r.written);
  });

  it('an open that cannot be recorded does not take effect', async () => {
    const r = rig();
    r.fail = (d) => d.decision === 'open';
    await assert.rejects(r.rec.authenticate(cpsPin(ALICE, T0)), (e: unknown) => e instanceof SessionError && e.code === 'decision_not_recorded');
    assert.equal(r.rec.status().state, 'signed_out');
    assert.equal(r.rec.engine.status().others.length, 0);
    r.fail = undefined;
    assert.equal((await r.rec.authenticate(cpsPin(ALICE, T0))).decision, 'open');
  });

  it('a switch whose grant cannot be recorded: the lock of the person in front stays, the newcomer gets nothing', async () => {
    const r = rig();
    await r.rec.authenticate(cpsPin(ALICE, T0));
    r.fail = (d) => d.decision === 'switch_user';
    await assert.rejects(r.rec.authenticate(badgePin(BOB, T0 + MIN)), SessionError);
    const s = r.rec.status();
    assert.equal(s.state, 'locked');
    assert.equal(s.current?.person.id, ALICE.id);
    assert.equal(s.current?.lockReason, 'session.user_switch');
    assert.deepEqual(s.others, []);
    assert.deepEqual(summary(r.written), ['open/rie.cps_pin@10001234567', 'lock/session.user_switch@10001234567']);
  });

  it('a lock that cannot be recorded still locks (fail closed) and the failure is reported', async () => {
    const r = rig();
    await r.rec.authenticate(cpsPin(ALICE, T0));
    r.fail = (d) => d.decision === 'lock';
    const d = await r.rec.lock();
    assert.equal(d.decision, 'lock');
    assert.equal(r.rec.status().state, 'locked');
    assert.equal(r.errors.length, 1);
    assert.ok(r.errors[0] instanceof SessionError);
  });

  it('timers wait while a call is being recorded, then expire and are recorded after it', async () => {
    const r = rig(10 * MIN);
    await r.rec.authenticate(cpsPin(ALICE, T0));
    await r.rec.lock();
    r.clock.set(T0 + 10 * MIN - 1);
    const g = r.gate();
    const p = r.rec.badgeTapped(tap(ALICE, r.clock.now()));
    await new Promise<void>((res) => setImmediate(res));
    r.clock.advance(MIN); // the window ends while the unlock is being recorded
    assert.equal(r.rec.status().state, 'active', 'the expiry waits for the recording');
    g.open();
    assert.equal((await p).decision, 'unlock');
    await r.rec.idle();
    assert.equal(r.rec.status().state, 'expired');
    assert.deepEqual(summary(r.written.slice(2)), ['unlock/exi14.reidentified@10001234567', 'expire/exi14.window_expired@10001234567']);
    assert.equal(r.written[3]?.event, 'window_timer');
  });

  it('a timer-driven decision on an idle engine is recorded too', async () => {
    const r = rig(10 * MIN);
    await r.rec.authenticate(cpsPin(ALICE, T0));
    r.clock.advance(10 * MIN);
    await r.rec.idle();
    assert.deepEqual(summary(r.written), ['open/rie.cps_pin@10001234567', 'expire/exi14.window_expired@10001234567']);
    r.rec.dispose();
    assert.equal(r.clock.pending, 0);
  });
});
