import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { aesCmac, aesEcbEncrypt } from '../../../src/main/protocols/crypto/index.js';
import {
  an10922Input,
  an10922InputFromData,
  diversifyAes128,
  diversifyAes128WithCipher,
  diversifyAes128WithCipherAsync,
} from '../../../src/main/protocols/desfire/an10922.js';
import { DesfireError } from '../../../src/main/protocols/desfire/desfire-error.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');

// NXP AN10922 §2.2.1 AES-128 example (also in docs/TESTBED.md).
const K = h('00112233445566778899AABBCCDDEEFF');
const UID = h('04782E21801D80');
const AID = h('3042F5');
const SYSID = h('4E585020416275');

describe('AN10922 AES-128 diversification', () => {
  it('reproduces the NXP example vector', () => {
    assert.equal(diversifyAes128(K, UID, AID, SYSID).toString('hex').toUpperCase(), 'A8DD63A3B89D54B37CA802473FDA9175');
  });

  it('builds M = 01 ‖ UID ‖ AID ‖ SysID padded to 32 bytes and selects K2', () => {
    const input = an10922Input(UID, AID, SYSID);
    assert.equal(
      input.message.toString('hex').toUpperCase(),
      '0104782E21801D803042F54E585020416275' + '80' + '00'.repeat(13),
    );
    assert.equal(input.subkey, 'k2');
    assert.equal(input.padded, true);
  });

  it('uses K1 and no padding when M is exactly 32 bytes, and then equals the plain CMAC of M', () => {
    const d = Buffer.alloc(31, 0x5a);
    const input = an10922InputFromData(d);
    assert.equal(input.subkey, 'k1');
    assert.equal(input.padded, false);
    const viaCipher = diversifyAes128WithCipher((b) => aesEcbEncrypt(K, b), input);
    assert.deepEqual(viaCipher, aesCmac(K, Buffer.concat([Buffer.of(0x01), d])));
  });

  it('pads a short M to two blocks, unlike a plain CMAC', () => {
    const d = Buffer.from('0102030405', 'hex');
    const input = an10922InputFromData(d);
    assert.equal(input.message.length, 32);
    const div = diversifyAes128WithCipher((b) => aesEcbEncrypt(K, b), input);
    assert.notDeepEqual(div, aesCmac(K, Buffer.concat([Buffer.of(0x01), d])));
  });

  it('gives the same key through an ECB-only oracle, sync and async (the PKCS#11 path)', async () => {
    const input = an10922Input(UID, AID, SYSID);
    const sync = diversifyAes128WithCipher((b) => aesEcbEncrypt(K, b), input);
    const asyncKey = await diversifyAes128WithCipherAsync((b) => Promise.resolve(aesEcbEncrypt(K, b)), input);
    assert.equal(sync.toString('hex').toUpperCase(), 'A8DD63A3B89D54B37CA802473FDA9175');
    assert.deepEqual(asyncKey, sync);
  });

  it('differs per UID, AID and system identifier', () => {
    const base = diversifyAes128(K, UID, AID, SYSID);
    assert.notDeepEqual(diversifyAes128(K, h('04782E21801D81'), AID, SYSID), base);
    assert.notDeepEqual(diversifyAes128(K, UID, h('3042F6'), SYSID), base);
    assert.notDeepEqual(diversifyAes128(K, UID, AID, h('4E585020416276')), base);
  });

  it('refuses inputs outside the limits with invalid_argument', () => {
    const codeIs = (e: unknown): boolean => e instanceof DesfireError && e.code === 'invalid_argument';
    assert.throws(() => diversifyAes128(K, h('04782E21801D'), AID, SYSID), codeIs);
    assert.throws(() => diversifyAes128(K, UID, h('3042'), SYSID), codeIs);
    assert.throws(() => diversifyAes128(K, UID, AID, Buffer.alloc(22)), codeIs);
    assert.throws(() => diversifyAes128(Buffer.alloc(24), UID, AID, SYSID), codeIs);
    assert.throws(() => an10922InputFromData(Buffer.alloc(0)), codeIs);
    assert.throws(() => an10922InputFromData(Buffer.alloc(32)), codeIs);
    // 21 bytes of system identifier is the longest allowed: M is then 32 bytes, K1.
    assert.equal(an10922Input(UID, AID, Buffer.alloc(21)).subkey, 'k1');
  });
});
