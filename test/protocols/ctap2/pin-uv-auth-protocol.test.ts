/**
 * PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7), checked against values computed
 * here step by step from the spec text with lower-level primitives: HKDF built from HMAC
 * (RFC 5869 extract and expand), AES-CBC built from AES-ECB block by block, HMAC truncation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createECDH, createHash, createHmac } from 'node:crypto';
import {
  PIN_UV_AUTH_PROTOCOL_1 as P1, PIN_UV_AUTH_PROTOCOL_2 as P2, encapsulate, padPin, pinHash, pinUvAuthProtocol, Ctap2Error,
} from '../../../src/main/protocols/ctap2/index.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');
const Z = h('1f2e3d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778');

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** RFC 5869 for one 32-byte output block: PRK = HMAC(salt, IKM); T(1) = HMAC(PRK, info ‖ 0x01). */
function hkdf32(ikm: Buffer, salt: Buffer, info: string): Buffer {
  const prk = hmac(salt, ikm);
  return hmac(prk, Buffer.concat([Buffer.from(info, 'ascii'), Buffer.from([1])]));
}

/** AES-256-CBC from single-block AES-256-ECB: C_i = E(K, P_i ⊕ C_{i-1}), C_0 = IV. */
function cbcByHand(key: Buffer, iv: Buffer, pt: Buffer): Buffer {
  const out: Buffer[] = [];
  let prev = iv;
  for (let i = 0; i < pt.length; i += 16) {
    const block = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) block[j] = pt[i + j]! ^ prev[j]!;
    const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    prev = Buffer.concat([ecb.update(block), ecb.final()]);
    out.push(prev);
  }
  return Buffer.concat(out);
}

const PT = Buffer.from('0123456789abcdef' + 'fedcba9876543210' + 'tessera-pin-test' + 'sixty-four bytes', 'ascii');

describe('PIN/UV auth protocol 1', () => {
  it('kdf = SHA-256(Z)', () => {
    assert.deepEqual(P1.kdf(Z), createHash('sha256').update(Z).digest());
  });

  it('encrypt = AES-256-CBC with an all-zero IV, no padding; decrypt inverts it', () => {
    const key = P1.kdf(Z);
    const ct = P1.encrypt(key, PT);
    assert.deepEqual(ct, cbcByHand(key, Buffer.alloc(16), PT));
    assert.equal(ct.length, 64);
    assert.deepEqual(P1.decrypt(key, ct), PT);
  });

  it('authenticate = first 16 bytes of HMAC-SHA-256', () => {
    const key = P1.kdf(Z);
    assert.deepEqual(P1.authenticate(key, PT), hmac(key, PT).subarray(0, 16));
  });
});

describe('PIN/UV auth protocol 2', () => {
  it('kdf = HKDF-SHA-256(salt 32×00, Z, "CTAP2 HMAC key") ‖ HKDF(…, "CTAP2 AES key")', () => {
    const salt = Buffer.alloc(32);
    const expected = Buffer.concat([hkdf32(Z, salt, 'CTAP2 HMAC key'), hkdf32(Z, salt, 'CTAP2 AES key')]);
    assert.deepEqual(P2.kdf(Z), expected);
  });

  it('encrypt = random IV ‖ AES-256-CBC under the AES half; decrypt inverts it', () => {
    const shared = P2.kdf(Z);
    const ct = P2.encrypt(shared, PT);
    assert.equal(ct.length, 16 + 64);
    const iv = ct.subarray(0, 16);
    assert.deepEqual(ct.subarray(16), cbcByHand(shared.subarray(32), iv, PT));
    assert.deepEqual(P2.decrypt(shared, ct), PT);
    assert.notDeepEqual(P2.encrypt(shared, PT).subarray(0, 16), iv, 'a fresh IV each time');
  });

  it('authenticate = full HMAC-SHA-256 under the HMAC half, or under a 32-byte token as is', () => {
    const shared = P2.kdf(Z);
    assert.deepEqual(P2.authenticate(shared, PT), hmac(shared.subarray(0, 32), PT));
    const token = h('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
    assert.deepEqual(P2.authenticate(token, PT), hmac(token, PT));
  });

  it('refuses ciphertexts that are not whole blocks or lack the IV', () => {
    assert.throws(() => P2.decrypt(P2.kdf(Z), Buffer.alloc(8)), Ctap2Error);
    assert.throws(() => P2.decrypt(P2.kdf(Z), Buffer.alloc(16 + 15)), Ctap2Error);
    assert.throws(() => P1.decrypt(P1.kdf(Z), Buffer.alloc(17)), Ctap2Error);
  });
});

describe('key agreement and PIN encoding', () => {
  for (const proto of [P1, P2]) {
    it(`encapsulate (protocol ${proto.version}): the authenticator derives the same secret from the platform key`, () => {
      const auth = createECDH('prime256v1');
      auth.setPrivateKey(h('aff907c99f9ad3aae6c4cdf21122bce2bd68b5283e6907154ad911840fa208cf'));
      const pub = auth.getPublicKey();
      const authKey = new Map<number, Buffer | number>([[1, 2], [3, -25], [-1, 1], [-2, pub.subarray(1, 33)], [-3, pub.subarray(33)]]);
      const { platformKey, sharedSecret } = encapsulate(proto, authKey);
      assert.equal(platformKey.get(1), 2);
      assert.equal(platformKey.get(3), -25);
      assert.equal(platformKey.get(-1), 1);
      const peer = Buffer.concat([Buffer.from([4]), platformKey.get(-2) as Buffer, platformKey.get(-3) as Buffer]);
      const z = auth.computeSecret(peer);
      assert.deepEqual(sharedSecret, proto.kdf(z));
      assert.equal(sharedSecret.length, proto.version === 1 ? 32 : 64);
    });
  }

  it('encapsulate refuses a key that is not a P-256 point', () => {
    const bad = new Map<number, Buffer | number>([[1, 2], [3, -25], [-1, 1], [-2, Buffer.alloc(32, 1)], [-3, Buffer.alloc(32, 2)]]);
    assert.throws(() => encapsulate(P2, bad), { code: 'invalid_response' });
    assert.throws(() => encapsulate(P2, new Map<number, Buffer | number>([[1, 1], [-1, 6], [-2, Buffer.alloc(32)], [-3, Buffer.alloc(32)]])), { code: 'invalid_response' });
  });

  it('paddedNewPin is the PIN followed by zeros to 64 bytes; PINs of 4..63 bytes only', () => {
    const p = padPin(Buffer.from('1234'));
    assert.equal(p.length, 64);
    assert.deepEqual(p, Buffer.concat([Buffer.from('1234'), Buffer.alloc(60)]));
    assert.throws(() => padPin(Buffer.from('123')), { code: 'invalid_pin' });
    assert.throws(() => padPin(Buffer.alloc(64, 0x31)), { code: 'invalid_pin' });
  });

  it('pinHash = LEFT(SHA-256(PIN), 16): "1234" → 03ac674216f3e15c761ee1a5e255f067', () => {
    assert.equal(pinHash(Buffer.from('1234')).toString('hex'), '03ac674216f3e15c761ee1a5e255f067');
  });

  it('only protocols 1 and 2 exist', () => {
    assert.equal(pinUvAuthProtocol(1), P1);
    assert.equal(pinUvAuthProtocol(2), P2);
    assert.throws(() => pinUvAuthProtocol(3), { code: 'unsupported_pin_protocol' });
  });
});
