/**
 * The CPS means' error family, and the one place where transport and protocol errors met
 * during a CPS login are translated into it. The CLI exit codes and the PIN pad messages are
 * chosen from these codes.
 */
import { TesseraError } from '../../errors.js';
import { IasEccError } from '../../protocols/iasecc/iasecc-error.js';
import { Iso7816Error } from '../../protocols/iso7816/index.js';
import { PcscError } from '../../transports/pcsc/pcsc-error.js';

export type CpsErrorCode =
  | 'wrong_pin'
  | 'pin_blocked'
  | 'invalid_pin_format'
  /** The PIN pad gave no PIN (the person cancelled, the request was superseded, the pad failed): nothing was presented to the card. */
  | 'pin_entry_cancelled'
  | 'untrusted_certificate'
  | 'bad_signature'
  | 'no_card'
  | 'unsupported_card'
  | 'card_removed'
  | 'card_data_invalid'
  | 'reader_unavailable'
  | 'daemon_unavailable'
  | 'card_error';

/** Why a certificate was not trusted. */
export type CertificateRejection =
  | 'expired'
  | 'not_yet_valid'
  | 'invalid_validity'
  | 'unknown_issuer'
  | 'bad_chain_signature'
  | 'issuer_not_ca'
  | 'chain_too_long'
  | 'no_trust_anchor'
  | 'not_for_authentication'
  | 'unsupported_identifier'
  | 'unsupported_key';

export class CpsError extends TesseraError<CpsErrorCode> {
  readonly layer = 'means' as const;
  readonly retriesLeft: number | undefined;
  readonly reason: CertificateRejection | undefined;
  constructor(code: CpsErrorCode, message: string, extra: { retriesLeft?: number; reason?: CertificateRejection; cause?: unknown } = {}) {
    super(code, message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.retriesLeft = extra.retriesLeft;
    this.reason = extra.reason;
  }
}

export function toCpsError(e: unknown): CpsError {
  if (e instanceof CpsError) return e;
  if (e instanceof PcscError) {
    switch (e.code) {
      case 'no_card': return new CpsError('no_card', e.message, { cause: e });
      case 'card_removed':
      case 'card_reset': return new CpsError('card_removed', e.message, { cause: e });
      case 'reader_unavailable':
      case 'reader_busy': return new CpsError('reader_unavailable', e.message, { cause: e });
      case 'daemon_unavailable': return new CpsError('daemon_unavailable', e.message, { cause: e });
      default: return new CpsError('card_error', e.message, { cause: e });
    }
  }
  if (e instanceof IasEccError) {
    switch (e.code) {
      case 'not_a_cps':
      case 'reference_not_found': return new CpsError('unsupported_card', e.message, { cause: e });
      case 'card_data_invalid': return new CpsError('card_data_invalid', e.message, { cause: e });
      default: return new CpsError('card_error', e.message, { cause: e });
    }
  }
  if (e instanceof Iso7816Error) return new CpsError('card_error', e.message, { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new CpsError('card_error', `unexpected failure: ${msg}`, { cause: e });
}
