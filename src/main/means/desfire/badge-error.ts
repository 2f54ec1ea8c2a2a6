/**
 * Errors of the DESFire badge means. Lower-layer errors (DESFire status words, integrity
 * failures, PC/SC faults) are translated here, once, by `toBadgeError`; KMS errors
 * (integration layer, codes `kms_*`) pass through unchanged because they are already typed.
 */
import { TesseraError, isTesseraError } from '../../errors.js';
import { isDesfireError } from '../../protocols/desfire/desfire-error.js';

export type BadgeErrorCode =
  /** The badge did not prove the expected key (wrong key, wrong diversification, unknown key). */
  | 'auth_failed'
  /** A response MAC/CRC from the card did not verify: the exchange was tampered with or broken. */
  | 'integrity'
  | 'no_card'
  /** Not a DESFire card. */
  | 'unsupported_card'
  | 'card_removed'
  /** Identity, PIN or value data on the badge is malformed. */
  | 'card_data_invalid'
  /** DESFire card without the establishment application, or an enrolment id the register does not know. */
  | 'badge_not_enrolled'
  | 'badge_revoked'
  | 'wrong_pin'
  | 'pin_blocked'
  | 'badge_pin_format'
  /** Enrolment refused: no valid two-factor proof of the person or of an operator. */
  | 'enrolment_refused'
  /** Enrolment refused: the badge already holds the establishment application. */
  | 'badge_not_blank'
  /** Enrolment, re-key or revocation refused: it cannot be recorded in the audit trail first (nothing was changed). */
  | 'audit_unavailable'
  /** The enrolment register / revocation list file is unreadable or malformed. */
  | 'register_invalid'
  /** Any other card answer. */
  | 'card_error';

export class BadgeError extends TesseraError<BadgeErrorCode> {
  readonly layer = 'means' as const;
  readonly retriesLeft: number | undefined;
  readonly reason: string | undefined;

  constructor(code: BadgeErrorCode, message: string, details: { retriesLeft?: number; reason?: string; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.retriesLeft = details.retriesLeft;
    this.reason = details.reason;
  }
}

const FROM_DESFIRE: Readonly<Record<string, BadgeErrorCode>> = {
  authentication_error: 'auth_failed',
  no_such_key: 'auth_failed',
  pcd_authentication_delay: 'auth_failed',
  integrity: 'integrity',
  integrity_error: 'integrity',
  application_not_found: 'badge_not_enrolled',
  file_not_found: 'badge_not_enrolled',
  card_data_invalid: 'card_data_invalid',
  length_error: 'card_data_invalid',
  chaining_limit: 'card_data_invalid',
};

const FROM_TRANSPORT: Readonly<Record<string, BadgeErrorCode>> = {
  card_removed: 'card_removed',
  card_reset: 'card_removed',
  no_card: 'no_card',
};

/** Maps any error raised during a badge operation to the badge family (KMS and config errors kept). */
export function toBadgeError(e: unknown): TesseraError {
  if (e instanceof BadgeError) return e;
  if (isDesfireError(e)) {
    const code = FROM_DESFIRE[e.code] ?? 'card_error';
    const sw = e.sw !== undefined ? ` SW=${e.sw.toString(16).toUpperCase()}` : '';
    return new BadgeError(code, `${e.message}${sw}`, { cause: e });
  }
  if (isTesseraError(e)) {
    if (e.layer === 'transport') {
      const code = FROM_TRANSPORT[e.code];
      if (code) return new BadgeError(code, e.message, { cause: e });
      return e;
    }
    if (e.layer === 'protocol') return new BadgeError('card_error', e.message, { cause: e });
    return e;
  }
  return new BadgeError('card_error', e instanceof Error ? e.message : String(e), { cause: e });
}
