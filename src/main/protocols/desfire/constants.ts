/**
 * MIFARE DESFire native command codes, status codes and encodings used by Tessera.
 * Sources: NXP MIFARE DESFire EV1 datasheet (MF3ICD81), EV2 datasheet (MF3DX2), AN12343
 * ("MIFARE DESFire Light features and hints", EV2 secure messaging), AN12752 (EV3 features),
 * libfreefare's `mifare_desfire.c` (public reference). See docs/desfire-protocol.md.
 */

/** Native command bytes (ISO 7816-4 wrapped as INS with CLA 90). */
export const CMD = {
  AUTHENTICATE_AES: 0xaa,
  AUTHENTICATE_EV2_FIRST: 0x71,
  ADDITIONAL_FRAME: 0xaf,
  GET_VERSION: 0x60,
  GET_APPLICATION_IDS: 0x6a,
  SELECT_APPLICATION: 0x5a,
  CREATE_APPLICATION: 0xca,
  DELETE_APPLICATION: 0xda,
  FORMAT_PICC: 0xfc,
  GET_CARD_UID: 0x51,
  GET_KEY_VERSION: 0x64,
  CHANGE_KEY: 0xc4,
  CREATE_STD_DATA_FILE: 0xcd,
  CREATE_VALUE_FILE: 0xcc,
  READ_DATA: 0xbd,
  WRITE_DATA: 0x3d,
  GET_VALUE: 0x6c,
  CREDIT: 0x0c,
  DEBIT: 0xdc,
  COMMIT_TRANSACTION: 0xc7,
} as const;

/** ISO 7816-4 wrapping: CLA of every native command, P1 = P2 = 00, Le = 00. */
export const DESFIRE_CLA = 0x90;
/** SW1 of every native status. */
export const DESFIRE_SW1 = 0x91;

/** Native status codes (second status byte after 91). */
export const STATUS = {
  OPERATION_OK: 0x00,
  NO_CHANGES: 0x0c,
  OUT_OF_EEPROM: 0x0e,
  ILLEGAL_COMMAND: 0x1c,
  INTEGRITY_ERROR: 0x1e,
  NO_SUCH_KEY: 0x40,
  LENGTH_ERROR: 0x7e,
  PERMISSION_DENIED: 0x9d,
  PARAMETER_ERROR: 0x9e,
  APPLICATION_NOT_FOUND: 0xa0,
  AUTHENTICATION_DELAY: 0xad,
  AUTHENTICATION_ERROR: 0xae,
  ADDITIONAL_FRAME: 0xaf,
  BOUNDARY_ERROR: 0xbe,
  COMMAND_ABORTED: 0xca,
  DUPLICATE_ERROR: 0xde,
  MEMORY_ERROR: 0xee,
  FILE_NOT_FOUND: 0xf0,
} as const;

/**
 * Largest data field of one frame in either direction (the DESFire frame is 64 bytes; 59 bytes
 * of data remain once the command/status byte and ISO 14443-4 framing are counted). Longer
 * commands and responses are chained with 91AF / AF.
 */
export const MAX_FRAME_DATA = 59;

/** Communication settings of a file (DESFire "CommSett"). */
export type CommMode = 'plain' | 'mac' | 'full';
export const COMM_MODE_BYTE: Readonly<Record<CommMode, number>> = { plain: 0x00, mac: 0x01, full: 0x03 };

/** Access right nibble values: 0x0..0xD a key number, E free access, F never. */
export const ACCESS_FREE = 0xe;
export const ACCESS_NEVER = 0xf;

/** File access rights (4 nibbles), encoded LSB first as `R<<4|W`, `RW<<4|Change`. */
export interface AccessRights {
  readonly read: number;
  readonly write: number;
  readonly readWrite: number;
  readonly change: number;
}

export function encodeAccessRights(a: AccessRights): Buffer {
  for (const v of [a.read, a.write, a.readWrite, a.change]) {
    if (!Number.isInteger(v) || v < 0 || v > 0xf) throw new RangeError('access right nibble out of range');
  }
  return Buffer.from([(a.read << 4) | a.write, (a.readWrite << 4) | a.change]);
}

/** KeySettings2 crypto method bits (7-6) for AES applications. */
export const KEY_SETTINGS2_AES = 0x80;
/** Key number byte flag selecting AES for the PICC master key in ChangeKey. */
export const PICC_KEY_AES_FLAG = 0x80;

/** Application identifiers are 3 bytes; Tessera keeps them in wire order (LSB first). */
export const PICC_AID = Buffer.from([0x00, 0x00, 0x00]);
