import { TesseraError } from '../../errors.js';
import { ctapStatusName } from './status-codes.js';

/**
 * Failures of the CTAP2 protocol layer: what the authenticator sent is malformed or does not
 * verify, or it answered a command with a non-zero CTAP status (`ctap_status`, with `status`).
 * Transport failures (unplugged, timeout) stay the transport's errors; the FIDO2 means
 * translates both families into its own codes.
 */
export type Ctap2ErrorCode =
  | 'invalid_cbor'
  | 'invalid_response'
  | 'ctap_status'
  | 'invalid_auth_data'
  | 'invalid_cose_key'
  | 'unsupported_cose_key'
  | 'unsupported_attestation'
  | 'invalid_attestation'
  | 'bad_signature'
  | 'rp_id_mismatch'
  | 'user_presence_missing'
  | 'user_verification_missing'
  | 'possible_clone'
  | 'unsupported_pin_protocol'
  | 'invalid_pin'
  | 'invalid_argument';

export class Ctap2Error extends TesseraError<Ctap2ErrorCode> {
  readonly layer = 'protocol' as const;
  /** CTAP status byte when `code === 'ctap_status'`. */
  readonly status: number | undefined;
  constructor(code: Ctap2ErrorCode, message: string, extra: { status?: number; cause?: unknown } = {}) {
    super(code, message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.status = extra.status;
  }

  static fromStatus(status: number, command: string): Ctap2Error {
    return new Ctap2Error('ctap_status', `${command}: ${ctapStatusName(status)} (0x${status.toString(16).padStart(2, '0')})`, { status });
  }
}
