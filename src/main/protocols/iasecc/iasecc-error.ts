import { TesseraError } from '../../errors.js';

/**
 * Failures of the CPS (IAS-ECC) command set that are about the card, not the transmission:
 * the card is not a CPS, its data is malformed, or it answered outside docs/cps-profile.md.
 * Expected outcomes (wrong PIN, blocked PIN) are results, not errors: see `cps-commands.ts`.
 */
export type IasEccErrorCode = 'not_a_cps' | 'card_data_invalid' | 'unexpected_status' | 'reference_not_found';

export class IasEccError extends TesseraError<IasEccErrorCode> {
  readonly layer = 'protocol' as const;
  constructor(code: IasEccErrorCode, message: string, readonly sw?: number, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
