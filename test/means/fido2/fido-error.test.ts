/**
 * The FIDO2 means' error mapping (the one place transport and protocol errors become means
 * codes) and the sentences people read for each code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFidoError, FidoError, type FidoErrorCode } from '../../../src/main/means/fido2/index.js';
import { Ctap2Error, CTAP_STATUS } from '../../../src/main/protocols/ctap2/index.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import { message } from '../../../src/main/i18n/messages.js';

const ALL_CODES: FidoErrorCode[] = [
  'wrong_pin', 'pin_blocked', 'pin_auth_blocked', 'pin_policy', 'pin_not_set', 'pin_already_set', 'uv_unavailable', 'uv_failed', 'uv_blocked',
  'bad_signature', 'assertion_invalid', 'possible_clone', 'user_presence_timeout', 'no_device', 'device_removed', 'not_enrolled',
  'already_enrolled', 'revoked', 'unsupported_key', 'unsupported_attestation', 'enrolment_refused', 'store_invalid', 'cancelled', 'device_error',
];

describe('FIDO2 error mapping', () => {
  it('maps CTAP statuses', () => {
    const cases: Array<[number, FidoErrorCode]> = [
      [CTAP_STATUS.CTAP2_ERR_PIN_INVALID, 'wrong_pin'],
      [CTAP_STATUS.CTAP2_ERR_PIN_BLOCKED, 'pin_blocked'],
      [CTAP_STATUS.CTAP2_ERR_PIN_AUTH_BLOCKED, 'pin_auth_blocked'],
      [CTAP_STATUS.CTAP2_ERR_PIN_NOT_SET, 'pin_not_set'],
      [CTAP_STATUS.CTAP2_ERR_PIN_POLICY_VIOLATION, 'pin_policy'],
      [CTAP_STATUS.CTAP2_ERR_OPERATION_DENIED, 'user_presence_timeout'],
      [CTAP_STATUS.CTAP2_ERR_USER_ACTION_TIMEOUT, 'user_presence_timeout'],
      [CTAP_STATUS.CTAP2_ERR_ACTION_TIMEOUT, 'user_presence_timeout'],
      [CTAP_STATUS.CTAP2_ERR_KEEPALIVE_CANCEL, 'user_presence_timeout'],
      [CTAP_STATUS.CTAP2_ERR_UV_INVALID, 'uv_failed'],
      [CTAP_STATUS.CTAP2_ERR_UV_BLOCKED, 'uv_blocked'],
      [CTAP_STATUS.CTAP2_ERR_NO_CREDENTIALS, 'not_enrolled'],
      [CTAP_STATUS.CTAP2_ERR_CREDENTIAL_EXCLUDED, 'already_enrolled'],
      [CTAP_STATUS.CTAP2_ERR_UNSUPPORTED_ALGORITHM, 'unsupported_key'],
      [CTAP_STATUS.CTAP1_ERR_OTHER, 'device_error'],
      [0xf3, 'device_error'],
    ];
    for (const [status, code] of cases) assert.equal(toFidoError(Ctap2Error.fromStatus(status, 'x')).code, code, `0x${status.toString(16)}`);
  });

  it('maps protocol and transport errors, keeps FidoErrors, wraps the unexpected', () => {
    assert.equal(toFidoError(new Ctap2Error('bad_signature', 'x')).code, 'bad_signature');
    assert.equal(toFidoError(new Ctap2Error('rp_id_mismatch', 'x')).reason, 'rp_id_mismatch');
    assert.equal(toFidoError(new Ctap2Error('possible_clone', 'x')).code, 'possible_clone');
    assert.equal(toFidoError(new Ctap2Error('invalid_cbor', 'x')).code, 'device_error');
    assert.equal(toFidoError(new Ctap2Error('unsupported_attestation', 'x')).code, 'unsupported_attestation');
    assert.equal(toFidoError(new CtapTransportError('device_not_found', 'x')).code, 'no_device');
    assert.equal(toFidoError(new CtapTransportError('device_removed', 'x')).code, 'device_removed');
    assert.equal(toFidoError(new CtapTransportError('timeout', 'x')).code, 'user_presence_timeout');
    assert.equal(toFidoError(new CtapTransportError('cancelled', 'x')).code, 'cancelled');
    assert.equal(toFidoError(new CtapTransportError('invalid_frame', 'x')).code, 'device_error');
    const own = new FidoError('revoked', 'x');
    assert.equal(toFidoError(own), own);
    const odd = toFidoError(new TypeError('boom'));
    assert.equal(odd.code, 'device_error');
    assert.ok(odd.cause instanceof TypeError);
  });

  it('every code has its own sentence in French and English (no fallback to "internal")', () => {
    for (const code of ALL_CODES) {
      for (const lang of ['fr', 'en'] as const) {
        const text = message(code, lang, { retriesLeft: 2 });
        assert.ok(!text.startsWith(lang === 'fr' ? 'Erreur interne' : 'Internal error'), `${code} (${lang})`);
      }
    }
    assert.match(message('wrong_pin', 'fr', { retriesLeft: 2 }), /2 essais restants/);
    assert.match(message('pin_auth_blocked', 'en', { retriesLeft: 5 }), /unplug the key/);
  });
});
