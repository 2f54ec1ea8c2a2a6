/** Public API of the ISO 7816-4 protocol layer. */
export {
  encodeCommandApdu,
  MAX_EXTENDED_NC,
  MAX_EXTENDED_NE,
  MAX_SHORT_NC,
  MAX_SHORT_NE,
  type CommandApdu,
  type EncodeCommandOptions,
  type ExtendedMode,
} from './command-apdu.js';
export { createResponseApdu, parseResponseApdu, type ResponseApdu } from './response-apdu.js';
export {
  bytesAvailableFrom61xx,
  describeStatusWord,
  exactLengthFrom6Cxx,
  formatStatusWord,
  retriesFrom63Cx,
  SW,
  type StatusWordCode,
  type StatusWordInfo,
  type SwName,
} from './status-words.js';
export {
  ApduEncodingError,
  isIso7816Error,
  Iso7816Error,
  type Iso7816ErrorCode,
  type Iso7816ErrorDetails,
} from './iso7816-error.js';
export {
  DEFAULT_TLV_MAX_DEPTH,
  DEFAULT_TLV_MAX_NODES,
  encodeTlv,
  findTag,
  parseTlv,
  TLV_DEPTH_CEILING,
  type TlvMode,
  type TlvNode,
  type TlvParseOptions,
} from './tlv.js';
export { DEFAULT_MAX_GET_RESPONSE, exchange, expectOk, INS_GET_RESPONSE, type ExchangeOptions } from './apdu-exchange.js';
export { fromHex, hex } from './hex.js';
