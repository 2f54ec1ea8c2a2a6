import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { aesCbcDecrypt, aesCbcEncrypt, aesCmac, aesCmacWithIv, aesEcbEncrypt } from '../../../src/main/protocols/crypto/index.js';
import { Aes128Key } from '../../../src/main/protocols/crypto/aes-key.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// NIST SP 800-38A Appendix F (F.1.1 ECB-AES128.Encrypt, F.2.1/F.2.2 CBC-AES128) and
// RFC 4493 §4 (CMAC): the same key and 64-byte message.
const K = h('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const M64 = h(
  '6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51 30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710',
);
const ECB = h('3ad77bb4 0d7a3660 a89ecaf3 2466ef97 f5d3d585 03b9699d e785895a 96fdbaaf 43b1cd7f 598ece23 881b00e3 ed030688 7b0c785e 27e8ad3f 82232071 04725dd4');
const CBC_IV = h('00010203 04050607 08090a0b 0c0d0e0f');
const CBC = h('7649abac 8119b246 cee98e9b 12e9197d 5086cb9b 507219ee 95db113a 917678b2 73bed6b8 e3c1743b 7116e69e 22229516 3ff1caa1 681fac09 120eca30 7586e1a7');

describe('Aes128Key (kept contexts)', () => {
  it('ECB and CBC give the SP 800-38A vectors, both directions', () => {
    const k = new Aes128Key(K);
    assert.deepEqual(k.ecbEncrypt(M64), ECB);
    assert.deepEqual(k.encryptBlock(M64.subarray(16, 32)), ECB.subarray(16, 32));
    assert.deepEqual(k.cbcEncrypt(CBC_IV, M64), CBC);
    assert.deepEqual(k.cbcDecrypt(CBC_IV, CBC), M64);
    k.dispose();
  });

  const examples: Array<[number, string]> = [
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ];
  it('CMAC gives the four RFC 4493 examples, on one key object in any order', () => {
    const k = new Aes128Key(K);
    for (const [len, tag] of [...examples, ...[...examples].reverse()]) assert.equal(k.cmac(M64.subarray(0, len)).toString('hex'), tag, `len ${len}`);
    k.dispose();
  });

  it('matches the per-call functions on random keys, IVs and lengths, operations interleaved', () => {
    for (let n = 0; n < 50; n++) {
      const raw = randomBytes(16);
      const k = new Aes128Key(raw);
      for (let len = 0; len <= 64; len += 1 + (n % 7)) {
        const m = randomBytes(len);
        const iv = randomBytes(16);
        assert.deepEqual(k.cmac(m), aesCmac(raw, m));
        assert.deepEqual(k.cmacWithIv(iv, m), aesCmacWithIv(raw, iv, m));
        const blocks = m.subarray(0, len - (len % 16));
        assert.deepEqual(k.cbcEncrypt(iv, blocks), aesCbcEncrypt(raw, iv, blocks));
        assert.deepEqual(k.cbcDecrypt(iv, blocks), aesCbcDecrypt(raw, iv, blocks));
        assert.deepEqual(k.ecbEncrypt(blocks), aesEcbEncrypt(raw, blocks));
      }
      k.dispose();
    }
  });

  it('copies the key: the caller may wipe its Buffer', () => {
    const raw = Buffer.from(K);
    const k = new Aes128Key(raw);
    raw.fill(0);
    assert.equal(k.cmac(M64.subarray(0, 16)).toString('hex'), '070a16b46b4d4144f79bdd9dd04a287c');
    k.dispose();
  });

  it('refuses a disposed key, a wrong key size, partial blocks and bad IVs', () => {
    assert.throws(() => new Aes128Key(Buffer.alloc(15)), RangeError);
    const k = new Aes128Key(K);
    assert.throws(() => k.ecbEncrypt(Buffer.alloc(15)), RangeError);
    assert.throws(() => k.cbcDecrypt(Buffer.alloc(16), Buffer.alloc(17)), RangeError);
    assert.throws(() => k.cbcEncrypt(Buffer.alloc(8), Buffer.alloc(16)), RangeError);
    assert.throws(() => k.cmacWithIv(Buffer.alloc(15), Buffer.alloc(1)), RangeError);
    k.cmac(Buffer.alloc(3));
    k.dispose();
    assert.equal(k.disposed, true);
    assert.throws(() => k.cmac(Buffer.alloc(3)), /after dispose/);
    assert.throws(() => k.cbcDecrypt(Buffer.alloc(16), Buffer.alloc(16)), /after dispose/);
    k.dispose(); // idempotent
  });
});
