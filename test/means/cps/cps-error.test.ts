/**
 * `toCpsError` (src/main/means/cps/cps-error.ts): the one place where transport and protocol
 * errors met during a CPS login become the CPS means' error family.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CpsError, toCpsError, type CpsErrorCode } from '../../../src/main/means/cps/cps-error.js';
import { IasEccError, type IasEccErrorCode } from '../../../src/main/protocols/iasecc/iasecc-error.js';
import { Iso7816Error } from '../../../src/main/protocols/iso7816/iso7816-error.js';
import { PcscError, type PcscErrorCode } from '../../../src/main/transports/pcsc/pcsc-error.js';

function assertMapped(input: unknown, code: CpsErrorCode): CpsError {
  const out = toCpsError(input);
  assert.ok(out instanceof CpsError);
  assert.equal(out.code, code);
  assert.equal(out.layer, 'means');
  return out;
}

describe('toCpsError', () => {
  const pcsc: ReadonlyArray<readonly [PcscErrorCode, CpsErrorCode]> = [
    ['no_card', 'no_card'],
    ['card_removed', 'card_removed'],
    ['card_reset', 'card_removed'],
    ['reader_unavailable', 'reader_unavailable'],
    ['reader_busy', 'reader_unavailable'],
    ['daemon_unavailable', 'daemon_unavailable'],
    ['card_unresponsive', 'card_error'],
    ['timeout', 'card_error'],
    ['cancelled', 'card_error'],
    ['transmit_failed', 'card_error'],
    ['not_connected', 'card_error'],
  ];
  for (const [from, to] of pcsc) {
    it(`PcscError ${from} → ${to}, keeping the message and the cause`, () => {
      const e = new PcscError(from, `SCardTransmit: ${from}`, 0x80100069);
      const out = assertMapped(e, to);
      assert.equal(out.cause, e);
      assert.equal(out.message, e.message);
      assert.equal(out.retriesLeft, undefined);
      assert.equal(out.reason, undefined);
    });
  }

  const iasecc: ReadonlyArray<readonly [IasEccErrorCode, CpsErrorCode]> = [
    ['not_a_cps', 'unsupported_card'],
    ['reference_not_found', 'unsupported_card'],
    ['card_data_invalid', 'card_data_invalid'],
    ['unexpected_status', 'card_error'],
  ];
  for (const [from, to] of iasecc) {
    it(`IasEccError ${from} → ${to}, keeping the cause`, () => {
      const e = new IasEccError(from, `card said ${from}`, 0x6a88);
      const out = assertMapped(e, to);
      assert.equal(out.cause, e);
      assert.equal(out.message, e.message);
    });
  }

  it('Iso7816Error (any code) → card_error', () => {
    for (const e of [
      new Iso7816Error('malformed_response', 'response of 1 byte has no status word'),
      new Iso7816Error('too_many_get_response', 'card still answers 6100', { sw: 0x6100 }),
      new Iso7816Error('tlv_malformed', 'bad TLV'),
    ]) {
      assert.equal(assertMapped(e, 'card_error').cause, e);
    }
  });

  it('a CpsError passes through unchanged (same object, reason and retries kept)', () => {
    const e = new CpsError('wrong_pin', 'wrong PIN, 2 tries left', { retriesLeft: 2 });
    assert.equal(toCpsError(e), e);
    const u = new CpsError('untrusted_certificate', 'expired', { reason: 'expired' });
    assert.equal(toCpsError(u).reason, 'expired');
  });

  it('anything else → card_error "unexpected failure", with the original as cause', () => {
    const err = new TypeError('x is undefined');
    const out = assertMapped(err, 'card_error');
    assert.match(out.message, /^unexpected failure: x is undefined$/);
    assert.equal(out.cause, err);
    assert.match(assertMapped('a string', 'card_error').message, /a string/);
    assert.equal(assertMapped(undefined, 'card_error').cause, undefined);
  });
});
