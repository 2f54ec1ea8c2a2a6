/** The desktop shell's error family (local secrets). Messages are for logs; no secret in them. */
import { TesseraError } from '../errors.js';

export type ShellErrorCode =
  /** The OS offers no real encryption for local secrets (no keychain / DPAPI / secret service). */
  | 'secret_storage_unavailable'
  /** A stored secret could not be read back (tampered, truncated, another user's or machine's). */
  | 'secret_unreadable'
  /** A secret name outside `[a-z0-9-]{1,64}`. */
  | 'secret_name_invalid';

export class ShellError extends TesseraError<ShellErrorCode> {
  readonly layer = 'shell' as const;
}
