/**
 * AES-128 primitives for the contactless protocols: single-block ECB, CBC without padding, and
 * CMAC per NIST SP 800-38B / RFC 4493 (Node's `crypto` has no CMAC).
 *
 * Keys are 16-byte Buffers owned by the caller; this module never keeps a copy beyond the call
 * and wipes its own intermediate secrets (subkeys, L) before returning.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const AES_BLOCK = 16;
export const AES128_KEY_LENGTH = 16;

/** Constant Rb of SP 800-38B §5.3 for a 128-bit block. */
const RB = 0x87;

function checkKey(key: Buffer): void {
  if (key.length !== AES128_KEY_LENGTH) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
}

function checkBlocks(data: Buffer, what: string): void {
  if (data.length % AES_BLOCK !== 0) throw new RangeError(`${what}: length ${data.length} is not a multiple of 16`);
}

/** AES-128-ECB encryption of whole blocks (no padding). */
export function aesEcbEncrypt(key: Buffer, data: Buffer): Buffer {
  checkKey(key);
  checkBlocks(data, 'aesEcbEncrypt');
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-128-ECB decryption of whole blocks (no padding). */
export function aesEcbDecrypt(key: Buffer, data: Buffer): Buffer {
  checkKey(key);
  checkBlocks(data, 'aesEcbDecrypt');
  const d = createDecipheriv('aes-128-ecb', key, null);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** AES-128-CBC encryption of whole blocks with an explicit IV (no padding). */
export function aesCbcEncrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkKey(key);
  checkBlocks(data, 'aesCbcEncrypt');
  if (iv.length !== AES_BLOCK) throw new RangeError('IV must be 16 bytes');
  const c = createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-128-CBC decryption of whole blocks with an explicit IV (no padding). */
export function aesCbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkKey(key);
  checkBlocks(data, 'aesCbcDecrypt');
  if (iv.length !== AES_BLOCK) throw new RangeError('IV must be 16 bytes');
  const d = createDecipheriv('aes-128-cbc', key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** Left shift of a 16-byte block by one bit, then XOR Rb when the dropped bit was set (SP 800-38B §6.1). */
export function doubleBlock(block: Buffer): Buffer {
  const out = Buffer.alloc(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK; i++) {
    const next = i + 1 < AES_BLOCK ? (block[i + 1] ?? 0) : 0;
    out[i] = (((block[i] ?? 0) << 1) | (next >>> 7)) & 0xff;
  }
  if (((block[0] ?? 0) & 0x80) !== 0) out[AES_BLOCK - 1] = (out[AES_BLOCK - 1] ?? 0) ^ RB;
  return out;
}

/** Subkeys K1 and K2 from L = E(K, 0^128) (SP 800-38B §6.1, RFC 4493 §2.3). */
export interface CmacSubkeys {
  readonly k1: Buffer;
  readonly k2: Buffer;
}

/** SP 800-38B subkey derivation from the cipher output L = CIPH_K(0^128). Does not wipe `l`. */
export function subkeysFromL(l: Buffer): CmacSubkeys {
  if (l.length !== AES_BLOCK) throw new RangeError('L must be 16 bytes');
  const k1 = doubleBlock(l);
  const k2 = doubleBlock(k1);
  return { k1, k2 };
}

/** SP 800-38B subkeys of an AES-128 key. The caller wipes `k1`/`k2` when done. */
export function cmacSubkeys(key: Buffer): CmacSubkeys {
  const l = aesEcbEncrypt(key, Buffer.alloc(AES_BLOCK));
  try {
    return subkeysFromL(l);
  } finally {
    l.fill(0);
  }
}

/**
 * Last-block preparation of SP 800-38B §6.2: a complete last block is XORed with K1; an empty
 * message or an incomplete last block is padded with 0x80 00.. and XORed with K2. Returns the
 * message with its last block replaced (a new Buffer; `message` is untouched).
 */
export function cmacPrepareMessage(message: Buffer, subkeys: CmacSubkeys): Buffer {
  const complete = message.length > 0 && message.length % AES_BLOCK === 0;
  const n = complete ? message.length / AES_BLOCK : Math.floor(message.length / AES_BLOCK) + 1;
  const out = Buffer.alloc(n * AES_BLOCK);
  message.copy(out);
  if (!complete) out[message.length] = 0x80;
  const sub = complete ? subkeys.k1 : subkeys.k2;
  const last = (n - 1) * AES_BLOCK;
  for (let i = 0; i < AES_BLOCK; i++) out[last + i] = (out[last + i] ?? 0) ^ (sub[i] ?? 0);
  return out;
}

/** AES-128 CMAC of `message` (16-byte tag), RFC 4493 §2.4. */
export function aesCmac(key: Buffer, message: Buffer): Buffer {
  const subkeys = cmacSubkeys(key);
  const prepared = cmacPrepareMessage(message, subkeys);
  try {
    const cbc = aesCbcEncrypt(key, Buffer.alloc(AES_BLOCK), prepared);
    const tag = Buffer.from(cbc.subarray(cbc.length - AES_BLOCK));
    cbc.fill(0);
    return tag;
  } finally {
    subkeys.k1.fill(0);
    subkeys.k2.fill(0);
    prepared.fill(0);
  }
}

/**
 * The CMAC computed with a running IV instead of zero: DESFire EV1 secure messaging chains the
 * session IV through every CMAC (the IV is the previous tag). Returns the full 16-byte tag,
 * which is also the next IV.
 */
export function aesCmacWithIv(key: Buffer, iv: Buffer, message: Buffer): Buffer {
  const subkeys = cmacSubkeys(key);
  const prepared = cmacPrepareMessage(message, subkeys);
  try {
    const cbc = aesCbcEncrypt(key, iv, prepared);
    const tag = Buffer.from(cbc.subarray(cbc.length - AES_BLOCK));
    cbc.fill(0);
    return tag;
  } finally {
    subkeys.k1.fill(0);
    subkeys.k2.fill(0);
    prepared.fill(0);
  }
}
