/** Public API of the MIFARE DESFire protocol layer (EV1/EV2 AES, ISO 7816-4 wrapped). */
export {
  AID_LENGTH,
  AN10922_AES128_CONSTANT,
  AN10922_MAX_INPUT,
  an10922Input,
  an10922InputFromData,
  diversifyAes128,
  diversifyAes128WithCipher,
  diversifyAes128WithCipherAsync,
  MAX_SYSTEM_IDENTIFIER,
  UID_LENGTH,
  type An10922Input,
  type BlockEncrypt,
} from './an10922.js';
export { authenticateAesEv1, authenticateEv2First, type Ev1AuthResult, type Ev2AuthResult, type RandomSource } from './authenticate.js';
export {
  ACCESS_FREE,
  ACCESS_NEVER,
  CMD,
  COMM_MODE_BYTE,
  DESFIRE_CLA,
  DESFIRE_SW1,
  encodeAccessRights,
  KEY_SETTINGS2_AES,
  MAX_FRAME_DATA,
  PICC_AID,
  PICC_KEY_AES_FLAG,
  STATUS,
  type AccessRights,
  type CommMode,
} from './constants.js';
export { DesfireError, isDesfireError, type DesfireErrorCode } from './desfire-error.js';
export {
  DesfireSession,
  type AuthState,
  type CreateApplicationOptions,
  type DesfireSessionOptions,
  type StdDataFileOptions,
  type ValueFileOptions,
} from './desfire-session.js';
export {
  DEFAULT_MAX_FRAMES,
  DEFAULT_MAX_RESPONSE_BYTES,
  exchangeNative,
  parseFrameResponse,
  transceiveFrame,
  wrapNative,
  type ChainingLimits,
  type FrameResponse,
} from './frames.js';
export {
  Ev1SecureChannel,
  Ev2SecureChannel,
  MAC_LENGTH,
  padIso9797M2,
  unpadIso9797M2,
  type CommandMode,
  type ResponseMode,
  type SecureChannel,
} from './secure-messaging.js';
export { ev1SessionKey, ev2SessionKeys, ev2SessionVector, rotateLeft, rotateRight, type Ev2SessionKeys } from './session-keys.js';
export { statusError } from './status.js';
export { aidFromHex } from './aid.js';
export { GET_VERSION_MAX_LENGTH, GET_VERSION_MIN_LENGTH, parseVersion, storageBytes, type DesfireComponentVersion, type DesfireVersion } from './version.js';

