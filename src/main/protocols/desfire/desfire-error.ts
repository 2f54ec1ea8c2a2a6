/**
 * The one error family of the DESFire protocol layer.
 *
 * Card statuses (`91xx`, MIFARE DESFire EV1/EV2 datasheets, "status and error codes") map to
 * their own codes; `integrity` is reserved for a response MAC or CRC that WE computed and found
 * wrong (the card's own 911E is `integrity_error`). Messages may carry a status word and a
 * command byte, never key material, RndA/RndB or file data. Transport failures (card pulled,
 * daemon gone) keep their own family (`PcscError`) and are not wrapped.
 */
import { TesseraError } from '../../errors.js';

export type DesfireErrorCode =
  // Card status words (SW1 = 91).
  | 'authentication_error' // 91AE, or the card's RndA' did not match (mutual check failed)
  | 'permission_denied' // 919D
  | 'application_not_found' // 91A0
  | 'file_not_found' // 91F0
  | 'length_error' // 917E
  | 'integrity_error' // 911E (the card says our MAC/CRC/padding was wrong)
  | 'boundary_error' // 91BE
  | 'no_such_key' // 9140
  | 'duplicate_error' // 91DE
  | 'parameter_error' // 919E
  | 'command_aborted' // 91CA
  | 'out_of_eeprom' // 910E
  | 'illegal_command' // 911C
  | 'no_changes' // 910C
  | 'memory_error' // 91EE
  | 'pcd_authentication_delay' // 91AD
  | 'unexpected_status' // any other status word
  // Our own verdicts.
  | 'integrity' // response MAC/CRC/padding computed by us does not verify: the session is dropped
  | 'card_data_invalid' // a response of the wrong length or structure
  | 'chaining_limit' // the card kept answering 91AF beyond the bound
  | 'not_authenticated' // a secure-messaging command without a session
  | 'invalid_argument'; // a caller-side value outside the spec (key length, AID size, offsets...)

export class DesfireError extends TesseraError<DesfireErrorCode> {
  override readonly layer = 'protocol' as const;
  /** Status word returned by the card, when the error is about one (0x91xx). */
  readonly sw: number | undefined;
  /** Native DESFire command byte concerned, when known. */
  readonly cmd: number | undefined;

  constructor(code: DesfireErrorCode, message: string, details: { sw?: number; cmd?: number; cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.sw = details.sw;
    this.cmd = details.cmd;
  }
}

export function isDesfireError(e: unknown): e is DesfireError {
  return e instanceof DesfireError;
}
