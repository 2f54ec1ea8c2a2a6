/**
 * Errors of the KMS backends (integrations layer). Codes are stable (CLI JSON, audit, tests);
 * messages never carry key material or the token PIN.
 */
import { TesseraError } from '../../errors.js';

export type KmsErrorCode =
  /** The KMS configuration file is missing, not JSON, or a field is wrong (the message names it). */
  | 'kms_config_invalid'
  /** The file backend's key file can be read or written by group/others: refused at start. */
  | 'kms_insecure_file'
  /** No master key is configured for this (AID, key number). */
  | 'kms_key_unknown'
  /** The PKCS#11 token (module, slot, label, key object) cannot be reached or used. */
  | 'kms_unavailable'
  /** The environment variable that should hold the token PIN is not set. */
  | 'kms_pin_missing'
  /** The token refused the login (wrong PIN, PIN locked). */
  | 'kms_login_failed'
  /** Bad input to a derivation (UID or AID length). */
  | 'kms_bad_input';

export class KmsError extends TesseraError<KmsErrorCode> {
  readonly layer = 'integration' as const;
  /** What an administrator reads after the sentence (names the file and field; never a key or PIN). */
  readonly reason: string | undefined;

  constructor(code: KmsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.reason = code === 'kms_config_invalid' || code === 'kms_insecure_file' || code === 'kms_unavailable' ? message : undefined;
  }
}
