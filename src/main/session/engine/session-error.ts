/**
 * The session layer's error family. Configuration mistakes are `ConfigError`s (they name the
 * setting and the allowed values); these are the engine's own failures.
 */
import { TesseraError } from '../../errors.js';

export type SessionErrorCode =
  /** A decision listener (the audit trail) failed: a permissive decision did not take effect. */
  | 'decision_not_recorded';

export class SessionError extends TesseraError<SessionErrorCode> {
  readonly layer = 'session' as const;
}
