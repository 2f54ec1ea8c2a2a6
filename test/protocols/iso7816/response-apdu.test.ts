import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex } from '../../../src/main/protocols/iso7816/hex.js';
import { Iso7816Error } from '../../../src/main/protocols/iso7816/iso7816-error.js';
import { createResponseApdu, parseResponseApdu } from '../../../src/main/protocols/iso7816/response-apdu.js';

describe('parseResponseApdu', () => {
  it('reads a bare 9000 as ok with no data', () => {
    const r = parseResponseApdu(fromHex('90 00'));
    assert.equal(r.data.length, 0);
    assert.equal(r.sw, 0x9000);
    assert.equal(r.sw1, 0x90);
    assert.equal(r.sw2, 0x00);
    assert.equal(r.ok, true);
  });

  it('splits data from the status word', () => {
    const r = parseResponseApdu(fromHex('6F 07 84 05 A0 00 00 00 03 90 00'));
    assert.equal(hex(r.data, ' '), '6F 07 84 05 A0 00 00 00 03');
    assert.equal(r.sw, 0x9000);
    assert.equal(r.ok, true);
  });

  it('reads error and warning status words as not ok', () => {
    const r = parseResponseApdu(fromHex('6A 82'));
    assert.equal(r.sw, 0x6a82);
    assert.equal(r.sw1, 0x6a);
    assert.equal(r.sw2, 0x82);
    assert.equal(r.ok, false);
    const warning = parseResponseApdu(fromHex('01 02 62 82'));
    assert.equal(warning.ok, false);
    assert.equal(hex(warning.data), '0102');
  });

  it('refuses responses without a complete status word', () => {
    for (const raw of ['', '90']) {
      assert.throws(
        () => parseResponseApdu(fromHex(raw)),
        (e: unknown) => e instanceof Iso7816Error && e.code === 'malformed_response' && e.layer === 'protocol',
        `raw=${raw}`,
      );
    }
  });

  it('copies the data, so the raw buffer may be wiped', () => {
    const raw = fromHex('DE AD BE EF 90 00');
    const r = parseResponseApdu(raw);
    raw.fill(0);
    assert.equal(hex(r.data), 'DEADBEEF');
  });
});

describe('createResponseApdu', () => {
  it('builds a response from data and status word', () => {
    const r = createResponseApdu(fromHex('01 02'), 0x6282);
    assert.equal(r.sw1, 0x62);
    assert.equal(r.sw2, 0x82);
    assert.equal(r.ok, false);
    assert.equal(hex(r.data), '0102');
  });

  it('refuses a value that is not a status word', () => {
    assert.throws(() => createResponseApdu(Buffer.alloc(0), 0x10000), RangeError);
    assert.throws(() => createResponseApdu(Buffer.alloc(0), -1), RangeError);
  });
});
