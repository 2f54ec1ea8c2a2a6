import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesAvailableFrom61xx,
  describeStatusWord,
  exactLengthFrom6Cxx,
  formatStatusWord,
  retriesFrom63Cx,
  SW,
  type SwName,
} from '../../../src/main/protocols/iso7816/status-words.js';

describe('SW table', () => {
  it('holds the ISO 7816-4 values under their spec names', () => {
    assert.equal(SW.NO_ERROR, 0x9000);
    assert.equal(SW.END_OF_FILE_REACHED, 0x6282);
    assert.equal(SW.MEMORY_FAILURE, 0x6581);
    assert.equal(SW.WRONG_LENGTH, 0x6700);
    assert.equal(SW.SECURITY_STATUS_NOT_SATISFIED, 0x6982);
    assert.equal(SW.AUTH_METHOD_BLOCKED, 0x6983);
    assert.equal(SW.CONDITIONS_NOT_SATISFIED, 0x6985);
    assert.equal(SW.WRONG_DATA, 0x6a80);
    assert.equal(SW.FUNCTION_NOT_SUPPORTED, 0x6a81);
    assert.equal(SW.FILE_NOT_FOUND, 0x6a82);
    assert.equal(SW.INCORRECT_P1P2, 0x6a86);
    assert.equal(SW.REFERENCED_DATA_NOT_FOUND, 0x6a88);
    assert.equal(SW.WRONG_P1P2, 0x6b00);
    assert.equal(SW.INS_NOT_SUPPORTED, 0x6d00);
    assert.equal(SW.CLA_NOT_SUPPORTED, 0x6e00);
  });

  it('has one name per value, all interindustry (6xxx or 9000), none inside a family', () => {
    const values = Object.values(SW);
    assert.equal(new Set(values).size, values.length);
    for (const v of values) {
      assert.ok(v === 0x9000 || (v >= 0x6200 && v <= 0x6fff), v.toString(16));
      assert.equal(bytesAvailableFrom61xx(v), undefined);
      assert.equal(exactLengthFrom6Cxx(v), undefined);
      assert.equal(retriesFrom63Cx(v), undefined);
    }
  });

  it('describes every named value with its own lower-case code and a description', () => {
    for (const name of Object.keys(SW) as SwName[]) {
      const info = describeStatusWord(SW[name]);
      assert.equal(info.name, name);
      assert.equal(info.code, `sw.${name.toLowerCase()}`);
      assert.match(info.code, /^sw\.[a-z0-9_]+$/);
      assert.ok(info.description.length > 0);
    }
  });
});

describe('describeStatusWord', () => {
  it('gives stable codes for named status words', () => {
    assert.deepEqual(describeStatusWord(0x6982), {
      sw: 0x6982,
      code: 'sw.security_status_not_satisfied',
      name: 'SECURITY_STATUS_NOT_SATISFIED',
      description: 'security status not satisfied',
    });
    assert.equal(describeStatusWord(0x9000).code, 'sw.no_error');
    assert.equal(describeStatusWord(0x6983).code, 'sw.auth_method_blocked');
    assert.equal(describeStatusWord(0x6a82).code, 'sw.file_not_found');
  });

  it('describes the 61xx, 6Cxx and 63Cx families with their value', () => {
    assert.equal(describeStatusWord(0x6110).code, 'sw.bytes_available');
    assert.match(describeStatusWord(0x6110).description, /\b16\b/);
    assert.match(describeStatusWord(0x6100).description, /\b256\b/);
    assert.equal(describeStatusWord(0x6c0a).code, 'sw.wrong_le');
    assert.match(describeStatusWord(0x6c0a).description, /\b10\b/);
    assert.equal(describeStatusWord(0x63c2).code, 'sw.counter');
    assert.match(describeStatusWord(0x63c2).description, /\b2\b/);
    assert.equal(describeStatusWord(0x6202).code, 'sw.triggering_by_card');
    assert.equal(describeStatusWord(0x6480).code, 'sw.triggering_by_card');
  });

  it('keeps unknown and proprietary status words representable', () => {
    const unlisted = describeStatusWord(0x6a99);
    assert.equal(unlisted.code, 'sw.unknown');
    assert.equal(unlisted.name, undefined);
    assert.match(unlisted.description, /wrong parameters/);
    assert.equal(describeStatusWord(0x9100).code, 'sw.unknown');
    assert.equal(describeStatusWord(0x0000).code, 'sw.unknown');
    assert.equal(describeStatusWord(0x62c1).code, 'sw.unknown');
  });

  it('never throws, even on values that are not status words', () => {
    for (const v of [-1, 0x10000, 1.5, Number.NaN]) {
      assert.equal(describeStatusWord(v).code, 'sw.unknown');
    }
  });
});

describe('status word helpers', () => {
  it('formats status words as SW=XXXX', () => {
    assert.equal(formatStatusWord(0x6982), 'SW=6982');
    assert.equal(formatStatusWord(0x6a82), 'SW=6A82');
    assert.equal(formatStatusWord(0x0001), 'SW=0001');
    assert.equal(formatStatusWord(0x10000), 'SW=????');
  });

  it('reads the counter of 63Cx and nothing else', () => {
    assert.equal(retriesFrom63Cx(0x63c0), 0);
    assert.equal(retriesFrom63Cx(0x63c2), 2);
    assert.equal(retriesFrom63Cx(0x63cf), 15);
    assert.equal(retriesFrom63Cx(0x6300), undefined);
    assert.equal(retriesFrom63Cx(0x63d2), undefined);
    assert.equal(retriesFrom63Cx(0x6983), undefined);
    assert.equal(retriesFrom63Cx(0x163c2), undefined);
  });

  it('reads 61xx and 6Cxx lengths, 00 meaning 256', () => {
    assert.equal(bytesAvailableFrom61xx(0x6110), 0x10);
    assert.equal(bytesAvailableFrom61xx(0x6100), 256);
    assert.equal(bytesAvailableFrom61xx(0x9000), undefined);
    assert.equal(exactLengthFrom6Cxx(0x6c0a), 10);
    assert.equal(exactLengthFrom6Cxx(0x6c00), 256);
    assert.equal(exactLengthFrom6Cxx(0x6700), undefined);
  });
});
