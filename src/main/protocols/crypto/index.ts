/** Public API of the symmetric crypto primitives used by the contactless protocols. */
export {
  AES128_KEY_LENGTH,
  AES_BLOCK,
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesCmacWithIv,
  aesEcbDecrypt,
  aesEcbEncrypt,
  cmacPrepareMessage,
  cmacSubkeys,
  doubleBlock,
  subkeysFromL,
  type CmacSubkeys,
} from './aes-cmac.js';
export { crc32Desfire, crc32DesfireBytes } from './crc32.js';
