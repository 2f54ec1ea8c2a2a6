/**
 * DesfireSession against the DESFire simulator in-process (no pcscd): EV1 and EV2
 * authentication and secure messaging round trips, chaining, value files, key changes,
 * and the failures (wrong key, bad MAC, card errors) as typed errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ACCESS_FREE,
  ACCESS_NEVER,
  aidFromHex,
  DesfireError,
  DesfireSession,
  diversifyAes128,
  PICC_AID,
  type CommMode,
} from '../../../src/main/protocols/desfire/index.js';
import { DesfireCard, type DesfireCardOptions } from '../../testbed/cards/desfire-card.js';
import { SimChannel } from './sim-channel.js';

const AID = aidFromHex('F51230');
const MASTER = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
const SYSID = Buffer.from('5445535345524131', 'hex');
const UID = Buffer.from('04782E21801D80', 'hex');
const KEY0 = diversifyAes128(MASTER, UID, AID, SYSID);
const KEY1 = Buffer.alloc(16, 0x11);
const KEY2 = Buffer.alloc(16, 0x22);
const access = (read: number, write: number, readWrite: number, change: number) => ({ read, write, readWrite, change });

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function newCard(extra: Partial<DesfireCardOptions> = {}): DesfireCard {
  return new DesfireCard({
    uid: UID,
    applications: [
      {
        aid: AID,
        keys: [{ key: KEY0, version: 3 }, { key: KEY1, version: 1 }, { key: KEY2 }],
        files: [
          { fileNo: 1, type: 'std', commMode: 'plain', access: access(1, 1, 0, 0), size: 300, data: pattern(300, 1) },
          { fileNo: 2, type: 'std', commMode: 'mac', access: access(1, 1, 0, 0), size: 300, data: pattern(300, 2) },
          { fileNo: 3, type: 'std', commMode: 'full', access: access(1, 1, 0, 0), size: 300, data: pattern(300, 3) },
          { fileNo: 4, type: 'std', commMode: 'full', access: access(ACCESS_FREE, ACCESS_NEVER, ACCESS_NEVER, 0), size: 16, data: pattern(16, 4) },
          { fileNo: 5, type: 'value', commMode: 'full', access: access(1, 1, 1, 0), lowerLimit: 0, upperLimit: 1000, value: 100 },
          { fileNo: 6, type: 'value', commMode: 'mac', access: access(1, 1, 1, 0), lowerLimit: -50, upperLimit: 50, value: 0 },
        ],
      },
      { aid: aidFromHex('010203'), keys: [{ key: Buffer.alloc(16) }] },
    ],
    ...extra,
  });
}

function open(extra: Partial<DesfireCardOptions> = {}): { card: DesfireCard; session: DesfireSession; channel: SimChannel } {
  const card = newCard(extra);
  const channel = new SimChannel(card);
  return { card, channel, session: new DesfireSession(channel) };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<DesfireError> {
  let caught: unknown;
  await p.then(
    () => assert.fail(`expected ${code}, got success`),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof DesfireError, `expected DesfireError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

const generations: Array<{ name: string; ev2: boolean; auth: (s: DesfireSession, keyNo: number, key: Buffer) => Promise<unknown> }> = [
  { name: 'EV1 AuthenticateAES', ev2: false, auth: (s, n, k) => s.authenticateAes(n, k) },
  { name: 'EV2 AuthenticateEV2First', ev2: true, auth: (s, n, k) => s.authenticateEv2First(n, k) },
];

describe('DesfireSession against the simulator', () => {
  it('GetVersion and GetApplicationIDs work unauthenticated; GetVersion says NXP DESFire', async () => {
    const { session, channel } = open();
    const v = await session.getVersion();
    assert.equal(v.hardware.vendor, 0x04);
    assert.equal(v.hardware.type, 0x01);
    assert.deepEqual(v.uid, UID);
    // 90 60 00 00 00, then two AF frames.
    assert.equal(channel.log[0]?.command.toString('hex'), '9060000000');
    assert.equal(channel.log[0]?.response.subarray(-2).toString('hex'), '91af');
    assert.equal(channel.log[0]?.response.length, 9);
    const aids = await session.getApplicationIds();
    assert.deepEqual(aids.map((a) => a.toString('hex')), ['f51230', '010203']);
  });

  for (const g of generations) {
    describe(g.name, () => {
      it('authenticates with the diversified key and reads the real UID (GetCardUID, enciphered)', async () => {
        const { session } = open({ ev2: g.ev2, randomUid: true });
        await session.selectApplication(AID);
        await g.auth(session, 0, KEY0);
        assert.equal(session.authentication?.kind, g.ev2 ? 'ev2' : 'ev1');
        assert.deepEqual(await session.getCardUid(), UID);
        assert.equal(await session.getKeyVersion(0), 3);
        assert.equal(await session.getKeyVersion(1), 1);
        // The session continues after several secured commands (IV / counter stay in step).
        assert.deepEqual(await session.getCardUid(), UID);
        const v = await session.getVersion();
        assert.deepEqual(v.uid, Buffer.alloc(7), 'a random-UID card hides its UID in GetVersion');
      });

      it('refuses a wrong key with authentication_error and keeps no session', async () => {
        const { session } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await rejectsWith(g.auth(session, 0, Buffer.alloc(16, 0x42)), 'authentication_error');
        assert.equal(session.authentication, undefined);
        await rejectsWith(session.getCardUid(), 'not_authenticated');
      });

      it('refuses an unknown key number with no_such_key', async () => {
        const { session } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await rejectsWith(g.auth(session, 9, KEY0), 'no_such_key');
      });

      for (const [mode, fileNo] of [['plain', 1], ['mac', 2], ['full', 3]] as Array<[CommMode, number]>) {
        it(`reads and writes a ${mode} file, with chaining beyond 59 and 255 bytes`, async () => {
          const { session, card } = open({ ev2: g.ev2 });
          await session.selectApplication(AID);
          await g.auth(session, 1, KEY1);
          assert.deepEqual(await session.readData(fileNo, 0, 10, mode), pattern(300, fileNo).subarray(0, 10));
          assert.deepEqual(await session.readData(fileNo, 5, 60, mode), pattern(300, fileNo).subarray(5, 65));
          assert.deepEqual(await session.readData(fileNo, 0, 300, mode), pattern(300, fileNo));
          const fresh = pattern(270, 99);
          await session.writeData(fileNo, 20, fresh, mode);
          assert.deepEqual(card.fileData(AID, fileNo)?.subarray(20, 290), fresh);
          await session.writeData(fileNo, 0, Buffer.from('short'), mode);
          assert.deepEqual(await session.readData(fileNo, 0, 290, mode), Buffer.concat([Buffer.from('short'), pattern(300, fileNo).subarray(5, 20), fresh]));
        });
      }

      it('value files: credit, debit, commit, limits', async () => {
        const { session } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await g.auth(session, 1, KEY1);
        assert.equal(await session.getValue(5, 'full'), 100);
        await session.credit(5, 50, 'full');
        await session.debit(5, 30, 'full');
        assert.equal(await session.getValue(5, 'full'), 100, 'not committed yet');
        await session.commitTransaction();
        assert.equal(await session.getValue(5, 'full'), 120);
        await session.debit(6, 50, 'mac');
        await session.commitTransaction();
        assert.equal(await session.getValue(6, 'mac'), -50);
        await rejectsWith(session.debit(6, 1, 'mac'), 'boundary_error');
        assert.equal(session.authentication, undefined, 'a card error ends the authentication');
      });

      it('changes another key and then the authenticated key, with key versions', async () => {
        const { session, card } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await g.auth(session, 0, KEY0);
        const newKey2 = Buffer.alloc(16, 0x5c);
        await session.changeKey(2, newKey2, 7, KEY2);
        assert.deepEqual(card.keyOf(AID, 2), { key: newKey2, version: 7 });
        assert.equal(await session.getKeyVersion(2), 7, 'session still valid after changing another key');
        const newKey0 = Buffer.alloc(16, 0xa0);
        await session.changeKey(0, newKey0, 4);
        assert.equal(session.authentication, undefined, 'changing the session key ends the session');
        assert.deepEqual(card.keyOf(AID, 2), { key: newKey2, version: 7 });
        assert.deepEqual(card.keyOf(AID, 0), { key: newKey0, version: 4 });
        await g.auth(session, 0, newKey0);
        await g.auth(session, 2, newKey2);
        await rejectsWith(g.auth(session, 0, KEY0), 'authentication_error');
      });

      it('enrols a blank application end to end at the PICC level', async () => {
        const { session, card } = open({ ev2: g.ev2, applications: [] });
        await session.selectApplication(PICC_AID);
        await g.auth(session, 0, Buffer.alloc(16));
        const aid = aidFromHex('A1B2C3');
        await session.createApplication(aid, { numberOfKeys: 3 });
        assert.deepEqual((await session.getApplicationIds()).map((a) => a.toString('hex')), ['a1b2c3']);
        await session.selectApplication(aid);
        await g.auth(session, 0, Buffer.alloc(16));
        await session.changeKey(1, KEY1, 1, Buffer.alloc(16));
        await session.createStdDataFile(1, { commMode: 'full', access: access(1, 0, 0, 0), size: 64 });
        await session.createValueFile(2, { commMode: 'mac', access: access(1, 1, 1, 0), lowerLimit: 0, upperLimit: 10, value: 3 });
        await rejectsWith(session.createStdDataFile(1, { commMode: 'plain', access: access(1, 1, 1, 1), size: 8 }), 'duplicate_error');
        await g.auth(session, 0, Buffer.alloc(16));
        await session.changeKey(0, KEY0, 1);
        await g.auth(session, 1, KEY1);
        await rejectsWith(session.writeData(1, 0, Buffer.from('x'), 'full'), 'permission_denied');
        await g.auth(session, 0, KEY0);
        await session.writeData(1, 0, Buffer.from('identity'), 'full');
        await g.auth(session, 1, KEY1);
        assert.deepEqual(await session.readData(1, 0, 8, 'full'), Buffer.from('identity'));
        assert.equal(await session.getValue(2, 'mac'), 3);
        assert.deepEqual(card.keyOf(aid, 0)?.key, KEY0);
        await session.selectApplication(PICC_AID);
        await g.auth(session, 0, Buffer.alloc(16));
        await session.deleteApplication(aid);
        await rejectsWith(session.selectApplication(aid), 'application_not_found');
        await session.selectApplication(PICC_AID);
        await g.auth(session, 0, Buffer.alloc(16));
        await session.createApplication(aid, { numberOfKeys: 1 });
        await session.formatPicc();
        assert.deepEqual(await session.getApplicationIds(), []);
      });

      it('a response whose MAC does not verify is integrity, and the session is dropped', async () => {
        const { session, card } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await g.auth(session, 1, KEY1);
        card.corruptMac = true;
        await rejectsWith(session.readData(2, 0, 16, 'mac'), 'integrity');
        assert.equal(session.authentication, undefined);
        card.corruptMac = false;
        await g.auth(session, 1, KEY1);
        card.corruptMac = true;
        await rejectsWith(session.getCardUid(), 'integrity');
        card.corruptMac = false;
        await g.auth(session, 1, KEY1);
        card.corruptMac = true;
        await rejectsWith(session.readData(3, 0, 100, 'full'), 'integrity');
      });

      it('a response bit flipped on the way is integrity (MAC and full modes)', async () => {
        const { session, channel } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await g.auth(session, 1, KEY1);
        channel.tamper = (_c, r) => {
          const t = Buffer.from(r);
          if (t.length > 2) t[0] = (t[0] ?? 0) ^ 0x80;
          return t;
        };
        await rejectsWith(session.readData(2, 0, 4, 'mac'), 'integrity');
        channel.tamper = undefined;
        await g.auth(session, 1, KEY1);
        channel.tamper = (_c, r) => {
          const t = Buffer.from(r);
          if (t.length > 2) t[0] = (t[0] ?? 0) ^ 0x01;
          return t;
        };
        await rejectsWith(session.readData(3, 0, 4, 'full'), 'integrity');
      });

      it('the card refuses a command whose MAC we did not compute (integrity_error from the card)', async () => {
        const { session, channel, card } = open({ ev2: g.ev2 });
        await session.selectApplication(AID);
        await g.auth(session, 1, KEY1);
        // Corrupt the command on its way to the card: the card answers 911E.
        const original = channel.transmit.bind(channel);
        channel.transmit = async (apdu: Buffer) => {
          const t = Buffer.from(apdu);
          if (t[1] === 0x3d) t[t.length - 2] = (t[t.length - 2] ?? 0) ^ 0x01;
          return original(t);
        };
        await rejectsWith(session.writeData(2, 0, Buffer.from('abc'), 'mac'), 'integrity_error');
        assert.equal(card.stats.integrityFailures, 1);
      });
    });
  }

  it('free read access answers in plain without authentication; secured modes need one', async () => {
    const { session } = open();
    await session.selectApplication(AID);
    assert.deepEqual(await session.readData(4, 0, 16, 'plain'), pattern(16, 4));
    await rejectsWith(session.readData(3, 0, 16, 'full'), 'not_authenticated');
    await rejectsWith(session.readData(1, 0, 16, 'plain'), 'authentication_error');
  });

  it('maps card statuses: file_not_found, boundary_error, application_not_found, illegal_command', async () => {
    const { session } = open();
    await rejectsWith(session.selectApplication(aidFromHex('DEAD00')), 'application_not_found');
    await session.selectApplication(AID);
    await session.authenticateAes(1, KEY1);
    await rejectsWith(session.readData(9, 0, 1, 'plain'), 'file_not_found');
    await session.authenticateAes(1, KEY1);
    await rejectsWith(session.readData(1, 290, 20, 'plain'), 'boundary_error');
    await rejectsWith(session.authenticateEv2First(0, KEY0), 'illegal_command');
  });

  it('a transport failure during a secured command ends the session (its IV/counter state is unknown)', async () => {
    const { session, channel } = open({ ev2: true });
    await session.selectApplication(AID);
    await session.authenticateEv2First(1, KEY1);
    const original = channel.transmit.bind(channel);
    channel.transmit = async () => {
      throw new Error('link lost');
    };
    await assert.rejects(session.readData(2, 0, 4, 'mac'), /link lost/);
    assert.equal(session.authentication, undefined);
    channel.transmit = original;
    await rejectsWith(session.readData(2, 0, 4, 'mac'), 'not_authenticated');
  });

  it('works with a slow card (asynchronous answers)', async () => {
    const { session } = open({ slow: 2 });
    await session.selectApplication(AID);
    await session.authenticateAes(1, KEY1);
    assert.deepEqual(await session.readData(3, 0, 70, 'full'), pattern(300, 3).subarray(0, 70));
  });

  it('validates caller arguments before talking to the card', async () => {
    const { session, channel } = open();
    await rejectsWith(session.selectApplication(Buffer.alloc(2)), 'invalid_argument');
    await rejectsWith(session.authenticateAes(0, Buffer.alloc(8)), 'invalid_argument');
    await rejectsWith(session.readData(40, 0, 1, 'plain'), 'invalid_argument');
    await rejectsWith(session.readData(1, 0, 0, 'plain'), 'invalid_argument');
    await rejectsWith(session.createApplication(AID, { numberOfKeys: 15 }), 'invalid_argument');
    await rejectsWith(session.changeKey(1, KEY1, 0), 'not_authenticated');
    assert.equal(channel.log.length, 0);
    assert.throws(() => aidFromHex('F512'), DesfireError);
  });
});
