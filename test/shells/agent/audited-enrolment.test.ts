/**
 * Badge enrolment, re-key and revocation are audited before they take effect, with who did it
 * (the operator's two-factor session) and never a key:
 *  - on the badge layer with a recording audit (simulated badge): the record comes before the
 *    register changes, a failing audit stops the operation, refusals for the wrong person;
 *  - in the agent runtime through the real pcscd: no session → refused; after a CPS + PIN login
 *    the operator enrols a blank badge for someone else, re-keys it and revokes it, each step on
 *    the verifying audit chain (means_enrolled / means_rekeyed / means_revoked).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import type { Kms } from '../../../src/main/integrations/kms/index.js';
import { BadgeError, enrolBlankBadge, rekeyBadge, revokeBadge, tapBadge, type EnrolmentAuditEntry } from '../../../src/main/means/desfire/index.js';
import { SimulatedChannel } from '../../means/cps/simulated-channel.js';
import { AID, ALICE, BOB, OPERATOR, cpsTwoFactor, kmsFor, newMasters, tempRegister } from '../../means/desfire/badge-fixture.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { cpsLogin, startTestRuntime, type TestRuntime } from './runtime-fixture.js';

async function refused(p: Promise<unknown>, code: string, reason?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof BadgeError && e.code === code && (reason === undefined || e.reason === reason));
}

describe('badge layer: the audit comes first', () => {
  const masters = newMasters();

  it('enrolment: recorded (operator, holder, enrolment id, UID, key version) while the register does not know the badge yet', async () => {
    const reg = tempRegister();
    try {
      const entries: { entry: EnrolmentAuditEntry; known: boolean }[] = [];
      const audit = { record: async (entry: EnrolmentAuditEntry) => void entries.push({ entry, known: reg.register.find(entry.enrolmentId) !== undefined }) };
      const card = new DesfireCard({ ev2: true });
      const r = await enrolBlankBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, proof: cpsTwoFactor(OPERATOR), operators: [OPERATOR.id], person: BOB, pin: Buffer.from('4826'), register: reg.register, audit, reader: 'Lecteur badges' });
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.known, false, 'recorded before the register binds the badge');
      assert.deepEqual({ ...entries[0]?.entry, at: undefined }, { kind: 'enrolment', operator: OPERATOR.id, operatorFactors: ['possession', 'knowledge'], enrolmentId: r.enrolmentId, subject: BOB.id, uid: r.uid, keyVersion: 1, reader: 'Lecteur badges', at: undefined });
      assert.ok(reg.register.find(r.enrolmentId));
      const text = JSON.stringify(entries);
      for (const k of masters.keys) assert.ok(!text.includes(k.toString('hex')) && !text.toUpperCase().includes(k.toString('hex').toUpperCase()), 'no master key');
      assert.ok(!text.includes('4826'), 'no PIN');
    } finally {
      reg.dispose();
    }
  });

  it('enrolment: a failing audit stops it — the badge is not bound and does not open anything', async () => {
    const reg = tempRegister();
    try {
      const card = new DesfireCard({ ev2: true });
      const audit = { record: async () => Promise.reject(new Error('audit disk full')) };
      await assert.rejects(enrolBlankBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, proof: cpsTwoFactor(ALICE), person: ALICE, pin: Buffer.from('4826'), register: reg.register, audit }));
      await refused(tapBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_not_enrolled');
    } finally {
      reg.dispose();
    }
  });

  it('re-key: recorded before the first key changes; an audited re-key without a proof, or by someone else, is refused', async () => {
    const reg = tempRegister();
    try {
      const card = new DesfireCard({ ev2: true });
      const r = await enrolBlankBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, proof: cpsTwoFactor(ALICE), person: ALICE, pin: Buffer.from('4826'), register: reg.register });
      const newer = newMasters();
      const entries: EnrolmentAuditEntry[] = [];
      const audit = { record: async (e: EnrolmentAuditEntry) => void entries.push(e) };
      const base = { currentKeys: kmsFor(masters), newKeys: kmsFor(newer), newKeyVersion: 2, aid: AID, register: reg.register, audit };
      await refused(rekeyBadge(new SimulatedChannel(card), base), 'enrolment_refused', 'not_two_factor');
      await refused(rekeyBadge(new SimulatedChannel(card), { ...base, proof: cpsTwoFactor(BOB) }), 'enrolment_refused', 'not_operator');
      assert.equal(entries.length, 0);
      // The badge still answers to the old keys: nothing changed.
      await tapBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, register: reg.register });
      const done = await rekeyBadge(new SimulatedChannel(card), { ...base, proof: cpsTwoFactor(ALICE) });
      assert.deepEqual(entries.map((e) => [e.kind, e.operator, e.subject, e.enrolmentId, e.keyVersion]), [['rekey', ALICE.id, ALICE.id, r.enrolmentId, 2]]);
      assert.equal(done.keyVersion, 2);
      assert.equal(reg.register.find(r.enrolmentId)?.keyVersion, 2);
    } finally {
      reg.dispose();
    }
  });

  it('revocation: the holder or an operator; recorded before the register; a failing audit leaves it valid; twice is harmless', async () => {
    const reg = tempRegister();
    try {
      const card = new DesfireCard({ ev2: true });
      const r = await enrolBlankBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, proof: cpsTwoFactor(ALICE), person: ALICE, pin: Buffer.from('4826'), register: reg.register });
      const entries: { entry: EnrolmentAuditEntry; revoked: boolean }[] = [];
      const audit = { record: async (entry: EnrolmentAuditEntry) => void entries.push({ entry, revoked: reg.register.isRevoked(entry.enrolmentId) }) };
      await refused(revokeBadge({ enrolmentId: r.enrolmentId, proof: cpsTwoFactor(BOB), reason: 'lost', register: reg.register, audit }), 'enrolment_refused', 'not_operator');
      await refused(revokeBadge({ enrolmentId: 'AB'.repeat(16), proof: cpsTwoFactor(ALICE), reason: 'other', register: reg.register, audit }), 'enrolment_refused', 'not_operator');
      await assert.rejects(revokeBadge({ enrolmentId: r.enrolmentId, proof: cpsTwoFactor(ALICE), reason: 'lost', register: reg.register, audit: { record: () => Promise.reject(new Error('audit down')) } }));
      assert.equal(reg.register.isRevoked(r.enrolmentId), false);
      const out = await revokeBadge({ enrolmentId: r.enrolmentId.toLowerCase(), proof: cpsTwoFactor(ALICE), reason: 'lost', register: reg.register, audit });
      assert.deepEqual(out, { enrolmentId: r.enrolmentId, personId: ALICE.id, alreadyRevoked: false });
      assert.deepEqual(entries.map((e) => [e.revoked, e.entry.kind, e.entry.operator, e.entry.subject, e.entry.revocationReason]), [[false, 'revocation', ALICE.id, ALICE.id, 'lost']]);
      await refused(tapBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_revoked');
      assert.equal((await revokeBadge({ enrolmentId: r.enrolmentId, proof: cpsTwoFactor(OPERATOR), operators: [OPERATOR.id], reason: 'stolen', register: reg.register, audit })).alreadyRevoked, true);
      assert.equal(entries.length, 1);
    } finally {
      reg.dispose();
    }
  });
});

describe('agent runtime: audited enrolment, re-key and revocation through the real pcscd', () => {
  let bed: TestBed;
  let kms: Kms;
  let t: TestRuntime;
  const masters = newMasters();
  const newer = newMasters();
  const reg = tempRegister();
  const blank = new DesfireCard({ ev2: true, randomUid: true });
  let enrolmentId = '';

  const audit = () => t.audit();

  before(async () => {
    bed = await openTestBed();
    kms = kmsFor(masters);
    t = await startTestRuntime('audited-enrol', { badge: { keys: kms, register: reg.register, aid: AID, operators: [ALICE.id] } });
    await bed.insert(0, blank);
    await t.runtime.agent.idle();
  });

  after(async () => {
    await t.dispose();
    await kms.close();
    await bed.close();
    reg.dispose();
  });

  it('without a session: enrolment refused (no_session), nothing bound, nothing recorded as enrolled', async () => {
    const pin = Buffer.from('4826');
    await refused(t.runtime.agent.enrolBadge({ reader: bed.readerNames[0], person: BOB, pin }), 'enrolment_refused', 'no_session');
    assert.ok(pin.every((b) => b === 0), 'the badge PIN is wiped even when refused');
    assert.ok(!audit().some((l) => l.event === 'means_enrolled'));
  });

  it('after a CPS + PIN login, the operator enrols a blank badge for Bob: means_enrolled names both, never a key', async () => {
    await cpsLogin(bed, 1, t.runtime);
    // "registering" is said once the badge is written, before the enrolment is on the trail.
    let recordedBeforeRegistering: boolean | undefined;
    const rec = await t.runtime.agent.enrolBadge({
      reader: bed.readerNames[0], person: BOB, pin: Buffer.from('4826'),
      onRegistering: () => (recordedBeforeRegistering = audit().some((l) => l.event === 'means_enrolled')),
    });
    assert.equal(recordedBeforeRegistering, false, 'onRegistering called once, before the audit record');
    enrolmentId = rec.enrolmentId;
    assert.equal(rec.enrolledBy, ALICE.id);
    const line = audit().find((l) => l.event === 'means_enrolled');
    assert.deepEqual(
      [line?.decision, line?.reason, line?.means, line?.person, line?.factors, line?.details?.['enrolmentId'], line?.details?.['subjectPerson'], line?.details?.['badgeUid'], line?.details?.['meansVersion'], line?.details?.['reader']],
      ['allow', 'desfire.enrolled', 'desfire', ALICE.id, ['possession', 'knowledge'], enrolmentId, BOB.id, rec.uid, 1, bed.readerNames[0]],
    );
  });

  it('the operator re-keys it (means_rekeyed, version 2) and revokes it (means_revoked, lost)', async () => {
    const done = await t.runtime.agent.rekeyBadge({ reader: bed.readerNames[0], newKeys: kmsFor(newer), newKeyVersion: 2 });
    assert.equal(done.enrolmentId, enrolmentId);
    const rekeyed = audit().find((l) => l.event === 'means_rekeyed');
    assert.deepEqual([rekeyed?.person, rekeyed?.details?.['subjectPerson'], rekeyed?.details?.['enrolmentId'], rekeyed?.details?.['meansVersion']], [ALICE.id, BOB.id, enrolmentId, 2]);
    const out = await t.runtime.agent.revokeBadge({ enrolmentId, reason: 'lost' });
    assert.equal(out.alreadyRevoked, false);
    assert.equal(reg.register.isRevoked(enrolmentId), true);
    const revoked = audit().find((l) => l.event === 'means_revoked');
    assert.deepEqual([revoked?.person, revoked?.details?.['subjectPerson'], revoked?.details?.['enrolmentId'], revoked?.details?.['revocationReason']], [ALICE.id, BOB.id, enrolmentId, 'lost']);
  });

  it('a locked session cannot enrol; the chain verifies and holds no key or PIN', async () => {
    await t.runtime.engine.lock();
    await refused(t.runtime.agent.revokeBadge({ enrolmentId, reason: 'other' }), 'enrolment_refused', 'no_session');
    const raw = t.auditText().toUpperCase();
    for (const k of [...masters.keys, ...newer.keys]) assert.ok(!raw.includes(k.toString('hex').toUpperCase()), 'no master key in the audit');
    // Hashes, UIDs and ids are long hex runs where four digits can appear by chance: look elsewhere.
    assert.ok(!raw.replace(/[0-9A-F]{14,}/g, '').includes('4826'), 'no badge PIN in the audit');
    assert.equal((await verifyAuditFile(await listAuditFiles(join(t.dir, 'audit')))).ok, true);
  });
});
