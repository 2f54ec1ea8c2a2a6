/**
 * The DESFire client through the real pcscd + vpcd and the real PC/SC addon, against the
 * simulator: EV1 and EV2 authentication with AN10922-diversified keys, a random-UID card, a
 * wrong master key, and a card pulled in the middle of the authentication.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  aidFromHex,
  DesfireError,
  DesfireSession,
  diversifyAes128,
} from '../../../src/main/protocols/desfire/index.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';

const AID = aidFromHex('F51230');
const MASTER = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
const SYSID = Buffer.from('5445535345524131', 'hex');
/** Key 1: an application-wide key used only to read the real UID of random-UID cards. */
const UID_KEY = Buffer.alloc(16, 0x3c);
const IDENTITY = Buffer.from('person=ADELI-0012345;enrolment=7f3a;issued=2026-11-23', 'latin1');

function badge(uid: Buffer, opts: { ev2?: boolean; randomUid?: boolean } = {}): DesfireCard {
  return new DesfireCard({
    uid,
    ...opts,
    applications: [
      {
        aid: AID,
        keys: [{ key: diversifyAes128(MASTER, uid, AID, SYSID), version: 1 }, { key: UID_KEY }],
        files: [{ fileNo: 1, type: 'std', commMode: 'full', access: { read: 0, write: 0, readWrite: 0, change: 0 }, size: 64, data: IDENTITY }],
      },
    ],
  });
}

describe('DESFire through the real pcscd', () => {
  let bed: TestBed;
  let monitor: ReaderMonitor;

  before(async () => {
    bed = await openTestBed();
    monitor = new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } });
    await monitor.start();
    await monitor.settled(3000);
  });

  after(async () => {
    await monitor.stop();
    await bed.close();
  });

  for (const ev2 of [false, true]) {
    it(`${ev2 ? 'EV2' : 'EV1'}: diversified-key authentication, real UID, enciphered identity file`, async () => {
      const uid = Buffer.from(ev2 ? '04A1B2C3D4E5F6' : '04112233445566', 'hex');
      const card = badge(uid, { ev2 });
      await bed.insert(0, card);
      await monitor.waitForCard(bed.readerNames[0], 5000);
      try {
        const result = await monitor.withCard(bed.readerNames[0], async (channel) => {
          assert.equal(channel.atr.toString('hex'), '3b8180018080');
          const s = new DesfireSession(channel);
          const version = await s.getVersion();
          await s.selectApplication(AID);
          const key = diversifyAes128(MASTER, version.uid, AID, SYSID);
          await (ev2 ? s.authenticateEv2First(0, key) : s.authenticateAes(0, key));
          key.fill(0);
          const realUid = await s.getCardUid();
          const identity = await s.readData(1, 0, IDENTITY.length, 'full');
          s.close();
          return { realUid, identity, kind: version.hardware.major };
        });
        assert.deepEqual(result.realUid, uid);
        assert.deepEqual(result.identity, IDENTITY);
        assert.equal(result.kind, ev2 ? 0x12 : 0x01);
        assert.equal(card.stats.authentications, 1);
      } finally {
        await bed.eject(0);
      }
    });
  }

  it('random UID: the reader sees a new UID per power-up; the real one comes from GetCardUID and diversifies key 0', async () => {
    const uid = Buffer.from('04C0FFEE001122', 'hex');
    const card = badge(uid, { ev2: true, randomUid: true });
    await bed.insert(1, card);
    await monitor.waitForCard(bed.readerNames[1], 5000);
    try {
      const seen: string[] = [];
      for (let i = 0; i < 2; i++) {
        const real = await monitor.withCard(bed.readerNames[1], async (channel) => {
          const anti = await channel.transmit(Buffer.from('FFCA000000', 'hex'));
          seen.push(anti.subarray(0, anti.length - 2).toString('hex'));
          const s = new DesfireSession(channel);
          assert.deepEqual((await s.getVersion()).uid, Buffer.alloc(7));
          await s.selectApplication(AID);
          await s.authenticateEv2First(1, UID_KEY);
          const realUid = await s.getCardUid();
          const key = diversifyAes128(MASTER, realUid, AID, SYSID);
          await s.authenticateEv2First(0, key);
          key.fill(0);
          assert.deepEqual(await s.readData(1, 0, IDENTITY.length, 'full'), IDENTITY);
          return realUid;
        });
        assert.deepEqual(real, uid);
        // A new connection power-cycles the card only on the next insertion; force one.
        await bed.eject(1);
        await bed.insert(1, card);
        await monitor.waitForCard(bed.readerNames[1], 5000);
      }
      assert.equal(seen.length, 2);
      for (const s of seen) assert.match(s, /^08[0-9a-f]{6}$/, 'a random ID is 4 bytes starting 08');
      assert.notEqual(seen[0], uid.toString('hex'));
    } finally {
      await bed.eject(1);
    }
  });

  it('a key diversified from the wrong master key fails with authentication_error', async () => {
    const uid = Buffer.from('04998877665544', 'hex');
    await bed.insert(0, badge(uid));
    await monitor.waitForCard(bed.readerNames[0], 5000);
    try {
      const err = await monitor
        .withCard(bed.readerNames[0], async (channel) => {
          const s = new DesfireSession(channel);
          await s.selectApplication(AID);
          await s.authenticateAes(0, diversifyAes128(Buffer.alloc(16, 0xee), uid, AID, SYSID));
        })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DesfireError, String(err));
      assert.equal(err.code, 'authentication_error');
    } finally {
      await bed.eject(0);
    }
  });

  for (const ev2 of [false, true]) {
    it(`${ev2 ? 'EV2' : 'EV1'}: a card pulled in the middle of the authentication is card_removed from the transport`, async () => {
      const uid = Buffer.from('04556677889900', 'hex');
      const card = badge(uid, { ev2 });
      // APDUs: SelectApplication, Authenticate step 1, then the AF step: pull there.
      await bed.slots[0].insert(card, { beforeApdu: (apdu) => (apdu[1] === 0xaf ? 'pull' : undefined) });
      await monitor.waitForCard(bed.readerNames[0], 5000);
      const err = await monitor
        .withCard(bed.readerNames[0], async (channel) => {
          const s = new DesfireSession(channel);
          await s.selectApplication(AID);
          const key = diversifyAes128(MASTER, uid, AID, SYSID);
          await (ev2 ? s.authenticateEv2First(0, key) : s.authenticateAes(0, key));
        })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof PcscError, `expected a PcscError, got ${String(err)}`);
      assert.equal(err.code, 'card_removed');
      assert.equal(card.stats.authentications, 0);
      await monitor.waitForCard(bed.readerNames[0], 10).then(
        () => assert.fail('the pulled card is still reported present'),
        (e: unknown) => assert.equal((e as PcscError).code, 'no_card'),
      );
    });
  }
});
