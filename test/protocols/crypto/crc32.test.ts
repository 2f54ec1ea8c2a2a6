import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { crc32Desfire, crc32DesfireBytes } from '../../../src/main/protocols/crypto/index.js';

describe('DESFire CRC32 (IEEE 802.3 polynomial, init FFFFFFFF, no final XOR)', () => {
  it('has the JAMCRC check value of "123456789"', () => {
    assert.equal(crc32Desfire(Buffer.from('123456789', 'latin1')), 0x340bc6d9);
  });

  it('is the complement of the standard CRC-32 (zlib) for the same input', () => {
    // Standard CRC-32 check values: "" → 0, "a" → E8B7BE43, "123456789" → CBF43926.
    assert.equal(crc32Desfire(Buffer.alloc(0)), 0xffffffff);
    assert.equal(crc32Desfire(Buffer.from('a')), ~0xe8b7be43 >>> 0);
    assert.equal(crc32Desfire(Buffer.from('123456789')), ~0xcbf43926 >>> 0);
  });

  it('is appended little-endian and the same over split parts', () => {
    assert.equal(crc32DesfireBytes(Buffer.from('123456789')).toString('hex'), 'd9c60b34');
    assert.deepEqual(crc32DesfireBytes(Buffer.from('1234'), Buffer.from('56789')), crc32DesfireBytes(Buffer.from('123456789')));
  });
});
