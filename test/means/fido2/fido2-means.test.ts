/**
 * FIDO2 means against the simulated authenticator (in process): enrolment gated by a 2FA
 * event, verification to an AuthEvent, and every refusal with its code.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthEvent } from '../../../src/main/means/auth-event.js';
import {
  enrollFidoKey, verifyFidoKey, revokeFidoKey, JsonFileEnrolmentStore, FidoError, checkEnrolmentPrecondition, type UserVerification,
} from '../../../src/main/means/fido2/index.js';
import { SimAuthenticator, type SimAuthenticatorOptions } from '../../testbed/fido/authenticator.js';
import { InProcessCtapTransport } from '../../testbed/fido/in-process-transport.js';

const PERSON = 'rpps:10001234567';
const cpsEvent = (over: Partial<AuthEvent> = {}): AuthEvent => ({
  means: 'cps',
  factors: ['possession', 'knowledge'],
  subject: { id: PERSON, rpps: '10001234567', name: 'Camille Martin' },
  proof: { kind: 'card-signature', challenge: '00', certificateSha256: 'ab' },
  at: new Date(),
  ...over,
});
const withPin = (p = '1234'): UserVerification => ({ kind: 'pin', pin: Buffer.from(p) });

async function rejects(p: Promise<unknown>, code: string): Promise<FidoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FidoError, `expected FidoError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('FIDO2 means', () => {
  let dir: string;
  let n = 0;
  const newStore = (): JsonFileEnrolmentStore => new JsonFileEnrolmentStore(join(dir, `store-${n++}.json`));
  const device = (opts: SimAuthenticatorOptions): { sim: SimAuthenticator; t: InProcessCtapTransport } => {
    const sim = new SimAuthenticator(opts);
    return { sim, t: new InProcessCtapTransport(sim.handler) };
  };
  async function enrolled(opts: SimAuthenticatorOptions = { pin: '1234' }, uv: UserVerification = withPin()) {
    const d = device(opts);
    const store = newStore();
    const { enrolment } = await enrollFidoKey(d.t, { personEvent: cpsEvent(), personId: PERSON, verification: uv, store });
    return { ...d, store, enrolment };
  }

  before(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-fido-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('enrols with a CPS 2FA event, then verifies: possession + knowledge, counter stored', async () => {
    const { t, store, enrolment } = await enrolled({ pin: '97531' }, withPin('97531'));
    assert.equal(enrolment.alg, -7);
    assert.equal(enrolment.personId, PERSON);
    assert.equal(enrolment.attestation.type, 'self');
    assert.match(enrolment.aaguid, /^7e55e8a0-c0de-4fa1-b0a0-f1d02a17e55e$/);
    assert.equal(enrolment.enrolledWith.proof, 'card-signature+knowledge');
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    const pin = Buffer.from('97531');
    const { event } = await verifyFidoKey(t, { personId: PERSON, verification: { kind: 'pin', pin }, store });
    assert.equal(event.means, 'fido2');
    assert.deepEqual(event.factors, ['possession', 'knowledge']);
    assert.equal(event.subject.name, 'Camille Martin');
    assert.equal(event.fallback, undefined);
    assert.deepEqual(event.proof, { kind: 'fido2-assertion', credentialId: enrolment.credentialId, rpId: 'tessera.local', signCount: 1, userVerified: true, aaguid: enrolment.aaguid });
    assert.equal((await store.get(enrolment.credentialId))?.signCount, 1);
    const second = await verifyFidoKey(t, { personId: PERSON, verification: withPin('97531'), store, fallback: true });
    assert.equal(second.event.fallback, true);
    assert.equal(second.enrolment.signCount, 2);
    assert.ok(!readFileSync(store.path, 'utf8').includes('97531'));
  });

  it('on-key biometrics give possession + inherence; EdDSA-only keys enrol too', async () => {
    const { t, store, enrolment } = await enrolled({ builtInUv: true, pinSupport: false, algorithms: [-8] }, { kind: 'builtin' });
    assert.equal(enrolment.alg, -8);
    const { event } = await verifyFidoKey(t, { personId: PERSON, verification: { kind: 'builtin' }, store });
    assert.deepEqual(event.factors, ['possession', 'inherence']);
  });

  it('a CTAP 2.0 key (getPinToken, no permissions) enrols and verifies with its PIN', async () => {
    const { t, sim, store } = await enrolled({ pin: '1234', ctap20: true, pinProtocols: [1] });
    const { event } = await verifyFidoKey(t, { personId: PERSON, verification: withPin(), store });
    assert.deepEqual(event.factors, ['possession', 'knowledge']);
    assert.ok(sim.commandsSeen.includes(0x06));
  });

  it('refuses enrolment without a recent 2FA event of the same person', async () => {
    const d = device({ pin: '1234' });
    const store = newStore();
    const e1 = await rejects(enrollFidoKey(d.t, { personEvent: cpsEvent({ subject: { id: 'rpps:999', name: 'X' } }), personId: PERSON, verification: withPin(), store }), 'enrolment_refused');
    assert.equal(e1.reason, 'other_person');
    const e2 = await rejects(enrollFidoKey(d.t, { personEvent: cpsEvent({ factors: ['possession'] }), personId: PERSON, verification: withPin(), store }), 'enrolment_refused');
    assert.equal(e2.reason, 'not_two_factor');
    assert.throws(() => checkEnrolmentPrecondition(cpsEvent({ factors: ['possession', 'possession'] }), PERSON, new Date(), 60_000), { code: 'enrolment_refused' });
    const old = cpsEvent({ at: new Date(Date.now() - 3_600_000) });
    assert.equal((await rejects(enrollFidoKey(d.t, { personEvent: old, personId: PERSON, verification: withPin(), store }), 'enrolment_refused')).reason, 'too_old');
    assert.equal(d.sim.credentialCount, 0);
    assert.deepEqual(await store.list(), []);
  });

  it('refuses touch-only keys (uv_unavailable) and guides to set a PIN (pin_not_set)', async () => {
    const store = newStore();
    await rejects(enrollFidoKey(device({ pinSupport: false }).t, { personEvent: cpsEvent(), personId: PERSON, verification: withPin(), store }), 'uv_unavailable');
    await rejects(enrollFidoKey(device({ pinSupport: false }).t, { personEvent: cpsEvent(), personId: PERSON, verification: { kind: 'builtin' }, store }), 'uv_unavailable');
    await rejects(enrollFidoKey(device({}).t, { personEvent: cpsEvent(), personId: PERSON, verification: withPin(), store }), 'pin_not_set');
  });

  it('wrong PIN reports the tries left; blocked after the last one', async () => {
    const { t, store } = await enrolled({ pin: '1234', threeStrikes: false });
    const e = await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('0000'), store }), 'wrong_pin');
    assert.equal(e.retriesLeft, 7);
    for (let i = 6; i >= 1; i--) assert.equal((await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('0000'), store }), 'wrong_pin')).retriesLeft, i);
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('0000'), store }), 'pin_blocked');
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('1234'), store }), 'pin_blocked');
  });

  it('three wrong PINs in a row: pin_auth_blocked until the key is plugged again', async () => {
    const { t, sim, store } = await enrolled();
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('0000'), store }), 'wrong_pin');
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('0000'), store }), 'wrong_pin');
    assert.equal((await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin('0000'), store }), 'pin_auth_blocked')).retriesLeft, 5);
    sim.powerCycle();
    await verifyFidoKey(t, { personId: PERSON, verification: withPin(), store });
  });

  it('a bad assertion signature is refused and the counter is not updated', async () => {
    const { t, store, enrolment } = await enrolled({ pin: '1234', wrongSignature: true });
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin(), store }), 'bad_signature');
    assert.equal((await store.get(enrolment.credentialId))?.lastUsedAt, undefined);
  });

  it('a counter going backwards is refused as a possible clone and recorded', async () => {
    const { t, store, enrolment } = await enrolled({ pin: '1234', signCountRegression: true });
    assert.equal(enrolment.signCount, 100);
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin(), store }), 'possible_clone');
    const rec = await store.get(enrolment.credentialId);
    assert.equal(rec?.signCount, 100);
    assert.ok(rec?.cloneSuspectedAt);
  });

  it('an assertion without the UV flag is refused', async () => {
    const { t, store } = await enrolled({ pin: '1234', clearUvFlag: true });
    assert.equal((await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin(), store }), 'assertion_invalid')).reason, 'user_verification_missing');
  });

  it('user presence denied or never given → user_presence_timeout', async () => {
    const { t, store, sim } = await enrolled();
    sim.opts.userPresence = 'denied';
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin(), store }), 'user_presence_timeout');
    sim.opts.userPresence = 'timeout';
    sim.opts.touchDelayMs = 5;
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin(), store }), 'user_presence_timeout');
    const d = device({ pin: '1234', touchDelayMs: 5_000 });
    const s2 = newStore();
    await rejects(enrollFidoKey(d.t, { personEvent: cpsEvent(), personId: PERSON, verification: withPin(), store: s2, callOptions: { timeoutMs: 30 } }), 'user_presence_timeout');
  });

  it('revoked, not enrolled, and another key than the enrolled one', async () => {
    const { t, store, enrolment } = await enrolled();
    await rejects(verifyFidoKey(t, { personId: 'rpps:other', verification: withPin(), store }), 'not_enrolled');
    await rejects(verifyFidoKey(device({ pin: '1234' }).t, { personId: PERSON, verification: withPin(), store }), 'not_enrolled');
    await revokeFidoKey(store, enrolment.credentialId);
    await rejects(verifyFidoKey(t, { personId: PERSON, verification: withPin(), store }), 'revoked');
  });

  it('a second enrolment of the same key for the same person is excluded', async () => {
    const { t, store } = await enrolled();
    await rejects(enrollFidoKey(t, { personEvent: cpsEvent(), personId: PERSON, verification: withPin(), store }), 'already_enrolled');
    const a = await enrollFidoKey(device({ pin: '1234' }).t, { personEvent: cpsEvent(), personId: PERSON, verification: withPin(), store });
    assert.equal((await store.list({ personId: PERSON })).length, 2);
    assert.ok(a.enrolment.credentialId);
  });

  it('attestation formats other than packed/none are reported as unsupported; none is accepted', async () => {
    await rejects(enrolled({ pin: '1234', attestation: 'fido-u2f' }), 'unsupported_attestation');
    const { enrolment } = await enrolled({ pin: '1234', attestation: 'none' });
    assert.deepEqual(enrolment.attestation, { fmt: 'none', type: 'none' });
  });

  it('an unreadable or malformed store is a typed error', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{not json');
    await rejects(new JsonFileEnrolmentStore(p).list(), 'store_invalid');
    writeFileSync(p, JSON.stringify({ version: 1, enrolments: [{ credentialId: 'x' }] }));
    await rejects(new JsonFileEnrolmentStore(p).list(), 'store_invalid');
    writeFileSync(p, JSON.stringify({ version: 2, enrolments: [] }));
    await rejects(new JsonFileEnrolmentStore(p).list(), 'store_invalid');
  });
});
