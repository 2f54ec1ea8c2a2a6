import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTesseraError, TesseraError } from '../../../src/main/errors.js';
import {
  ApduEncodingError,
  isIso7816Error,
  Iso7816Error,
} from '../../../src/main/protocols/iso7816/iso7816-error.js';

describe('Iso7816Error', () => {
  it('belongs to the protocol layer and the Tessera error base', () => {
    const e = new Iso7816Error('tlv_malformed', 'tag at offset 3 is truncated');
    assert.ok(e instanceof TesseraError);
    assert.ok(e instanceof Error);
    assert.ok(isTesseraError(e));
    assert.equal(e.layer, 'protocol');
    assert.equal(e.code, 'tlv_malformed');
    assert.equal(e.name, 'Iso7816Error');
    assert.equal(e.sw, undefined);
    assert.equal(e.ins, undefined);
  });

  it('statusWord() carries the SW and INS and prints them in log form', () => {
    const e = Iso7816Error.statusWord(0x63c2, 0x20);
    assert.equal(e.code, 'status_word');
    assert.equal(e.sw, 0x63c2);
    assert.equal(e.ins, 0x20);
    assert.match(e.message, /SW=63C2/);
    assert.match(e.message, /INS=20/);
    assert.match(e.message, /sw\.counter/);
    assert.match(Iso7816Error.statusWord(0x6a82, 0xa4).message, /INS=A4 .*SW=6A82.*sw\.file_not_found/);
  });

  it('keeps the cause when one is given', () => {
    const cause = new Error('low level');
    const e = new Iso7816Error('malformed_response', 'short', { cause });
    assert.equal(e.cause, cause);
  });

  it('ApduEncodingError is the apdu_encoding member of the same family', () => {
    const e = new ApduEncodingError('cla must be a byte');
    assert.ok(e instanceof Iso7816Error);
    assert.equal(e.code, 'apdu_encoding');
    assert.equal(e.layer, 'protocol');
    assert.equal(e.name, 'ApduEncodingError');
  });

  it('isIso7816Error matches the family and, optionally, one code', () => {
    const e = new Iso7816Error('tlv_too_deep', 'deep');
    assert.equal(isIso7816Error(e), true);
    assert.equal(isIso7816Error(e, 'tlv_too_deep'), true);
    assert.equal(isIso7816Error(e, 'tlv_malformed'), false);
    assert.equal(isIso7816Error(new Error('other')), false);
    assert.equal(isIso7816Error('tlv_too_deep'), false);
  });
});
