/**
 * The UI core's error family: what the PIN pad answers the means that asked for a PIN when the
 * person did not give one. The login fails with this code (recorded as a failed authentication)
 * instead of waiting for ever.
 */
import { TesseraError } from '../../errors.js';

export type UiErrorCode =
  /** The person cancelled the PIN pad. */
  | 'pin_cancelled'
  /** The card was pulled, another card came, or another PIN request replaced this one. */
  | 'pin_superseded'
  /** The UI core stopped while the PIN pad was open. */
  | 'ui_stopped';

export class UiError extends TesseraError<UiErrorCode> {
  readonly layer = 'shell' as const;
}
