/**
 * Badge enrolment from the UI without a card: the steps in order, the PIN handed to the agent
 * (never kept), cancel while waiting for the badge or on the PIN pad, a badge that never comes,
 * the agent's refusals named in the contract's words, one enrolment at a time, none without a
 * session.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadgeError } from '../../../src/main/means/desfire/badge-error.js';
import type { EnrolmentRecord } from '../../../src/main/means/desfire/enrolment-register.js';
import type { EngineStatus } from '../../../src/main/session/engine/session-engine.js';
import type { ReaderEvent } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { BadgeEnrolment, enrolFailureOf } from '../../../src/main/shells/ui-core/badge-enrolment.js';
import { PinBroker } from '../../../src/main/shells/ui-core/pin-broker.js';
import type { EnrolProgress } from '../../../src/shared/enrolment.js';
import { isEnrolProgress } from '../../../src/shared/enrolment.js';

const now = new Date();
const active: EngineStatus = {
  state: 'active', workstation: 'w', windowMs: 3_600_000, now, locked: false, others: [],
  current: { person: { id: 'rpps:10001234567', rpps: '10001234567', name: 'JEAN MARTIN' }, state: 'active', means: 'cps', factors: ['possession', 'knowledge'], twoFactor: { at: now, means: 'cps', reason: 'rie.cps_pin', fallback: false }, windowEnd: new Date(now.getTime() + 3_600_000), timeLeftMs: 3_600_000 } as EngineStatus['current'] & object,
};

function setup(enrolBadge: (req: { reader: string; person: { id: string; name: string }; pin: Buffer; onRegistering: () => void }) => Promise<EnrolmentRecord>, opts: { status?: EngineStatus; presentTimeoutMs?: number } = {}) {
  const pins = new PinBroker();
  const listeners = new Set<(e: ReaderEvent) => void>();
  const monitor = { on: (l: (e: ReaderEvent) => void) => (listeners.add(l), () => listeners.delete(l)) };
  const e = new BadgeEnrolment({ pins, monitor, status: () => opts.status ?? active, enrolBadge, ...(opts.presentTimeoutMs !== undefined ? { presentTimeoutMs: opts.presentTimeoutMs } : {}) });
  const progress: EnrolProgress[] = [];
  const ended = (): Promise<EnrolProgress> =>
    new Promise((resolve) => {
      const check = (): void => {
        const last = progress.at(-1);
        if (last && (last.step === 'done' || last.step === 'failed')) resolve(last);
        else setTimeout(check, 2);
      };
      check();
    });
  const insert = (reader: string): void => {
    for (const l of [...listeners]) l({ type: 'card-inserted', reader, atr: Buffer.alloc(0) });
  };
  const waitPrompt = async (kind: string): Promise<void> => {
    while (pins.prompt().kind !== kind) await new Promise((r) => setTimeout(r, 2));
  };
  return { pins, e, progress, ended, insert, waitPrompt, listeners };
}

describe('badge enrolment from the UI', () => {
  it('present → PIN chosen → writing → registering → done; the agent gets the reader, the person and the PIN once', async () => {
    const calls: { reader: string; person: { id: string; name: string }; pin: string }[] = [];
    const t = setup(async (req) => {
      calls.push({ reader: req.reader, person: req.person, pin: req.pin.toString('ascii') });
      req.pin.fill(0);
      req.onRegistering();
      return {} as EnrolmentRecord;
    });
    const started = t.e.start({ kind: 'badge' }, (p) => t.progress.push(p));
    assert.ok(started.ok);
    assert.equal(t.e.active, true);
    await t.waitPrompt('present_badge');
    t.insert('Lecteur 1');
    await t.waitPrompt('pin');
    const p = t.pins.prompt();
    assert.ok(p.kind === 'pin' && p.reason === 'enrolment' && p.means === 'desfire' && p.holder === 'JEAN MARTIN');
    t.pins.submit(p.requestId, Uint8Array.from(Buffer.from('1357')));
    const last = await t.ended();
    assert.deepEqual(t.progress.map((x) => x.step), ['present', 'writing', 'registering', 'done']);
    assert.ok(t.progress.every(isEnrolProgress) && t.progress.every((x) => x.enrolmentId === started.value.enrolmentId));
    assert.equal(last.step, 'done');
    assert.deepEqual(calls, [{ reader: 'Lecteur 1', person: { id: 'rpps:10001234567', name: 'JEAN MARTIN' }, pin: '1357' }]);
    assert.equal(t.e.active, false);
    assert.equal(t.listeners.size, 0, 'no reader listener left behind');
  });

  it('cancel while waiting for the badge, cancel on the PIN pad, no badge in time', async () => {
    const never = async (): Promise<EnrolmentRecord> => assert.fail('the agent is not asked');
    let t = setup(never);
    let s = t.e.start({ kind: 'badge' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    assert.deepEqual(t.e.cancel(s.value.enrolmentId), { ok: true, value: null });
    assert.deepEqual(await t.ended(), { enrolmentId: s.value.enrolmentId, kind: 'badge', step: 'failed', failure: 'cancelled' });
    assert.deepEqual(t.pins.prompt(), { kind: 'none' });

    t = setup(never);
    s = t.e.start({ kind: 'badge' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    t.insert('Lecteur 1');
    await t.waitPrompt('pin');
    t.e.cancel(s.value.enrolmentId);
    assert.deepEqual(await t.ended(), { enrolmentId: s.value.enrolmentId, kind: 'badge', step: 'failed', failure: 'cancelled' });
    const stale = t.e.cancel(s.value.enrolmentId);
    assert.equal(!stale.ok && stale.error.code, 'stale-request');

    t = setup(never, { presentTimeoutMs: 20 });
    s = t.e.start({ kind: 'badge' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    assert.deepEqual(await t.ended(), { enrolmentId: s.value.enrolmentId, kind: 'badge', step: 'failed', failure: 'timeout' });
  });

  it('the agent refuses: the contract names why; one at a time; none without a session; keys are not enrolled here', async () => {
    const t = setup(async (req) => {
      req.pin.fill(0);
      throw new BadgeError('badge_not_blank', 'the badge already holds the application');
    });
    const s = t.e.start({ kind: 'badge' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    const busy = t.e.start({ kind: 'badge' }, () => undefined);
    assert.equal(!busy.ok && busy.error.code, 'busy');
    t.insert('Lecteur 1');
    await t.waitPrompt('pin');
    const p = t.pins.prompt();
    if (p.kind === 'pin') t.pins.submit(p.requestId, Uint8Array.from(Buffer.from('1357')));
    assert.deepEqual(await t.ended(), { enrolmentId: s.value.enrolmentId, kind: 'badge', step: 'failed', failure: 'already_enrolled' });

    const key = t.e.start({ kind: 'fido2' }, () => undefined);
    assert.equal(!key.ok && key.error.code, 'not-allowed');
    const none = setup(async () => assert.fail(), { status: { ...active, state: 'signed_out', current: undefined } as EngineStatus });
    const r = none.e.start({ kind: 'badge' }, () => undefined);
    assert.equal(!r.ok && r.error.code, 'no-session');
    assert.equal(enrolFailureOf(new BadgeError('enrolment_refused', 'x', { reason: 'no_session' })), 'needs_two_factor');
    assert.equal(enrolFailureOf(new BadgeError('enrolment_refused', 'x')), 'refused');
    assert.equal(enrolFailureOf(new BadgeError('card_removed', 'x')), 'device_error');
    assert.equal(enrolFailureOf(new Error('?')), 'device_error');
  });
});
