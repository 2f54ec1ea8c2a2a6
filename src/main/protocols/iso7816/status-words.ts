/**
 * ISO/IEC 7816-4 status words (SW1-SW2), as data.
 *
 * `SW` holds the interindustry values with a single meaning, named after the spec's wording.
 * Three families carry a value in SW2 and are handled by functions rather than constants:
 * `61xx` (xx more response bytes available), `6Cxx` (wrong Le, xx is the exact length) and
 * `63Cx` (a counter, for VERIFY the number of tries left). Every other value, including the
 * proprietary ones, is still representable: `describeStatusWord` returns `sw.unknown` for it.
 *
 * Callers test status words against this table; no other module spells a status word out.
 */

export const SW = {
  // Normal processing
  NO_ERROR: 0x9000,
  // Warning processing, state of non-volatile memory unchanged (62xx)
  WARNING_STATE_UNCHANGED: 0x6200,
  DATA_MAY_BE_CORRUPTED: 0x6281,
  END_OF_FILE_REACHED: 0x6282,
  SELECTED_FILE_DEACTIVATED: 0x6283,
  FCI_NOT_FORMATTED: 0x6284,
  SELECTED_FILE_IN_TERMINATION_STATE: 0x6285,
  NO_INPUT_DATA_FROM_SENSOR: 0x6286,
  // Warning processing, state of non-volatile memory changed (63xx)
  WARNING_STATE_CHANGED: 0x6300,
  FILE_FILLED_UP: 0x6381,
  // Execution errors (64xx unchanged, 65xx changed, 66xx security)
  EXECUTION_ERROR: 0x6400,
  IMMEDIATE_RESPONSE_REQUIRED: 0x6401,
  EXECUTION_ERROR_STATE_CHANGED: 0x6500,
  MEMORY_FAILURE: 0x6581,
  SECURITY_RELATED_ISSUE: 0x6600,
  // Checking errors
  WRONG_LENGTH: 0x6700,
  CLA_FUNCTION_NOT_SUPPORTED: 0x6800,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  COMMAND_CHAINING_NOT_SUPPORTED: 0x6884,
  COMMAND_NOT_ALLOWED: 0x6900,
  COMMAND_INCOMPATIBLE_WITH_FILE_STRUCTURE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_CURRENT_EF: 0x6986,
  SM_DATA_OBJECTS_MISSING: 0x6987,
  SM_DATA_OBJECTS_INCORRECT: 0x6988,
  WRONG_PARAMETERS_NO_INFO: 0x6a00,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  NC_INCONSISTENT_WITH_TLV: 0x6a85,
  INCORRECT_P1P2: 0x6a86,
  NC_INCONSISTENT_WITH_P1P2: 0x6a87,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  FILE_ALREADY_EXISTS: 0x6a89,
  DF_NAME_ALREADY_EXISTS: 0x6a8a,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

export type SwName = keyof typeof SW;

/** Short English meaning of each named status word, for logs (never shown to users). */
const DESCRIPTIONS: { readonly [K in SwName]: string } = {
  NO_ERROR: 'normal processing',
  WARNING_STATE_UNCHANGED: 'warning, non-volatile memory unchanged, no further information',
  DATA_MAY_BE_CORRUPTED: 'part of the returned data may be corrupted',
  END_OF_FILE_REACHED: 'end of file or record reached before Ne bytes were read',
  SELECTED_FILE_DEACTIVATED: 'selected file is deactivated',
  FCI_NOT_FORMATTED: 'file control information is not formatted as ISO 7816-4 specifies',
  SELECTED_FILE_IN_TERMINATION_STATE: 'selected file is in termination state',
  NO_INPUT_DATA_FROM_SENSOR: 'no input data available from a sensor on the card',
  WARNING_STATE_CHANGED: 'warning, non-volatile memory changed, no further information',
  FILE_FILLED_UP: 'file filled up by the last write',
  EXECUTION_ERROR: 'execution error, non-volatile memory unchanged',
  IMMEDIATE_RESPONSE_REQUIRED: 'card requires an immediate response',
  EXECUTION_ERROR_STATE_CHANGED: 'execution error, non-volatile memory changed',
  MEMORY_FAILURE: 'memory failure',
  SECURITY_RELATED_ISSUE: 'security-related issue',
  WRONG_LENGTH: 'wrong length',
  CLA_FUNCTION_NOT_SUPPORTED: 'function requested in CLA not supported',
  LOGICAL_CHANNEL_NOT_SUPPORTED: 'logical channel not supported',
  SECURE_MESSAGING_NOT_SUPPORTED: 'secure messaging not supported',
  LAST_COMMAND_OF_CHAIN_EXPECTED: 'last command of the chain expected',
  COMMAND_CHAINING_NOT_SUPPORTED: 'command chaining not supported',
  COMMAND_NOT_ALLOWED: 'command not allowed, no further information',
  COMMAND_INCOMPATIBLE_WITH_FILE_STRUCTURE: 'command incompatible with file structure',
  SECURITY_STATUS_NOT_SATISFIED: 'security status not satisfied',
  AUTH_METHOD_BLOCKED: 'authentication method blocked',
  REFERENCE_DATA_NOT_USABLE: 'reference data not usable',
  CONDITIONS_NOT_SATISFIED: 'conditions of use not satisfied',
  COMMAND_NOT_ALLOWED_NO_CURRENT_EF: 'command not allowed, no current EF',
  SM_DATA_OBJECTS_MISSING: 'expected secure messaging data objects missing',
  SM_DATA_OBJECTS_INCORRECT: 'secure messaging data objects incorrect',
  WRONG_PARAMETERS_NO_INFO: 'wrong parameters P1-P2, no further information',
  WRONG_DATA: 'incorrect parameters in the command data field',
  FUNCTION_NOT_SUPPORTED: 'function not supported',
  FILE_NOT_FOUND: 'file or application not found',
  RECORD_NOT_FOUND: 'record not found',
  NOT_ENOUGH_MEMORY: 'not enough memory space in the file',
  NC_INCONSISTENT_WITH_TLV: 'Nc inconsistent with TLV structure',
  INCORRECT_P1P2: 'incorrect parameters P1-P2',
  NC_INCONSISTENT_WITH_P1P2: 'Nc inconsistent with parameters P1-P2',
  REFERENCED_DATA_NOT_FOUND: 'referenced data or reference data not found',
  FILE_ALREADY_EXISTS: 'file already exists',
  DF_NAME_ALREADY_EXISTS: 'DF name already exists',
  WRONG_P1P2: 'wrong parameters P1-P2',
  INS_NOT_SUPPORTED: 'instruction code not supported or invalid',
  CLA_NOT_SUPPORTED: 'class not supported',
  NO_PRECISE_DIAGNOSIS: 'no precise diagnosis',
};

/** Meaning of SW1 alone, used to describe status words absent from the table. */
const SW1_GROUPS: ReadonlyMap<number, string> = new Map([
  [0x62, 'warning, non-volatile memory unchanged'],
  [0x63, 'warning, non-volatile memory changed'],
  [0x64, 'execution error, non-volatile memory unchanged'],
  [0x65, 'execution error, non-volatile memory changed'],
  [0x66, 'security-related issue'],
  [0x68, 'function in CLA not supported'],
  [0x69, 'command not allowed'],
  [0x6a, 'wrong parameters P1-P2'],
]);

const NAME_BY_SW: ReadonlyMap<number, SwName> = new Map(
  (Object.keys(SW) as SwName[]).map((name) => [SW[name], name] as const),
);

/** Stable code of a status word, for logs, audit records and tests. */
export type StatusWordCode =
  | `sw.${Lowercase<SwName>}`
  | 'sw.bytes_available'
  | 'sw.wrong_le'
  | 'sw.counter'
  | 'sw.triggering_by_card'
  | 'sw.unknown';

export interface StatusWordInfo {
  readonly sw: number;
  /** Stable code: `sw.security_status_not_satisfied`, `sw.counter`, `sw.unknown`, ... */
  readonly code: StatusWordCode;
  /** Key in `SW` when the status word is one of the named values. */
  readonly name: SwName | undefined;
  /** Short English description for logs. */
  readonly description: string;
}

function isStatusWord(sw: number): boolean {
  return Number.isInteger(sw) && sw >= 0 && sw <= 0xffff;
}

/** `SW=6982`: the form status words take in every log line and error message. */
export function formatStatusWord(sw: number): string {
  if (!isStatusWord(sw)) return 'SW=????';
  return `SW=${sw.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** For `61xx`: how many more response bytes the card holds (xx = 00 means 256), else undefined. */
export function bytesAvailableFrom61xx(sw: number): number | undefined {
  if (!isStatusWord(sw) || sw >> 8 !== 0x61) return undefined;
  return (sw & 0xff) === 0 ? 256 : sw & 0xff;
}

/** For `6Cxx`: the exact Le the card asks for (xx = 00 means 256), else undefined. */
export function exactLengthFrom6Cxx(sw: number): number | undefined {
  if (!isStatusWord(sw) || sw >> 8 !== 0x6c) return undefined;
  return (sw & 0xff) === 0 ? 256 : sw & 0xff;
}

/** For `63Cx`: the counter x (0..15); after VERIFY, the tries left. Otherwise undefined. */
export function retriesFrom63Cx(sw: number): number | undefined {
  if (!isStatusWord(sw) || (sw & 0xfff0) !== 0x63c0) return undefined;
  return sw & 0x0f;
}

/** Stable code and log description of any status word; never throws. */
export function describeStatusWord(sw: number): StatusWordInfo {
  if (!isStatusWord(sw)) {
    return { sw, code: 'sw.unknown', name: undefined, description: 'not a status word (outside 0000..FFFF)' };
  }
  const name = NAME_BY_SW.get(sw);
  if (name !== undefined) {
    return { sw, code: `sw.${name.toLowerCase() as Lowercase<SwName>}`, name, description: DESCRIPTIONS[name] };
  }
  const available = bytesAvailableFrom61xx(sw);
  if (available !== undefined) {
    return { sw, code: 'sw.bytes_available', name: undefined, description: `${available} more response bytes available` };
  }
  const exact = exactLengthFrom6Cxx(sw);
  if (exact !== undefined) {
    return { sw, code: 'sw.wrong_le', name: undefined, description: `wrong Le field, exact length is ${exact}` };
  }
  const counter = retriesFrom63Cx(sw);
  if (counter !== undefined) {
    return {
      sw,
      code: 'sw.counter',
      name: undefined,
      description: `counter is ${counter} (after VERIFY: tries left)`,
    };
  }
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  if ((sw1 === 0x62 || sw1 === 0x64) && sw2 >= 0x02 && sw2 <= 0x80) {
    return { sw, code: 'sw.triggering_by_card', name: undefined, description: 'triggering by the card' };
  }
  const group = SW1_GROUPS.get(sw1);
  return {
    sw,
    code: 'sw.unknown',
    name: undefined,
    description: group === undefined ? 'unknown or proprietary status word' : `unlisted status word (${group})`,
  };
}
