/**
 * 91xx status mapping: the DESFire status table, verbatim, to `DesfireError` codes.
 * Unknown status bytes stay representable (`unexpected_status` with the status word).
 */
import { DesfireError, type DesfireErrorCode } from './desfire-error.js';
import { STATUS } from './constants.js';

const STATUS_CODES: ReadonlyMap<number, DesfireErrorCode> = new Map<number, DesfireErrorCode>([
  [STATUS.NO_CHANGES, 'no_changes'],
  [STATUS.OUT_OF_EEPROM, 'out_of_eeprom'],
  [STATUS.ILLEGAL_COMMAND, 'illegal_command'],
  [STATUS.INTEGRITY_ERROR, 'integrity_error'],
  [STATUS.NO_SUCH_KEY, 'no_such_key'],
  [STATUS.LENGTH_ERROR, 'length_error'],
  [STATUS.PERMISSION_DENIED, 'permission_denied'],
  [STATUS.PARAMETER_ERROR, 'parameter_error'],
  [STATUS.APPLICATION_NOT_FOUND, 'application_not_found'],
  [STATUS.AUTHENTICATION_DELAY, 'pcd_authentication_delay'],
  [STATUS.AUTHENTICATION_ERROR, 'authentication_error'],
  [STATUS.BOUNDARY_ERROR, 'boundary_error'],
  [STATUS.COMMAND_ABORTED, 'command_aborted'],
  [STATUS.DUPLICATE_ERROR, 'duplicate_error'],
  [STATUS.MEMORY_ERROR, 'memory_error'],
  [STATUS.FILE_NOT_FOUND, 'file_not_found'],
]);

/** The error for a status word that is neither 9100 nor 91AF. */
export function statusError(sw: number, cmd: number): DesfireError {
  const sw1 = sw >> 8;
  const code = sw1 === 0x91 ? (STATUS_CODES.get(sw & 0xff) ?? 'unexpected_status') : 'unexpected_status';
  const swHex = sw.toString(16).toUpperCase().padStart(4, '0');
  const cmdHex = cmd.toString(16).toUpperCase().padStart(2, '0');
  return new DesfireError(code, `CMD=${cmdHex} failed with SW=${swHex}`, { sw, cmd });
}
