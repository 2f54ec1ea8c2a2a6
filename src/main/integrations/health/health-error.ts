/**
 * Errors of the health probes (integrations layer). A probe reports an unreachable provider as a
 * result, never as an error: these codes are for a probe that cannot be set up at all.
 */
import { TesseraError } from '../../errors.js';

export type HealthErrorCode =
  /** The URL to probe is not an http(s) URL. */
  'probe_invalid_url';

export class HealthError extends TesseraError<HealthErrorCode> {
  readonly layer = 'integration' as const;
}
