/**
 * The EXI 14 rule in isolation: window setting bounds, the half-open window, and every branch
 * of the re-identification check (register, person, window, same means). The DESFire
 * enrolment register adapter is tested against a real register file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/main/config/config.js';
import { JsonEnrolmentRegister } from '../../../src/main/means/desfire/enrolment-register.js';
import {
  checkExi14WindowMs, checkReidentification, EXI14_DEFAULT_WINDOW_MS, EXI14_MAX_WINDOW_MS, EXI14_MIN_WINDOW_MS, timeLeftMs, windowOpen, type TwoFactorAnchor,
} from '../../../src/main/session/policy/exi14.js';
import { enrolmentRegisterRegistry, meansRefOf } from '../../../src/main/session/policy/means-ref.js';
import { ALICE, BADGE, BOB, CERT, HOUR, MIN, SECOND_BADGE_ALICE, T0, cpsPin, registry, tap } from './fixtures.js';

const aliceBadge = { kind: 'desfire' as const, id: BADGE[ALICE.id] ?? '' };
const aliceCpsAnchor: TwoFactorAnchor = { personId: ALICE.id, at: T0, windowEnd: T0 + 4 * HOUR, means: 'cps', meansRef: { kind: 'cps', id: CERT[ALICE.id] ?? '' } };

describe('EXI 14 window setting', () => {
  it('defaults to 4 h and accepts exactly 1 min to 12 h', () => {
    assert.equal(EXI14_DEFAULT_WINDOW_MS, 4 * HOUR);
    assert.equal(checkExi14WindowMs(EXI14_MIN_WINDOW_MS), MIN);
    assert.equal(checkExi14WindowMs(EXI14_MAX_WINDOW_MS), 12 * HOUR);
  });

  for (const bad of [MIN - 1, 12 * HOUR + 1, 0, -MIN, 90_000.5, Number.NaN, Infinity, '14400000', null, undefined]) {
    it(`refuses ${String(bad)} with a ConfigError naming the field and the range`, () => {
      assert.throws(() => checkExi14WindowMs(bad), (e: unknown) => e instanceof ConfigError && e.code === 'config_invalid' && /session\.exi14WindowMs/.test(e.message) && /1 min/.test(e.message) && /12 h/.test(e.message));
    });
  }

  it('the window is half-open: [2FA, 2FA + window)', () => {
    assert.equal(windowOpen(aliceCpsAnchor, T0), true);
    assert.equal(windowOpen(aliceCpsAnchor, T0 + 4 * HOUR - 1), true);
    assert.equal(windowOpen(aliceCpsAnchor, T0 + 4 * HOUR), false);
    assert.equal(windowOpen(aliceCpsAnchor, T0 - 1), false);
    assert.equal(timeLeftMs(aliceCpsAnchor, T0 + HOUR), 3 * HOUR);
    assert.equal(timeLeftMs(aliceCpsAnchor, T0 + 5 * HOUR), 0);
  });
});

describe('EXI 14 re-identification check', () => {
  const reg = registry();
  const single = (ev = tap(ALICE, T0 + HOUR)): { personId: string; meansRef?: ReturnType<typeof meansRefOf> & object } => {
    const ref = meansRefOf(ev);
    return { personId: ev.subject.id, ...(ref ? { meansRef: ref } : {}) };
  };

  it('the same person\'s badge bound to the CPS that did the 2FA, inside the window → reidentified', () => {
    assert.deepEqual(checkReidentification(single(), aliceCpsAnchor, reg, T0 + HOUR), { ok: true, reason: 'exi14.reidentified' });
  });

  it('1 ms before the end → reidentified; at the end and after → window_expired', () => {
    assert.equal(checkReidentification(single(), aliceCpsAnchor, reg, T0 + 4 * HOUR - 1).ok, true);
    for (const t of [T0 + 4 * HOUR, T0 + 4 * HOUR + 1]) {
      assert.deepEqual(checkReidentification(single(), aliceCpsAnchor, reg, t), { ok: false, decision: 'require_second_factor', reason: 'exi14.window_expired' });
    }
  });

  it('a badge without enrolment id, or unknown to the register → means_not_registered', () => {
    assert.deepEqual(checkReidentification(single(tap(ALICE, T0, null)), aliceCpsAnchor, reg, T0), { ok: false, decision: 'require_second_factor', reason: 'exi14.means_not_registered' });
    assert.deepEqual(checkReidentification(single(tap(ALICE, T0, '0'.repeat(32))), aliceCpsAnchor, reg, T0), { ok: false, decision: 'require_second_factor', reason: 'exi14.means_not_registered' });
  });

  it('a revoked enrolment is refused, even inside the window', () => {
    const r = registry().revoke(aliceBadge);
    assert.deepEqual(checkReidentification(single(), aliceCpsAnchor, r, T0 + MIN), { ok: false, decision: 'refuse', reason: 'exi14.means_revoked' });
  });

  it('a badge enrolled for someone else presenting Alice → enrolment_mismatch', () => {
    const ev = tap(ALICE, T0, BADGE[BOB.id]);
    assert.deepEqual(checkReidentification(single(ev), aliceCpsAnchor, reg, T0 + MIN), { ok: false, decision: 'refuse', reason: 'exi14.enrolment_mismatch' });
  });

  it('another person\'s badge against Alice\'s window → no_session (their own 2FA is needed)', () => {
    assert.deepEqual(checkReidentification(single(tap(BOB, T0)), aliceCpsAnchor, reg, T0 + MIN), { ok: false, decision: 'require_second_factor', reason: 'exi14.no_session' });
    assert.deepEqual(checkReidentification(single(tap(BOB, T0)), undefined, reg, T0 + MIN), { ok: false, decision: 'require_second_factor', reason: 'exi14.no_session' });
  });

  it('a badge not bound to the means of the 2FA → not_same_means', () => {
    // Alice's second badge was enrolled after a FIDO2 2FA: it does not stand in for her CPS.
    const ev = tap(ALICE, T0, SECOND_BADGE_ALICE);
    assert.deepEqual(checkReidentification(single(ev), aliceCpsAnchor, reg, T0 + MIN), { ok: false, decision: 'require_second_factor', reason: 'exi14.not_same_means' });
    // ... and after a 2FA with badge 1 + PIN, badge 2 is not the same means either.
    const badgeAnchor: TwoFactorAnchor = { personId: ALICE.id, at: T0, windowEnd: T0 + HOUR, means: 'desfire', meansRef: aliceBadge };
    assert.equal(checkReidentification(single(ev), badgeAnchor, reg, T0 + MIN).ok, false);
    assert.equal(checkReidentification(single(), badgeAnchor, reg, T0 + MIN).ok, true);
  });

  it('a binding to one certificate accepts only that certificate', () => {
    const r = registry().enrol(aliceBadge, ALICE.id, [{ kind: 'cps', id: 'ee'.repeat(32) }]);
    assert.equal(checkReidentification(single(), aliceCpsAnchor, r, T0 + MIN).reason, 'exi14.not_same_means');
    const r2 = registry().enrol(aliceBadge, ALICE.id, [{ kind: 'cps', id: meansRefOf(cpsPin(ALICE, T0))?.id ?? '' }]);
    assert.equal(checkReidentification(single(), aliceCpsAnchor, r2, T0 + MIN).ok, true);
  });
});

describe('the DESFire enrolment register as a means registry', () => {
  let dir: string;
  let reg: JsonEnrolmentRegister;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-exi14-'));
    reg = JsonEnrolmentRegister.create(join(dir, 'register.json'));
    reg.record({ enrolmentId: aliceBadge.id, personId: ALICE.id, name: ALICE.name, uid: '04A1B2C3D4E5F6', aid: 'F51230', keyVersion: 1, enrolledAt: new Date(T0).toISOString(), enrolledBy: ALICE.id, proofMeans: 'cps' });
    reg.record({ enrolmentId: SECOND_BADGE_ALICE, personId: ALICE.id, name: ALICE.name, uid: '04A1B2C3D4E5F7', aid: 'F51230', keyVersion: 1, enrolledAt: new Date(T0).toISOString(), enrolledBy: ALICE.id, proofMeans: 'desfire' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps enrolment, binding, revocation and unknown ids', () => {
    const r = enrolmentRegisterRegistry(reg);
    assert.deepEqual(r.status(aliceBadge), { state: 'active', personId: ALICE.id, boundTo: [{ kind: 'desfire', id: aliceBadge.id }, { kind: 'cps' }] });
    assert.deepEqual(r.status({ kind: 'desfire', id: SECOND_BADGE_ALICE }), { state: 'active', personId: ALICE.id, boundTo: [{ kind: 'desfire', id: SECOND_BADGE_ALICE }] });
    assert.deepEqual(r.status({ kind: 'desfire', id: '0'.repeat(32) }), { state: 'unknown' });
    assert.deepEqual(r.status({ kind: 'cps', id: 'aa' }), { state: 'unknown' });
    assert.equal(checkReidentification({ personId: ALICE.id, meansRef: aliceBadge }, aliceCpsAnchor, r, T0 + MIN).ok, true);
    reg.revoke({ enrolmentId: aliceBadge.id, revokedAt: new Date(T0).toISOString(), revokedBy: 'admin', reason: 'lost' });
    assert.deepEqual(r.status(aliceBadge), { state: 'revoked' });
  });

  it('fails closed when the register cannot be trusted (writable by others)', { skip: process.platform === 'win32' }, () => {
    const r = enrolmentRegisterRegistry(reg);
    chmodSync(reg.path, 0o666);
    try {
      assert.deepEqual(r.status({ kind: 'desfire', id: SECOND_BADGE_ALICE }), { state: 'unknown' });
    } finally {
      chmodSync(reg.path, 0o600);
    }
  });
});
