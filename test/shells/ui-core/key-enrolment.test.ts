/**
 * Key enrolment from the UI core, on a scripted agent: the steps in order (present → writing →
 * registering → done), the key's PIN typed on the PIN pad and handed over once, "touch your key"
 * shown from the keepalive and cancelled with its id (the agent's signal aborted, the outcome
 * `cancelled`), the agent's errors named in the contract's words, one enrolment at a time
 * across badges and keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FidoError } from '../../../src/main/means/fido2/fido-error.js';
import type { EngineStatus } from '../../../src/main/session/engine/session-engine.js';
import type { FidoEnrolmentRequest } from '../../../src/main/shells/agent/fido-enrolment.js';
import { BadgeEnrolment } from '../../../src/main/shells/ui-core/badge-enrolment.js';
import { EnrolmentRunner } from '../../../src/main/shells/ui-core/enrolment-runner.js';
import { KeyEnrolment, keyEnrolFailureOf } from '../../../src/main/shells/ui-core/key-enrolment.js';
import { PinBroker } from '../../../src/main/shells/ui-core/pin-broker.js';
import { UiError } from '../../../src/main/shells/ui-core/ui-error.js';
import { isEnrolProgress, type EnrolProgress } from '../../../src/shared/enrolment.js';

const now = new Date();
const active: EngineStatus = {
  state: 'active', workstation: 'w', windowMs: 3_600_000, now, locked: false, others: [],
  current: { person: { id: 'rpps:10001234567', rpps: '10001234567', name: 'JEAN MARTIN' }, state: 'active', means: 'cps', factors: ['possession', 'knowledge'], twoFactor: { at: now, means: 'cps', reason: 'rie.cps_pin', fallback: false }, windowEnd: new Date(now.getTime() + 3_600_000), timeLeftMs: 3_600_000 } as EngineStatus['current'] & object,
};

const until = async (what: () => boolean): Promise<void> => {
  while (!what()) await new Promise((r) => setTimeout(r, 2));
};

function setup(enrolFidoKey: (req: FidoEnrolmentRequest) => Promise<unknown>) {
  const pins = new PinBroker();
  const runner = new EnrolmentRunner({ pins, status: () => active });
  const keys = new KeyEnrolment({ pins, runner, enrolFidoKey });
  const progress: EnrolProgress[] = [];
  const ended = async (): Promise<EnrolProgress> => {
    await until(() => ['done', 'failed'].includes(progress.at(-1)?.step ?? ''));
    return progress.at(-1) as EnrolProgress;
  };
  return { pins, runner, keys, progress, ended };
}

describe('key enrolment from the UI core', () => {
  it('present → PIN on the pad → writing → touch (keepalive) → registering → done; the PIN handed over once', async () => {
    const pins: string[] = [];
    const touchSeen: string[] = [];
    const t = setup(async (req) => {
      const pin = await req.pin();
      pins.push(pin.toString('ascii'));
      pin.fill(0);
      req.onStep?.('writing');
      req.onKeepalive?.('processing');
      req.onKeepalive?.('user-presence-needed');
      touchSeen.push(t.pins.prompt().kind);
      req.onKeepalive?.('user-presence-needed');
      req.onStep?.('registering');
    });
    const s = t.keys.start({ kind: 'fido2' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    await until(() => t.pins.prompt().kind === 'pin');
    const p = t.pins.prompt();
    assert.ok(p.kind === 'pin' && p.means === 'fido2' && p.reason === 'enrolment' && p.holder === 'JEAN MARTIN' && p.length.min === 4 && p.length.max === 16);
    assert.deepEqual(t.pins.submit(p.requestId, Uint8Array.from(Buffer.from('8642'))), { ok: true, value: null });
    assert.equal((await t.ended()).step, 'done');
    assert.deepEqual(t.progress.map((x) => x.step), ['present', 'writing', 'registering', 'done']);
    assert.ok(t.progress.every((x) => isEnrolProgress(x) && x.kind === 'fido2' && x.enrolmentId === s.value.enrolmentId));
    assert.deepEqual(pins, ['8642']);
    assert.deepEqual(touchSeen, ['touch_key']);
    assert.deepEqual(t.pins.prompt(), { kind: 'none' }, 'the touch prompt is gone after the key answered');
    assert.equal(t.runner.active, false);
  });

  it('"touch your key" cancelled with its id: the agent\'s signal is aborted, the outcome is cancelled (not an error)', async () => {
    let signal: AbortSignal | undefined;
    const t = setup(async (req) => {
      signal = req.signal;
      req.onStep?.('writing');
      req.onKeepalive?.('user-presence-needed');
      // The key's operation ends when the signal aborts, as the CTAP transport does.
      await new Promise<void>((resolve) => req.signal?.addEventListener('abort', () => resolve(), { once: true }));
      throw new FidoError('cancelled', 'request cancelled by the caller');
    });
    const s = t.keys.start({ kind: 'fido2' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    await until(() => t.pins.prompt().kind === 'touch_key');
    const touch = t.pins.prompt();
    assert.ok(touch.kind === 'touch_key' && touch.requestId !== undefined);
    assert.deepEqual(t.pins.cancelTouch(touch.requestId), { ok: true, value: null });
    assert.deepEqual(await t.ended(), { enrolmentId: s.value.enrolmentId, kind: 'fido2', step: 'failed', failure: 'cancelled' });
    assert.equal(signal?.aborted, true);
    assert.deepEqual(t.pins.prompt(), { kind: 'none' });
    const stale = t.pins.cancelTouch(touch.requestId);
    assert.equal(!stale.ok && stale.error.code, 'stale-request');
  });

  it('cancel from the wizard on the PIN pad: cancelled, the agent asked nothing more', async () => {
    let after = false;
    const t = setup(async (req) => {
      const pin = await req.pin();
      after = true;
      pin.fill(0);
    });
    const s = t.keys.start({ kind: 'fido2' }, (p) => t.progress.push(p));
    assert.ok(s.ok);
    await until(() => t.pins.prompt().kind === 'pin');
    assert.deepEqual(t.runner.cancel(s.value.enrolmentId), { ok: true, value: null });
    await t.ended();
    assert.deepEqual(t.progress.at(-1), { enrolmentId: s.value.enrolmentId, kind: 'fido2', step: 'failed', failure: 'cancelled' });
    assert.equal(after, false);
  });

  it('the agent\'s refusals in the contract\'s words; one enrolment at a time across badges and keys', async () => {
    const cases: [FidoError | Error, string][] = [
      [new FidoError('enrolment_refused', 'x', { reason: 'too_old' }), 'needs_two_factor'],
      [new FidoError('wrong_pin', 'x', { retriesLeft: 7 }), 'wrong_pin'],
      [new FidoError('pin_blocked', 'x'), 'pin_blocked'],
      [new FidoError('pin_auth_blocked', 'x'), 'pin_blocked'],
      [new FidoError('uv_unavailable', 'x'), 'no_uv'],
      [new FidoError('pin_not_set', 'x'), 'no_uv'],
      [new FidoError('no_device', 'x'), 'timeout'],
      [new FidoError('user_presence_timeout', 'x'), 'timeout'],
      [new FidoError('already_enrolled', 'x'), 'already_enrolled'],
      [new FidoError('device_removed', 'x'), 'device_error'],
      [new Error('?'), 'device_error'],
    ];
    for (const [e, failure] of cases) {
      const t = setup(async () => {
        throw e;
      });
      const s = t.keys.start({ kind: 'fido2' }, (p) => t.progress.push(p));
      assert.ok(s.ok);
      assert.deepEqual(await t.ended(), { enrolmentId: s.value.enrolmentId, kind: 'fido2', step: 'failed', failure }, e.message);
    }
    assert.equal(keyEnrolFailureOf(new UiError('pin_cancelled', 'x')), 'cancelled');

    let release: () => void = () => undefined;
    const t = setup(() => new Promise<void>((r) => (release = r)));
    const badges = new BadgeEnrolment({ pins: t.pins, runner: t.runner, monitor: { on: () => () => undefined }, status: () => active, enrolBadge: async () => assert.fail('not asked') });
    const first = t.keys.start({ kind: 'fido2' }, (p) => t.progress.push(p));
    assert.ok(first.ok);
    const busy = badges.start({ kind: 'badge' }, () => undefined);
    assert.equal(!busy.ok && busy.error.code, 'busy');
    const wrongKind = t.keys.start({ kind: 'badge' }, () => undefined);
    assert.equal(!wrongKind.ok && wrongKind.error.code, 'not-allowed');
    release();
    assert.equal((await t.ended()).step, 'done');
    // The outcome frees the runner before it is said: another enrolment may start at once.
    assert.equal(t.runner.active, false);
  });
});
