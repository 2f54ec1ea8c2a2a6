/**
 * Drives the CPS simulator with APDU bytes written by hand from docs/cps-profile.md (not from the
 * simulator's own constants), so these tests check the simulator against the document.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { getSharedTestPki, type CardCertificate } from '../pki/test-pki.js';
import { CpsCard, type CpsCardOptions } from './cps-card.js';

const SELECT_CPX_IAS = '00A404040DE828BD080F8025000001FF001000';
const SELECT_CERT_EF = '00A4020402C00000';
const VERIFY_STATUS = '00200001';
const MSE_SET_AT = '002241A406840182800102';
const PIN = '1234';
const GOOD_PIN_BLOCK = '31323334FFFFFFFF';

interface Response {
  data: Buffer;
  sw: string;
}

function tx(card: CpsCard, hex: string | Buffer): Response {
  const apdu = typeof hex === 'string' ? Buffer.from(hex.replace(/\s+/g, ''), 'hex') : hex;
  const out = card.processApdu(apdu);
  assert.ok(Buffer.isBuffer(out), 'processApdu returns a Buffer synchronously');
  assert.ok(out.length >= 2, 'a response always ends with SW1 SW2');
  return { data: out.subarray(0, out.length - 2), sw: out.subarray(out.length - 2).toString('hex').toUpperCase() };
}

function verifyPin(card: CpsCard, block: string): string {
  return tx(card, `0020000108${block}`).sw;
}

function digestInfoSha256(message: Buffer): Buffer {
  const prefix = Buffer.from('3031300D060960864801650304020105000420', 'hex');
  return Buffer.concat([prefix, crypto.createHash('sha256').update(message).digest()]);
}

function internalAuthenticate(digestInfo: Buffer, le: string | undefined = '00'): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x88, 0x00, 0x00, digestInfo.length]), digestInfo, Buffer.from(le ?? '', 'hex')]);
}

/** The agent's algorithm from docs/cps-profile.md §3.2: chunks of E7 until the DER length is in. */
function readCertificate(card: CpsCard): { der: Buffer; sws: string[] } {
  const chunks: Buffer[] = [];
  const sws: string[] = [];
  let total = Infinity;
  let offset = 0;
  while (offset < total) {
    const le = Math.min(0xe7, total === Infinity ? 0xe7 : total - offset);
    const r = tx(card, Buffer.from([0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff, le]));
    sws.push(r.sw);
    assert.ok(r.sw === '9000' || r.sw === '6282', `READ BINARY at ${offset}: SW=${r.sw}`);
    assert.ok(r.data.length > 0);
    chunks.push(r.data);
    offset += r.data.length;
    if (total === Infinity) {
      const head = Buffer.concat(chunks);
      assert.equal(head[0], 0x30);
      if (head[1] === 0x82) {
        total = 4 + head.readUInt16BE(2);
      } else if (head[1] === 0x81) {
        total = 3 + (head[2] ?? 0);
      } else {
        assert.fail('unexpected DER length form');
      }
    }
  }
  return { der: Buffer.concat(chunks).subarray(0, total), sws };
}

describe('CpsCard simulator (docs/cps-profile.md)', () => {
  let cardCert: CardCertificate;

  before(async () => {
    cardCert = await (await getSharedTestPki()).issueCardCertificate();
  });

  function newCard(extra: Partial<CpsCardOptions> = {}): CpsCard {
    const card = new CpsCard({ certificateDer: cardCert.der, privateKey: cardCert.privateKey, pin: PIN, ...extra });
    card.powerOn();
    return card;
  }

  function loggedInCard(extra: Partial<CpsCardOptions> = {}): CpsCard {
    const card = newCard(extra);
    assert.equal(tx(card, SELECT_CPX_IAS).sw, '9000');
    return card;
  }

  describe('recognition', () => {
    it('answers the CPS3 contact ATR, which matches the OpenSC CPx pattern and mask', () => {
      const card = newCard();
      assert.equal(card.atr.toString('hex').toUpperCase(), '3BAC00402A001225006480000310009000');
      const pattern = Buffer.from('3BAC00402A001225006480000310009000', 'hex');
      const mask = Buffer.from('FF00000000FFFFFFFFFFFF000000FFFFFF', 'hex');
      assert.equal(card.atr.length, mask.length);
      for (let i = 0; i < mask.length; i++) {
        assert.equal((card.atr[i] ?? 0) & (mask[i] ?? 0), (pattern[i] ?? 0) & (mask[i] ?? 0));
      }
      assert.deepEqual(newCard({ atr: Buffer.from('3B00', 'hex') }).atr, Buffer.from('3B00', 'hex'));
    });

    it('selects CPX IAS with FCP (P2=04) or without (P2=0C)', () => {
      const card = newCard();
      const r = tx(card, SELECT_CPX_IAS);
      assert.equal(r.sw, '9000');
      assert.equal(r.data[0], 0x62);
      assert.ok(r.data.includes(Buffer.from('E828BD080F8025000001FF0010', 'hex')));
      const noFcp = tx(card, '00A4040C0DE828BD080F8025000001FF0010');
      assert.equal(noFcp.sw, '9000');
      assert.equal(noFcp.data.length, 0);
    });

    it('rejects other AIDs and P2 values', () => {
      const card = newCard();
      assert.equal(tx(card, '00A404040DE828BD080F8025000001FF002000').sw, '6A82', 'CL AID not on the contact interface');
      assert.equal(tx(card, '00A4040407A000000003101000').sw, '6A82');
      assert.equal(tx(card, '00A404000DE828BD080F8025000001FF001000').sw, '6A86');
      assert.equal(tx(card, '00A400040D E828BD080F8025000001FF0010 00').sw, '6A86');
    });
  });

  describe('certificate EF', () => {
    it('is not found before the application is selected', () => {
      const card = newCard();
      assert.equal(tx(card, SELECT_CERT_EF).sw, '6A82');
    });

    it('answers an FCP carrying the file size', () => {
      const card = loggedInCard();
      const r = tx(card, SELECT_CERT_EF);
      assert.equal(r.sw, '9000');
      assert.equal(r.data[0], 0x62);
      const size = Buffer.alloc(2);
      size.writeUInt16BE(cardCert.der.length);
      assert.ok(r.data.includes(Buffer.concat([Buffer.from([0x80, 0x02]), size])));
      assert.ok(r.data.includes(Buffer.from('8302C000', 'hex')));
      assert.equal(tx(card, '00A4020402D00300').sw, '6A82');
    });

    it('reads the whole certificate in E7 chunks, ending with 6282, and it parses', () => {
      const card = loggedInCard();
      assert.equal(tx(card, SELECT_CERT_EF).sw, '9000');
      const { der } = readCertificate(card);
      assert.deepEqual(der, cardCert.der);
      const parsed = new crypto.X509Certificate(der);
      assert.match(parsed.subject, /serialNumber=810001234567/);

      // Asking more than remains: the rest + 6282.
      const size = cardCert.der.length;
      const tail = size - 10;
      const r = tx(card, Buffer.from([0x00, 0xb0, (tail >> 8) & 0x7f, tail & 0xff, 0xe7]));
      assert.equal(r.sw, '6282');
      assert.deepEqual(r.data, cardCert.der.subarray(tail));
      // Exactly up to the end: 9000.
      const exact = tx(card, Buffer.from([0x00, 0xb0, (tail >> 8) & 0x7f, tail & 0xff, 10]));
      assert.equal(exact.sw, '9000');
      // At or past the end: 6B00.
      assert.equal(tx(card, Buffer.from([0x00, 0xb0, (size >> 8) & 0x7f, size & 0xff, 0x10])).sw, '6B00');
      assert.equal(tx(card, '00B07F0010').sw, '6B00');
    });

    it('enforces the READ BINARY contract', () => {
      const card = loggedInCard();
      assert.equal(tx(card, '00B00000E7').sw, '6986', 'no current EF yet');
      tx(card, SELECT_CERT_EF);
      assert.equal(tx(card, '00B0000000').sw, '6700', 'Le 00 = 256 > E7');
      assert.equal(tx(card, '00B00000E8').sw, '6700');
      assert.equal(tx(card, '00B0000001').data.length, 1);
      assert.equal(tx(card, '00B0800010').sw, '6A86', 'P1 bit 8 = short EF addressing, not supported');
      assert.equal(tx(card, '00B00000').sw, '6700', 'no Le');
      assert.equal(tx(card, '00B0000001AA10').sw, '6700', 'data on a case 2 command');
    });

    it('forgets the current EF when the application is selected again', () => {
      const card = loggedInCard();
      tx(card, SELECT_CERT_EF);
      tx(card, SELECT_CPX_IAS);
      assert.equal(tx(card, '00B0000010').sw, '6986');
    });
  });

  describe('PIN', () => {
    it('reads the counter without spending a try', () => {
      const card = loggedInCard();
      assert.equal(tx(card, VERIFY_STATUS).sw, '63C3');
      assert.equal(tx(card, VERIFY_STATUS).sw, '63C3');
      assert.equal(tx(card, '0020000100').sw, '63C3', 'P3 = 00 read as no data');
      assert.equal(card.triesLeft, 3);
    });

    it('decrements on wrong PINs (63C2, 63C1) and blocks on the third (6983), for good', () => {
      const card = loggedInCard();
      assert.equal(verifyPin(card, '30303030FFFFFFFF'), '63C2');
      assert.equal(tx(card, VERIFY_STATUS).sw, '63C2');
      assert.equal(verifyPin(card, '39393939FFFFFFFF'), '63C1');
      assert.equal(verifyPin(card, '31313131FFFFFFFF'), '6983');
      assert.equal(card.triesLeft, 0);
      assert.ok(card.blocked);
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '6983', 'right PIN after blocking');
      assert.equal(tx(card, VERIFY_STATUS).sw, '6983');
      card.powerOff();
      card.powerOn();
      tx(card, SELECT_CPX_IAS);
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '6983', 'still blocked after a power cycle');
      assert.equal(card.triesLeft, 0);
    });

    it('accepts the right PIN, resets the counter, and reports verified', () => {
      const card = loggedInCard();
      assert.equal(verifyPin(card, '30303030FFFFFFFF'), '63C2');
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      assert.equal(card.triesLeft, 3);
      assert.ok(card.pinVerified);
      assert.equal(tx(card, VERIFY_STATUS).sw, '9000');
      assert.equal(verifyPin(card, '30303030FFFFFFFF'), '63C2', 'a wrong PIN clears the verified state');
      assert.ok(!card.pinVerified);
    });

    it('loses the verified state on power off and reset, not on a new SELECT', () => {
      const card = loggedInCard();
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      tx(card, SELECT_CPX_IAS);
      assert.equal(tx(card, VERIFY_STATUS).sw, '9000');
      card.reset();
      assert.equal(tx(card, VERIFY_STATUS).sw, '63C3');
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      card.powerOff();
      card.powerOn();
      assert.equal(tx(card, VERIFY_STATUS).sw, '63C3');
    });

    it('rejects other formats without spending a try', () => {
      const card = loggedInCard();
      assert.equal(tx(card, '002000010431323334').sw, '6700', 'unpadded PIN');
      assert.equal(tx(card, '002000010831323334FFFFFFFF00').sw, '6700', 'Le on VERIFY');
      assert.equal(tx(card, `0020008108${GOOD_PIN_BLOCK}`).sw, '6A88', 'local reference 81 is not the PIN');
      assert.equal(tx(card, `0020010108${GOOD_PIN_BLOCK}`).sw, '6A86');
      assert.equal(verifyPin(card, '3132333400000000'), '63C2', 'wrong padding is a wrong PIN');
      assert.equal(card.triesLeft, 2);
    });

    it('honours the triesLeft and maxTries options', () => {
      assert.equal(tx(loggedInCard({ triesLeft: 1 }), VERIFY_STATUS).sw, '63C1');
      assert.equal(tx(loggedInCard({ triesLeft: 0 }), VERIFY_STATUS).sw, '6983');
      const five = loggedInCard({ maxTries: 5 });
      assert.equal(verifyPin(five, '30303030FFFFFFFF'), '63C4');
      assert.throws(() => newCard({ pin: '12345' }), /4 decimal digits/);
      assert.throws(() => newCard({ triesLeft: 4 }), /triesLeft/);
    });
  });

  describe('proof of possession', () => {
    it('signs a SHA-256 DigestInfo with PKCS#1 v1.5 that verifies with the certificate key', () => {
      const card = loggedInCard();
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      assert.equal(tx(card, MSE_SET_AT).sw, '9000');
      const challenge = crypto.randomBytes(32);
      const r = tx(card, internalAuthenticate(digestInfoSha256(challenge)));
      assert.equal(r.sw, '9000');
      assert.equal(r.data.length, 256);
      assert.ok(crypto.verify('sha256', challenge, cardCert.certificate.publicKey, r.data));
      assert.ok(!crypto.verify('sha256', crypto.randomBytes(32), cardCert.certificate.publicKey, r.data));

      // The PIN and the MSE stay valid for a second signature.
      const again = crypto.randomBytes(32);
      const r2 = tx(card, internalAuthenticate(digestInfoSha256(again)));
      assert.equal(r2.sw, '9000');
      assert.ok(crypto.verify('sha256', again, cardCert.certificate.publicKey, r2.data));
    });

    it('refuses to sign without a verified PIN (6982)', () => {
      const card = loggedInCard();
      assert.equal(tx(card, MSE_SET_AT).sw, '9000');
      assert.equal(tx(card, internalAuthenticate(digestInfoSha256(Buffer.from('x')))).sw, '6982');
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      card.powerOff();
      card.powerOn();
      tx(card, SELECT_CPX_IAS);
      assert.equal(tx(card, MSE_SET_AT).sw, '9000');
      assert.equal(tx(card, internalAuthenticate(digestInfoSha256(Buffer.from('x')))).sw, '6982', 'PIN lost on power off');
    });

    it('refuses to sign without MSE (6985), MSE being lost on SELECT and reset', () => {
      const card = loggedInCard();
      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      const ia = internalAuthenticate(digestInfoSha256(Buffer.from('x')));
      assert.equal(tx(card, ia).sw, '6985');
      assert.equal(tx(card, MSE_SET_AT).sw, '9000');
      tx(card, SELECT_CPX_IAS);
      assert.equal(tx(card, ia).sw, '6985');
      assert.equal(tx(card, MSE_SET_AT).sw, '9000');
      assert.equal(tx(card, '002241A406840181800102').sw, '6A88', 'a failed MSE clears the previous one');
      assert.equal(tx(card, ia).sw, '6985');
    });

    it('checks the MSE SET AT command', () => {
      const card = newCard();
      assert.equal(tx(card, MSE_SET_AT).sw, '6A88', 'key not found before the application is selected');
      tx(card, SELECT_CPX_IAS);
      assert.equal(tx(card, '002241A406800102840182').sw, '9000', 'either order');
      assert.equal(tx(card, '002241A406840181800102').sw, '6A88', 'signature key 81 is not the auth key');
      assert.equal(tx(card, '002241A406840182800112').sw, '6A80', 'algorithm 12 (RSA SHA-1) not allowed');
      assert.equal(tx(card, '002241A403840182').sw, '6A80', 'algorithm missing');
      assert.equal(tx(card, '002241A409840182800102950140').sw, '6A80', 'unknown tag');
      assert.equal(tx(card, '002241A40684018280').sw, '6700', 'Lc larger than the data');
      assert.equal(tx(card, '002241A4058401828001').sw, '6A80', 'truncated TLV');
      assert.equal(tx(card, '002241B606840182800102').sw, '6A86', 'DST is not used');
      assert.equal(tx(card, '002281A406840182800102').sw, '6A86');
      assert.equal(tx(card, '002241A40684018280010200').sw, '6700', 'Le on MSE');
    });

    it('rejects anything but a 51-byte SHA-256 DigestInfo (6A80)', () => {
      const card = loggedInCard();
      verifyPin(card, GOOD_PIN_BLOCK);
      tx(card, MSE_SET_AT);
      const sha1DigestInfo = Buffer.concat([Buffer.from('3021300906052B0E03021A05000414', 'hex'), crypto.createHash('sha1').update('x').digest()]);
      assert.equal(tx(card, internalAuthenticate(sha1DigestInfo)).sw, '6A80');
      assert.equal(tx(card, internalAuthenticate(crypto.randomBytes(32))).sw, '6A80', 'raw hash');
      const badPrefix = digestInfoSha256(Buffer.from('x'));
      badPrefix[14] = 0x02; // SHA-384 OID arc with a 32-byte hash
      assert.equal(tx(card, internalAuthenticate(badPrefix)).sw, '6A80');
      assert.equal(tx(card, '0088010000').sw, '6700', 'no data');
      const withP1 = internalAuthenticate(digestInfoSha256(Buffer.from('x')));
      withP1[2] = 0x01;
      assert.equal(tx(card, withP1).sw, '6A86');
    });
  });

  describe('61xx / GET RESPONSE', () => {
    it('announces case-4 answers with 61xx when forceGetResponse is set', () => {
      const card = newCard({ forceGetResponse: true });
      const sel = tx(card, SELECT_CPX_IAS);
      assert.equal(sel.data.length, 0);
      assert.match(sel.sw, /^61[0-9A-F]{2}$/);
      const fcpLength = parseInt(sel.sw.slice(2), 16);
      const fcp = tx(card, `00C00000${sel.sw.slice(2)}`);
      assert.equal(fcp.sw, '9000');
      assert.equal(fcp.data.length, fcpLength);
      assert.equal(fcp.data[0], 0x62);

      // READ BINARY (case 2) is never announced.
      assert.match(tx(card, SELECT_CERT_EF).sw, /^61/);
      const rb = tx(card, '00B0000010');
      assert.equal(rb.sw, '9000');
      assert.equal(rb.data.length, 16);

      assert.equal(verifyPin(card, GOOD_PIN_BLOCK), '9000');
      assert.equal(tx(card, MSE_SET_AT).sw, '9000');
      const challenge = crypto.randomBytes(32);
      const ia = tx(card, internalAuthenticate(digestInfoSha256(challenge)));
      assert.equal(ia.sw, '6100', '256 bytes available');
      assert.equal(ia.data.length, 0);
      const part1 = tx(card, '00C0000080');
      assert.equal(part1.sw, '6180');
      assert.equal(part1.data.length, 128);
      const part2 = tx(card, '00C0000000');
      assert.equal(part2.sw, '9000');
      assert.equal(part2.data.length, 128);
      const signature = Buffer.concat([part1.data, part2.data]);
      assert.ok(crypto.verify('sha256', challenge, cardCert.certificate.publicKey, signature));
      assert.equal(tx(card, '00C0000000').sw, '6985', 'nothing left');
    });

    it('announces INTERNAL AUTHENTICATE sent without Le (case 3) and a short Le', () => {
      const card = loggedInCard();
      verifyPin(card, GOOD_PIN_BLOCK);
      tx(card, MSE_SET_AT);
      const challenge = crypto.randomBytes(32);
      assert.equal(tx(card, internalAuthenticate(digestInfoSha256(challenge), '')).sw, '6100');
      const full = tx(card, '00C0000000');
      assert.equal(full.sw, '9000');
      assert.ok(crypto.verify('sha256', challenge, cardCert.certificate.publicKey, full.data));

      const short = tx(card, internalAuthenticate(digestInfoSha256(challenge), 'F0'));
      assert.equal(short.data.length, 0xf0);
      assert.equal(short.sw, '6110');
      const rest = tx(card, '00C0000010');
      assert.equal(rest.sw, '9000');
      assert.ok(crypto.verify('sha256', challenge, cardCert.certificate.publicKey, Buffer.concat([short.data, rest.data])));
    });

    it('drops a pending response when another command comes in', () => {
      const card = newCard({ forceGetResponse: true });
      assert.match(tx(card, SELECT_CPX_IAS).sw, /^61/);
      assert.equal(tx(card, VERIFY_STATUS).sw, '63C3');
      assert.equal(tx(card, '00C0000000').sw, '6985');
      assert.equal(tx(card, '00C00000').sw, '6700');
      assert.equal(tx(card, '00C0010000').sw, '6A86');
    });
  });

  describe('malformed and unsupported commands', () => {
    it('answers 6700 to short or inconsistent APDUs, never throws', () => {
      const card = newCard();
      for (const hex of ['', '00', '00A4', '00A404', '00A404040DE828', '00B0000000001000', '00A404040DE828BD080F8025000001FF00100000']) {
        assert.equal(tx(card, hex).sw, '6700', hex);
      }
    });

    it('answers 6E00 to another CLA and 6D00 to another INS', () => {
      const card = newCard();
      assert.equal(tx(card, '80A404040DE828BD080F8025000001FF001000').sw, '6E00');
      assert.equal(tx(card, '0CB0000010').sw, '6E00', 'secure messaging CLA');
      assert.equal(tx(card, '00CA9F7F00').sw, '6D00', 'GET DATA');
      assert.equal(tx(card, '0084000008').sw, '6D00', 'GET CHALLENGE');
      assert.equal(tx(card, '002A9E9A00').sw, '6D00', 'PSO CDS');
    });

    it('survives random input and counts every APDU', () => {
      const card = newCard();
      const before = card.apduCount;
      let seed = 0x2545f491;
      const next = (): number => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) & 0xff;
      };
      for (let i = 0; i < 3000; i++) {
        const length = next() % 64;
        const apdu = Buffer.alloc(length);
        for (let j = 0; j < length; j++) {
          apdu[j] = next();
        }
        if (i % 3 === 0 && length >= 2) {
          apdu[0] = 0x00; // reach the INS handlers more often
        }
        const out = card.processApdu(apdu);
        assert.ok(out.length >= 2);
      }
      assert.equal(card.apduCount, before + 3000);
    });
  });
});
