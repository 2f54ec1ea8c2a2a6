/**
 * DESFire badge means against the simulated card, in process (no pcscd): enrolment of blank
 * EV1/EV2 badges (fixed and random UID), tap, wrong master, bad MAC, revocation, unknown
 * enrolment, badge + PIN with the on-badge counter across "restarts", enrolment refusals,
 * re-keying.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { diversifyAes128 } from '../../../src/main/protocols/desfire/an10922.js';
import {
  badgePinLogin,
  BadgeError,
  enrolBlankBadge,
  FILE,
  KEY,
  rekeyBadge,
  tapBadge,
  UID_DISCOVERY_UID,
} from '../../../src/main/means/desfire/index.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import { SimulatedChannel } from '../cps/simulated-channel.js';
import { AID, ALICE, BOB, blankCard, cpsTwoFactor, enrol, kmsFor, newMasters, OPERATOR, SYSID, tempRegister } from './badge-fixture.js';

const masters = newMasters();
const reg = tempRegister();
after(() => reg.dispose());
const chan = (card: ConstructorParameters<typeof SimulatedChannel>[0], failAt?: { index: number; error: PcscError }) =>
  new SimulatedChannel(card, { readerName: 'Lecteur sans contact 00', ...(failAt ? { failAt } : {}) });

async function expectBadgeError(p: Promise<unknown>, code: string, extra: (e: BadgeError) => void = () => {}): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BadgeError, `expected BadgeError(${code}), got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    extra(e);
    return true;
  });
}

describe('badge enrolment and tap', () => {
  for (const variant of [
    { name: 'EV1, fixed UID', ev2: false, randomUid: false, kind: 'ev1' },
    { name: 'EV2, fixed UID', ev2: true, randomUid: false, kind: 'ev2' },
    { name: 'EV1, random UID', ev2: false, randomUid: true, kind: 'ev1' },
    { name: 'EV2, random UID', ev2: true, randomUid: true, kind: 'ev2' },
  ]) {
    it(`${variant.name}: enrols a blank badge with diversified keys, then a tap yields one possession factor`, async () => {
      const card = blankCard({ ev2: variant.ev2, randomUid: variant.randomUid });
      const kms = kmsFor(masters);
      const record = await enrol(chan(card), kms, reg.register);
      assert.equal(record.uid, card.uid.toString('hex').toUpperCase(), 'the register holds the real UID');
      assert.equal(record.enrolledBy, ALICE.id);
      assert.equal(record.keyVersion, 1);
      for (const n of [0, 1, 2]) {
        const expected = diversifyAes128(masters.keys[n] as Buffer, card.uid, AID, SYSID);
        assert.deepEqual(card.keyOf(AID, n), { key: expected, version: 1 }, `key ${n} is diversified from its master with the real UID`);
      }
      assert.deepEqual(card.keyOf(AID, KEY.uidDiscovery)?.key, diversifyAes128(masters.keys[3] as Buffer, UID_DISCOVERY_UID, AID, SYSID));

      if (variant.randomUid) card.powerOn(); // a new anti-collision UID
      const tap = await tapBadge(chan(card), { keys: kms, aid: AID, register: reg.register });
      assert.equal(tap.kind, variant.kind);
      assert.deepEqual(tap.event.factors, ['possession']);
      assert.equal(tap.event.means, 'desfire');
      assert.deepEqual(tap.event.subject, { id: ALICE.id, name: ALICE.name });
      assert.deepEqual(tap.event.proof, {
        kind: 'desfire-mutual-auth',
        uid: card.uid.toString('hex').toUpperCase(),
        aid: 'F51230',
        keyNo: 1,
        keyVersion: 1,
        enrolmentId: record.enrolmentId,
      });
      assert.equal(tap.event.reader, 'Lecteur sans contact 00');
      await kms.close();
    });
  }

  it('the tap is 7 APDUs on an EV2 badge', async () => {
    const card = blankCard({ ev2: true, randomUid: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    const ch = chan(card);
    await tapBadge(ch, { keys: kmsFor(masters), aid: AID, register: reg.register });
    assert.deepEqual(ch.instructions, ['5A', '71', 'AF', '51', '71', 'AF', 'BD']);
  });

  it('a badge keyed from another master fails with auth_failed', async () => {
    const card = blankCard({ ev2: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    const other = newMasters();
    await expectBadgeError(tapBadge(chan(card), { keys: kmsFor(other), aid: AID, register: reg.register }), 'auth_failed');
    // Same UID-discovery master but another identity master: the second authentication fails.
    const mixed = { keys: [masters.keys[0], other.keys[1], masters.keys[2], masters.keys[3]] as Buffer[] };
    await expectBadgeError(tapBadge(chan(card), { keys: kmsFor(mixed), aid: AID, register: reg.register }), 'auth_failed');
  });

  it('a card answering with bad MACs fails with integrity', async () => {
    for (const ev2 of [false, true]) {
      const card = blankCard({ ev2 });
      await enrol(chan(card), kmsFor(masters), reg.register);
      card.corruptMac = true;
      await expectBadgeError(tapBadge(chan(card), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'integrity');
    }
  });

  it('a revoked enrolment is refused although its keys authenticate', async () => {
    const card = blankCard({ ev2: true });
    const record = await enrol(chan(card), kmsFor(masters), reg.register);
    reg.register.revoke({ enrolmentId: record.enrolmentId, revokedAt: new Date().toISOString(), revokedBy: OPERATOR.id, reason: 'lost' });
    await expectBadgeError(tapBadge(chan(card), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_revoked');
    await expectBadgeError(badgePinLogin(chan(card), Buffer.from('4826'), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_revoked');
  });

  it('an enrolment unknown to the register, or a blank DESFire card, is badge_not_enrolled', async () => {
    const card = blankCard();
    const elsewhere = tempRegister();
    try {
      await enrol(chan(card), kmsFor(masters), elsewhere.register);
    } finally {
      elsewhere.dispose();
    }
    await expectBadgeError(tapBadge(chan(card), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_not_enrolled');
    await expectBadgeError(tapBadge(chan(blankCard()), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_not_enrolled');
  });

  it('a card pulled in the middle of the authentication is card_removed', async () => {
    const card = blankCard({ ev2: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    const pulled = chan(card, { index: 5, error: new PcscError('card_removed', 'card pulled') });
    await expectBadgeError(tapBadge(pulled, { keys: kmsFor(masters), aid: AID, register: reg.register }), 'card_removed');
  });
});

describe('badge + PIN', () => {
  it('the right PIN gives two factors and leaves the counter full; the PIN buffer is wiped', async () => {
    const card = blankCard({ ev2: true, randomUid: true });
    const record = await enrol(chan(card), kmsFor(masters), reg.register, BOB, '90210');
    const pin = Buffer.from('90210');
    const event = await badgePinLogin(chan(card), pin, { keys: kmsFor(masters), aid: AID, register: reg.register });
    assert.deepEqual(event.factors, ['possession', 'knowledge']);
    assert.equal(event.subject.id, BOB.id);
    assert.equal(event.proof.kind === 'desfire-mutual-auth' && event.proof.enrolmentId, record.enrolmentId);
    assert.ok(pin.every((b) => b === 0));
    assert.ok(!card.fileData(AID, FILE.pinVerifier)?.includes(Buffer.from('90210')), 'the PIN is not stored in clear');
  });

  it('the try limit survives restarts and workstations: 5 wrong PINs on fresh agents block the badge', async () => {
    const card = blankCard({ ev2: false });
    await enrol(chan(card), kmsFor(masters), reg.register, ALICE, '4826');
    // Each attempt: a new KMS object, a new register object on the same file, a new channel
    // (power cycle) — nothing survives in the agent between attempts.
    const attempt = (pin: string) => badgePinLogin(chan(card), Buffer.from(pin), { keys: kmsFor(masters), aid: AID, register: tempRegisterView(reg.path) });
    await expectBadgeError(attempt('1111'), 'wrong_pin', (e) => assert.equal(e.retriesLeft, 4));
    await expectBadgeError(attempt('2222'), 'wrong_pin', (e) => assert.equal(e.retriesLeft, 3));
    await attempt('4826'); // a correct PIN resets the counter
    for (const left of [4, 3, 2, 1]) await expectBadgeError(attempt('0000'), 'wrong_pin', (e) => assert.equal(e.retriesLeft, left));
    await expectBadgeError(attempt('0000'), 'pin_blocked');
    await expectBadgeError(attempt('4826'), 'pin_blocked', (e) => assert.equal(e.retriesLeft, 0));
  });

  it('pulling the badge after the debit does not give a free try', async () => {
    const card = blankCard({ ev2: true });
    await enrol(chan(card), kmsFor(masters), reg.register, ALICE, '4826');
    // APDUs: 5A 71 AF 51 71 AF BD(identity) 71 AF 6C(GetValue) DC(Debit) C7(Commit) BD(verifier) ...
    const pulled = chan(card, { index: 12, error: new PcscError('card_removed', 'card pulled') });
    await expectBadgeError(badgePinLogin(pulled, Buffer.from('0000'), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'card_removed');
    await expectBadgeError(badgePinLogin(chan(card), Buffer.from('0000'), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'wrong_pin', (e) =>
      assert.equal(e.retriesLeft, 3),
    );
  });

  it('rejects a malformed PIN before touching the badge', async () => {
    const card = blankCard();
    const ch = chan(card);
    for (const pin of ['123', '123456789', '12a4', '']) {
      await expectBadgeError(badgePinLogin(ch, Buffer.from(pin), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'badge_pin_format');
    }
    assert.equal(ch.sent.length, 0);
  });
});

describe('enrolment rules and re-keying', () => {
  const opts = (proof = cpsTwoFactor(ALICE), operators: string[] = []) => ({
    keys: kmsFor(masters),
    aid: AID,
    proof,
    operators,
    person: ALICE,
    pin: Buffer.from('4826'),
    register: reg.register,
  });

  it('refuses a one-factor proof, a stale proof and a proof of someone who is not an operator', async () => {
    const oneFactor = { ...cpsTwoFactor(ALICE), factors: ['possession'] as const };
    await expectBadgeError(enrolBlankBadge(chan(blankCard()), opts(oneFactor)), 'enrolment_refused', (e) => assert.equal(e.reason, 'not_two_factor'));
    const stale = cpsTwoFactor(ALICE, new Date(Date.now() - 6 * 60_000));
    await expectBadgeError(enrolBlankBadge(chan(blankCard()), opts(stale)), 'enrolment_refused', (e) => assert.equal(e.reason, 'proof_expired'));
    await expectBadgeError(enrolBlankBadge(chan(blankCard()), opts(cpsTwoFactor(BOB))), 'enrolment_refused', (e) => assert.equal(e.reason, 'not_operator'));
  });

  it('an operator enrols someone else; the record names the operator', async () => {
    const record = await enrolBlankBadge(chan(blankCard({ ev2: true })), opts(cpsTwoFactor(OPERATOR), [OPERATOR.id]));
    assert.equal(record.personId, ALICE.id);
    assert.equal(record.enrolledBy, OPERATOR.id);
    assert.equal(record.proofMeans, 'cps');
  });

  it('refuses a badge that already holds the application (not blank)', async () => {
    const card = blankCard();
    await enrol(chan(card), kmsFor(masters), reg.register);
    await expectBadgeError(enrolBlankBadge(chan(card), opts()), 'badge_not_blank', (e) => assert.equal(e.reason, 'not_blank'));
  });

  it('re-keying moves every key to the new masters with a new version; the old masters stop working', async () => {
    const card = blankCard({ ev2: true, randomUid: true });
    const record = await enrol(chan(card), kmsFor(masters), reg.register, ALICE, '4826');
    const next = newMasters();
    const done = await rekeyBadge(chan(card), { currentKeys: kmsFor(masters), newKeys: kmsFor(next), newKeyVersion: 2, aid: AID, register: reg.register });
    assert.deepEqual(done, { uid: record.uid, enrolmentId: record.enrolmentId, keyVersion: 2 });
    assert.equal(card.keyOf(AID, 1)?.version, 2);
    assert.deepEqual(card.keyOf(AID, 1)?.key, diversifyAes128(next.keys[1] as Buffer, card.uid, AID, SYSID));
    assert.equal(reg.register.find(record.enrolmentId)?.keyVersion, 2);
    await expectBadgeError(tapBadge(chan(card), { keys: kmsFor(masters), aid: AID, register: reg.register }), 'auth_failed');
    const tap = await tapBadge(chan(card), { keys: kmsFor(next), aid: AID, register: reg.register });
    assert.equal(tap.event.proof.kind === 'desfire-mutual-auth' && tap.event.proof.keyVersion, 2);
    const event = await badgePinLogin(chan(card), Buffer.from('4826'), { keys: kmsFor(next), aid: AID, register: reg.register });
    assert.deepEqual(event.factors, ['possession', 'knowledge'], 'the PIN verifier survives re-keying');
  });
});

import { JsonEnrolmentRegister } from '../../../src/main/means/desfire/index.js';
function tempRegisterView(path: string): JsonEnrolmentRegister {
  return new JsonEnrolmentRegister(path);
}

describe('key fetches overlap the card', () => {
  /** A KMS that logs each fetch into `log` and keeps what it handed out. */
  const loggingKms = (log: string[], inner = kmsFor(masters), failKeyNo?: number) => {
    const handed: Buffer[] = [];
    return {
      handed,
      keys: {
        diversifiedKey(uid: Buffer, aid: Buffer, keyNo: number): Promise<Buffer> {
          log.push(`kms ${keyNo}`);
          if (keyNo === failKeyNo) return Promise.reject(new Error(`no master for key ${keyNo}`));
          return inner.diversifiedKey(uid, aid, keyNo).then((k) => {
            handed.push(k);
            return k;
          });
        },
      },
    };
  };
  /** A channel that logs the instruction of each command when it is handed over (`tx`) and answered (`rx`). */
  const loggingChannel = (card: ConstructorParameters<typeof SimulatedChannel>[0], log: string[], answers = false) => {
    const ch = chan(card);
    const transmit = ch.transmit.bind(ch);
    ch.transmit = (apdu: Buffer) => {
      const ins = (apdu[1] ?? 0).toString(16).toUpperCase();
      log.push(`tx ${ins}`);
      return transmit(apdu).then((r) => {
        if (answers) log.push(`rx ${ins}`);
        return r;
      });
    };
    return ch;
  };

  it('each key is asked once the command before it is on its way, and every key handed out is wiped', async () => {
    const card = blankCard({ ev2: true, randomUid: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    const log: string[] = [];
    const kms = loggingKms(log);
    const register = Object.assign(Object.create(reg.register) as typeof reg.register, {
      snapshot: () => {
        log.push('register');
        return reg.register.snapshot();
      },
    });
    await tapBadge(loggingChannel(card, log, true), { keys: kms.keys, aid: AID, register });
    assert.deepEqual(log, [
      'tx 5A', `kms ${KEY.uidDiscovery}`, 'rx 5A',
      'tx 71', 'rx 71', 'tx AF', 'rx AF', 'tx 51', 'rx 51',
      'tx 71', `kms ${KEY.identity}`, 'rx 71', 'tx AF', 'rx AF', 'tx BD', 'register', 'rx BD',
    ]);
    assert.equal(kms.handed.length, 2);
    for (const k of kms.handed) assert.ok(k.every((b) => b === 0), 'a diversified key was left in memory');
  });

  it('an EV1 badge in auto mode: one fetch per key although EV2 was tried first', async () => {
    const card = blankCard({ ev2: false, randomUid: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    const log: string[] = [];
    const kms = loggingKms(log);
    const tap = await tapBadge(loggingChannel(card, log), { keys: kms.keys, aid: AID, register: reg.register });
    assert.equal(tap.kind, 'ev1');
    assert.deepEqual(log.filter((l) => l.startsWith('kms')), [`kms ${KEY.uidDiscovery}`, `kms ${KEY.identity}`]);
    for (const k of kms.handed) assert.ok(k.every((b) => b === 0));
  });

  it('a KMS failure surfaces as itself, after the card answered, and leaves no key behind', async () => {
    const card = blankCard({ ev2: true, randomUid: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    for (const failKeyNo of [KEY.uidDiscovery, KEY.identity]) {
      const log: string[] = [];
      const kms = loggingKms(log, kmsFor(masters), failKeyNo);
      await assert.rejects(tapBadge(loggingChannel(card, log), { keys: kms.keys, aid: AID, register: reg.register }), new RegExp(`no master for key ${failKeyNo}`));
      for (const k of kms.handed) assert.ok(k.every((b) => b === 0));
    }
    // The badge is still fine for the next tap.
    await tapBadge(chan(card), { keys: kmsFor(masters), aid: AID, register: reg.register });
  });

  it('a register that cannot be read fails the tap with register_invalid once the card answered', async () => {
    const card = blankCard({ ev2: true, randomUid: true });
    await enrol(chan(card), kmsFor(masters), reg.register);
    const broken = tempRegister();
    try {
      writeFileSync(broken.path, '{ not json', { mode: 0o600 });
      const ch = chan(card);
      await expectBadgeError(tapBadge(ch, { keys: kmsFor(masters), aid: AID, register: broken.register }), 'register_invalid');
      assert.deepEqual(ch.instructions, ['5A', '71', 'AF', '51', '71', 'AF', 'BD']);
    } finally {
      broken.dispose();
    }
  });

  it('a select that fails (blank card) wipes the discovery key that was fetched meanwhile', async () => {
    const log: string[] = [];
    const kms = loggingKms(log);
    await expectBadgeError(tapBadge(loggingChannel(blankCard(), log), { keys: kms.keys, aid: AID, register: reg.register }), 'badge_not_enrolled');
    await new Promise((r) => setImmediate(r));
    assert.equal(kms.handed.length, 1);
    assert.ok(kms.handed[0]?.every((b) => b === 0));
  });
});
