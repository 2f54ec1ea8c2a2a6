/**
 * The FIDO2 means' error family, and the one place where CTAP transport and protocol errors met
 * while enrolling or verifying a key are translated into it. CLI exit codes and what a person
 * reads are chosen from these codes.
 */
import { TesseraError } from '../../errors.js';
import { Ctap2Error } from '../../protocols/ctap2/ctap2-error.js';
import { CTAP_STATUS } from '../../protocols/ctap2/status-codes.js';
import { CtapTransportError } from '../../transports/ctap/ctap-error.js';

export type FidoErrorCode =
  | 'wrong_pin'
  | 'pin_blocked'
  /** Three wrong PINs in a row: the key must be unplugged and plugged back (CTAP 2.1 §6.5.5.7). */
  | 'pin_auth_blocked'
  | 'pin_policy'
  | 'pin_not_set'
  | 'pin_already_set'
  /** The key can neither check a PIN nor a fingerprint: touch-only keys do not count (RIE). */
  | 'uv_unavailable'
  | 'uv_failed'
  | 'uv_blocked'
  | 'bad_signature'
  /** Signed, but for another rpId or without the UP/UV flags. */
  | 'assertion_invalid'
  | 'possible_clone'
  | 'user_presence_timeout'
  | 'no_device'
  | 'device_removed'
  | 'not_enrolled'
  | 'already_enrolled'
  | 'revoked'
  | 'unsupported_key'
  | 'unsupported_attestation'
  | 'enrolment_refused'
  | 'store_invalid'
  | 'cancelled'
  | 'device_error';

export class FidoError extends TesseraError<FidoErrorCode> {
  readonly layer = 'means' as const;
  readonly retriesLeft: number | undefined;
  readonly reason: string | undefined;
  constructor(code: FidoErrorCode, message: string, extra: { retriesLeft?: number; reason?: string; cause?: unknown } = {}) {
    super(code, message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.retriesLeft = extra.retriesLeft;
    this.reason = extra.reason;
  }
}

const S = CTAP_STATUS;

function fromStatus(e: Ctap2Error): FidoError {
  const m = e.message;
  switch (e.status) {
    case S.CTAP2_ERR_PIN_INVALID: return new FidoError('wrong_pin', m, { cause: e });
    case S.CTAP2_ERR_PIN_BLOCKED: return new FidoError('pin_blocked', m, { cause: e });
    case S.CTAP2_ERR_PIN_AUTH_BLOCKED: return new FidoError('pin_auth_blocked', m, { cause: e });
    case S.CTAP2_ERR_PIN_NOT_SET: return new FidoError('pin_not_set', m, { cause: e });
    case S.CTAP2_ERR_PIN_POLICY_VIOLATION: return new FidoError('pin_policy', m, { cause: e });
    case S.CTAP2_ERR_OPERATION_DENIED:
    case S.CTAP2_ERR_USER_ACTION_TIMEOUT:
    case S.CTAP2_ERR_ACTION_TIMEOUT:
    case S.CTAP2_ERR_KEEPALIVE_CANCEL:
    case S.CTAP2_ERR_UP_REQUIRED: return new FidoError('user_presence_timeout', m, { cause: e });
    case S.CTAP2_ERR_UV_INVALID: return new FidoError('uv_failed', m, { cause: e });
    case S.CTAP2_ERR_UV_BLOCKED: return new FidoError('uv_blocked', m, { cause: e });
    case S.CTAP2_ERR_NO_CREDENTIALS:
    case S.CTAP2_ERR_INVALID_CREDENTIAL: return new FidoError('not_enrolled', m, { cause: e });
    case S.CTAP2_ERR_CREDENTIAL_EXCLUDED: return new FidoError('already_enrolled', m, { cause: e });
    case S.CTAP2_ERR_UNSUPPORTED_ALGORITHM: return new FidoError('unsupported_key', m, { cause: e });
    default: return new FidoError('device_error', m, { cause: e });
  }
}

export function toFidoError(e: unknown): FidoError {
  if (e instanceof FidoError) return e;
  if (e instanceof Ctap2Error) {
    switch (e.code) {
      case 'ctap_status': return fromStatus(e);
      case 'bad_signature': return new FidoError('bad_signature', e.message, { cause: e });
      case 'rp_id_mismatch':
      case 'user_presence_missing':
      case 'user_verification_missing': return new FidoError('assertion_invalid', e.message, { cause: e, reason: e.code });
      case 'possible_clone': return new FidoError('possible_clone', e.message, { cause: e });
      case 'unsupported_cose_key':
      case 'unsupported_pin_protocol': return new FidoError('unsupported_key', e.message, { cause: e });
      case 'unsupported_attestation': return new FidoError('unsupported_attestation', e.message, { cause: e });
      case 'invalid_pin': return new FidoError('pin_policy', e.message, { cause: e });
      default: return new FidoError('device_error', e.message, { cause: e, reason: e.code });
    }
  }
  if (e instanceof CtapTransportError) {
    switch (e.code) {
      case 'device_not_found':
      case 'invalid_uri':
      case 'nfc_select_failed': return new FidoError('no_device', e.message, { cause: e });
      case 'device_removed': return new FidoError('device_removed', e.message, { cause: e });
      case 'timeout': return new FidoError('user_presence_timeout', e.message, { cause: e });
      case 'cancelled': return new FidoError('cancelled', e.message, { cause: e });
      default: return new FidoError('device_error', e.message, { cause: e, reason: e.code });
    }
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new FidoError('device_error', `unexpected failure: ${msg}`, { cause: e });
}
