import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex } from '../../../src/main/protocols/iso7816/hex.js';
import { Iso7816Error } from '../../../src/main/protocols/iso7816/iso7816-error.js';

describe('hex', () => {
  it('writes upper-case pairs, optionally separated', () => {
    const bytes = Buffer.from([0x00, 0xa4, 0x04, 0x0c]);
    assert.equal(hex(bytes), '00A4040C');
    assert.equal(hex(bytes, ' '), '00 A4 04 0C');
    assert.equal(hex(bytes, ':'), '00:A4:04:0C');
    assert.equal(hex(Buffer.alloc(0)), '');
  });
});

describe('fromHex', () => {
  it('accepts compact, spaced, colon-separated and mixed-case input', () => {
    const expected = Buffer.from([0x00, 0xa4, 0x04, 0x0c]);
    for (const text of ['00A4040C', '00 a4 04 0c', '00:A4:04:0C', ' 00A4\n040C\t', '00A4 040C']) {
      assert.deepEqual(fromHex(text), expected, text);
    }
  });

  it('returns an empty buffer for empty or blank input', () => {
    assert.equal(fromHex('').length, 0);
    assert.equal(fromHex('  : ').length, 0);
  });

  it('round-trips with hex()', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(fromHex(hex(bytes, ' ')), bytes);
  });

  it('refuses non-hex characters and groups that split a byte', () => {
    for (const text of ['0G', '0x00', '00-A4', '0', '00A', '0 0A4']) {
      assert.throws(() => fromHex(text), (e: unknown) => e instanceof Iso7816Error && e.code === 'hex_malformed', text);
    }
  });
});
