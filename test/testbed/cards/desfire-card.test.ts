/**
 * The DESFire simulator driven with hand-written APDUs and Node's own AES (not the client in
 * src/main/protocols/desfire/), plus the agent's card recognition on it.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { recognizeCard } from '../../../src/main/means/card-recognition.js';
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import { DesfireCard } from './desfire-card.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function tx(card: DesfireCard, apdu: string | Buffer): { data: Buffer; sw: string } {
  const out = card.processApdu(typeof apdu === 'string' ? h(apdu) : apdu);
  assert.ok(Buffer.isBuffer(out));
  return { data: out.subarray(0, out.length - 2), sw: out.subarray(out.length - 2).toString('hex').toUpperCase() };
}

function cbc(decipher: boolean, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = decipher ? createDecipheriv('aes-128-cbc', key, iv) : createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

const rotl = (b: Buffer): Buffer => Buffer.concat([b.subarray(1), b.subarray(0, 1)]);

describe('DesfireCard simulator', () => {
  it('has the PC/SC part 3 DESFire ATR and answers GetVersion in three frames (04 01 ..)', () => {
    const card = new DesfireCard({ uid: h('04010203040506') });
    card.powerOn();
    assert.equal(card.atr.toString('hex'), '3b8180018080');
    const f1 = tx(card, '9060000000');
    assert.equal(f1.sw, '91AF');
    assert.equal(f1.data.length, 7);
    assert.equal(f1.data[0], 0x04);
    assert.equal(f1.data[1], 0x01);
    const f2 = tx(card, '90AF000000');
    assert.equal(f2.sw, '91AF');
    assert.equal(f2.data.length, 7);
    const f3 = tx(card, '90AF000000');
    assert.equal(f3.sw, '9100');
    assert.equal(f3.data.length, 14);
    assert.equal(f3.data.subarray(0, 7).toString('hex'), '04010203040506');
    assert.equal(tx(card, '90AF000000').sw, '911C', 'nothing left to continue');
  });

  it('is recognised as DESFire by the agent\'s card recognition', async () => {
    const card = new DesfireCard();
    card.powerOn();
    const channel: CardChannel = { readerName: 'sim', atr: card.atr, connected: true, transmit: async (a) => Buffer.from(await card.processApdu(a)) };
    const r = await recognizeCard(channel);
    assert.equal(r.type, 'desfire');
    assert.equal(r.usable, true);
  });

  it('a new command aborts a pending chain; ISO and malformed APDUs get ISO status words', () => {
    const card = new DesfireCard();
    card.powerOn();
    assert.equal(tx(card, '9060000000').sw, '91AF');
    assert.equal(tx(card, '906A000000').sw, '9100');
    assert.equal(tx(card, '00A4040008A0000006472F000100').sw, '6A82');
    assert.equal(tx(card, '0084000008').sw, '6D00');
    assert.equal(tx(card, '80CA000000').sw, '6E00');
    assert.equal(tx(card, '905A000005F512').sw, '6700');
    assert.equal(tx(card, '90').sw.length, 4);
    assert.equal(tx(card, '90EE000000').sw, '911C');
    assert.equal(tx(card, '905A000003F5123000').sw, '91A0');
  });

  it('EV1 AuthenticateAES written by hand from the datasheet: CBC IV chained through the exchange', () => {
    const key = randomBytes(16);
    const card = new DesfireCard({ piccMasterKey: key });
    card.powerOn();
    const r1 = tx(card, '90AA0000010000');
    assert.equal(r1.sw, '91AF');
    const rndB = cbc(true, key, Buffer.alloc(16), r1.data);
    const rndA = randomBytes(16);
    const token = cbc(false, key, r1.data, Buffer.concat([rndA, rotl(rndB)]));
    const r2 = tx(card, Buffer.concat([h('90AF000020'), token, h('00')]));
    assert.equal(r2.sw, '9100');
    assert.deepEqual(cbc(true, key, token.subarray(16), r2.data), rotl(rndA));
    // A wrong RndB' is refused with 91AE.
    tx(card, '90AA0000010000');
    assert.equal(tx(card, Buffer.concat([h('90AF000020'), randomBytes(32), h('00')])).sw, '91AE');
  });

  it('EV2 AuthenticateEV2First by hand: zero IVs, TI ‖ RndA\' ‖ PDcap2 ‖ PCDcap2; EV1 cards refuse 0x71', () => {
    const key = randomBytes(16);
    const card = new DesfireCard({ piccMasterKey: key, ev2: true });
    card.powerOn();
    const r1 = tx(card, '9071000002000000');
    assert.equal(r1.sw, '91AF');
    const zero = Buffer.alloc(16);
    const rndB = cbc(true, key, zero, r1.data);
    const rndA = randomBytes(16);
    const r2 = tx(card, Buffer.concat([h('90AF000020'), cbc(false, key, zero, Buffer.concat([rndA, rotl(rndB)])), h('00')]));
    assert.equal(r2.sw, '9100');
    const plain = cbc(true, key, zero, r2.data);
    assert.deepEqual(plain.subarray(4, 20), rotl(rndA));
    const ev1 = new DesfireCard();
    ev1.powerOn();
    assert.equal(tx(ev1, '9071000002000000').sw, '911C');
  });

  it('GetCardUID needs an authentication; the anti-collision UID of a random-UID card changes per power-up', () => {
    const card = new DesfireCard({ uid: h('04AABBCCDDEEFF'), randomUid: true });
    card.powerOn();
    assert.equal(tx(card, '9051000000').sw, '91AE');
    const a = tx(card, 'FFCA000000').data.toString('hex');
    card.powerOff();
    card.powerOn();
    const b = tx(card, 'FFCA000000').data.toString('hex');
    assert.match(a, /^08/);
    assert.match(b, /^08/);
    assert.notEqual(a, '04aabbccddeeff');
    // Two random 3-byte tails colliding is a 1-in-16M event.
    assert.notEqual(a, b);
  });

  it('never throws and always answers a status word, whatever the APDU (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 6 }), fc.boolean(), (apdus, ev2) => {
        const card = new DesfireCard({ ev2, applications: [{ aid: h('F51230'), keys: [{ key: Buffer.alloc(16) }] }] });
        card.powerOn();
        for (const a of apdus) {
          const apdu = Buffer.from(a);
          if (apdu.length > 0 && (apdu[0] ?? 0) < 0x80) apdu[0] = 0x90; // mostly native commands
          const out = card.processApdu(apdu);
          assert.ok(Buffer.isBuffer(out) && out.length >= 2);
        }
      }),
      { numRuns: 500 },
    );
  });
});
