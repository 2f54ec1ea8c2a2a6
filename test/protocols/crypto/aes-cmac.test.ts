import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { aesCmac, aesCmacWithIv, aesEcbEncrypt, cmacSubkeys, doubleBlock } from '../../../src/main/protocols/crypto/index.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 4493 §4 (identical to NIST SP 800-38B Appendix D.1, AES-128 examples).
const K = h('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const M64 = h(
  '6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51 30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710',
);

describe('AES-128 CMAC (RFC 4493)', () => {
  it('derives the subkeys of RFC 4493 §4', () => {
    assert.equal(aesEcbEncrypt(K, Buffer.alloc(16)).toString('hex'), '7df76b0c1ab899b33e42f047b91b546f');
    const { k1, k2 } = cmacSubkeys(K);
    assert.equal(k1.toString('hex'), 'fbeed618357133667c85e08f7236a8de');
    assert.equal(k2.toString('hex'), 'f7ddac306ae266ccf90bc11ee46d513b');
  });

  const examples: Array<[string, number, string]> = [
    ['Example 1: len = 0', 0, 'bb1d6929e95937287fa37d129b756746'],
    ['Example 2: len = 16', 16, '070a16b46b4d4144f79bdd9dd04a287c'],
    ['Example 3: len = 40', 40, 'dfa66747de9ae63030ca32611497c827'],
    ['Example 4: len = 64', 64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ];
  for (const [name, len, tag] of examples) {
    it(name, () => {
      assert.equal(aesCmac(K, M64.subarray(0, len)).toString('hex'), tag);
    });
  }

  it('with a zero IV equals the plain CMAC; a running IV changes the tag', () => {
    const m = M64.subarray(0, 40);
    assert.deepEqual(aesCmacWithIv(K, Buffer.alloc(16), m), aesCmac(K, m));
    assert.notDeepEqual(aesCmacWithIv(K, Buffer.alloc(16, 1), m), aesCmac(K, m));
  });

  it('doubles a block with and without the Rb reduction', () => {
    assert.equal(doubleBlock(h('00000000000000000000000000000001')).toString('hex'), '00000000000000000000000000000002');
    assert.equal(doubleBlock(h('80000000000000000000000000000000')).toString('hex'), '00000000000000000000000000000087');
  });

  it('refuses keys that are not 16 bytes', () => {
    assert.throws(() => aesCmac(Buffer.alloc(15), Buffer.alloc(1)), RangeError);
    assert.throws(() => aesCmac(Buffer.alloc(32), Buffer.alloc(1)), RangeError);
  });
});
