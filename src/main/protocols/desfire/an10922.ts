/**
 * NXP AN10922 "Symmetric key diversifications", §2.2: AES-128 key diversification.
 *
 * Diversified key = CMAC(K, M) where M = 0x01 ‖ D and D is the diversification input, here
 * D = UID (7 bytes) ‖ AID (3 bytes) ‖ System Identifier. M is 2..32 bytes. Unlike plain CMAC,
 * AN10922 always works on TWO blocks: when M is shorter than 32 bytes it is padded with
 * 0x80 00.. to 32 bytes and the second block is XORed with K2; a full 32-byte M uses K1.
 * The result is the last AES-CBC (zero IV) block over those 32 bytes.
 *
 * `an10922Input` exposes the padded message and the subkey choice so a backend holding the
 * master key in a token with only AES-ECB on it (PKCS#11) can compute the same value:
 * L = E(K, 0); K1, K2 = `subkeysFromL(L)`; C1 = E(K, B1); key = E(K, C1 ⊕ B2 ⊕ Kx).
 * `diversifyAes128WithCipher` does exactly that over a caller-supplied block encryption.
 */
import { AES_BLOCK, subkeysFromL } from '../crypto/aes-cmac.js';
import { Aes128Key } from '../crypto/aes-key.js';
import { DesfireError } from './desfire-error.js';

/** Diversification constant for AES-128 keys (AN10922 §2.2). */
export const AN10922_AES128_CONSTANT = 0x01;
/** M = constant ‖ D is at most 32 bytes, so D is 1..31 bytes. */
export const AN10922_MAX_INPUT = 31;
export const UID_LENGTH = 7;
export const AID_LENGTH = 3;
/** Longest system identifier that keeps M within 32 bytes with a 7-byte UID and a 3-byte AID. */
export const MAX_SYSTEM_IDENTIFIER = AN10922_MAX_INPUT - UID_LENGTH - AID_LENGTH;

export interface An10922Input {
  /** The two blocks B1 ‖ B2 (32 bytes), padded when M was shorter; NOT yet XORed with a subkey. */
  readonly message: Buffer;
  /** Which SP 800-38B subkey is XORed into B2: `k2` when padding was added, `k1` otherwise. */
  readonly subkey: 'k1' | 'k2';
  /** True when 0x80 00.. padding was added. */
  readonly padded: boolean;
}

/** Padded diversification message for an arbitrary diversification input D (1..31 bytes). */
export function an10922InputFromData(d: Buffer): An10922Input {
  if (d.length < 1 || d.length > AN10922_MAX_INPUT) {
    throw new DesfireError('invalid_argument', `AN10922 diversification input must be 1..31 bytes, got ${d.length}`);
  }
  const message = Buffer.alloc(2 * AES_BLOCK);
  message[0] = AN10922_AES128_CONSTANT;
  d.copy(message, 1);
  const used = 1 + d.length;
  const padded = used < message.length;
  if (padded) message[used] = 0x80;
  return { message, subkey: padded ? 'k2' : 'k1', padded };
}

/** Padded diversification message for D = UID ‖ AID ‖ System Identifier. */
export function an10922Input(uid: Buffer, aid: Buffer, systemIdentifier: Buffer): An10922Input {
  if (uid.length !== UID_LENGTH) throw new DesfireError('invalid_argument', `UID must be 7 bytes, got ${uid.length}`);
  if (aid.length !== AID_LENGTH) throw new DesfireError('invalid_argument', `AID must be 3 bytes, got ${aid.length}`);
  if (systemIdentifier.length > MAX_SYSTEM_IDENTIFIER) {
    throw new DesfireError('invalid_argument', `system identifier must be at most ${MAX_SYSTEM_IDENTIFIER} bytes, got ${systemIdentifier.length}`);
  }
  return an10922InputFromData(Buffer.concat([uid, aid, systemIdentifier]));
}

/** One-block AES-128 encryption under the master key, wherever it lives (Node, PKCS#11 token). */
export type BlockEncrypt = (block: Buffer) => Buffer;

/**
 * AN10922 diversification computed with only a block-encryption oracle on the master key.
 * Intermediate values are wiped; the returned key belongs to the caller (wipe it after use).
 */
export function diversifyAes128WithCipher(encryptBlock: BlockEncrypt, input: An10922Input): Buffer {
  const l = encryptBlock(Buffer.alloc(AES_BLOCK));
  const subkeys = subkeysFromL(l);
  const sub = input.subkey === 'k1' ? subkeys.k1 : subkeys.k2;
  const b1 = Buffer.from(input.message.subarray(0, AES_BLOCK));
  const x = Buffer.from(input.message.subarray(AES_BLOCK, 2 * AES_BLOCK));
  let c1: Buffer | undefined;
  try {
    c1 = encryptBlock(b1);
    for (let i = 0; i < AES_BLOCK; i++) x[i] = (x[i] ?? 0) ^ (c1[i] ?? 0) ^ (sub[i] ?? 0);
    const key = encryptBlock(x);
    if (key.length !== AES_BLOCK) throw new DesfireError('invalid_argument', 'block cipher returned a block that is not 16 bytes');
    return key;
  } finally {
    l.fill(0);
    subkeys.k1.fill(0);
    subkeys.k2.fill(0);
    b1.fill(0);
    x.fill(0);
    c1?.fill(0);
  }
}

/** Same as `diversifyAes128WithCipher` for an asynchronous block encryption (remote KMS, HSM). */
export async function diversifyAes128WithCipherAsync(
  encryptBlock: (block: Buffer) => Promise<Buffer>,
  input: An10922Input,
): Promise<Buffer> {
  const l = await encryptBlock(Buffer.alloc(AES_BLOCK));
  const subkeys = subkeysFromL(l);
  const sub = input.subkey === 'k1' ? subkeys.k1 : subkeys.k2;
  const x = Buffer.from(input.message.subarray(AES_BLOCK, 2 * AES_BLOCK));
  let c1: Buffer | undefined;
  try {
    c1 = await encryptBlock(Buffer.from(input.message.subarray(0, AES_BLOCK)));
    for (let i = 0; i < AES_BLOCK; i++) x[i] = (x[i] ?? 0) ^ (c1[i] ?? 0) ^ (sub[i] ?? 0);
    const key = await encryptBlock(x);
    if (key.length !== AES_BLOCK) throw new DesfireError('invalid_argument', 'block cipher returned a block that is not 16 bytes');
    return key;
  } finally {
    l.fill(0);
    subkeys.k1.fill(0);
    subkeys.k2.fill(0);
    x.fill(0);
    c1?.fill(0);
  }
}

/**
 * AN10922 AES-128 diversified key of `masterKey` for (UID, AID, System Identifier).
 * Returns a new 16-byte Buffer the caller wipes after use.
 */
export function diversifyAes128(masterKey: Buffer, uid: Buffer, aid: Buffer, systemIdentifier: Buffer): Buffer {
  if (masterKey.length !== 16) throw new DesfireError('invalid_argument', `master key must be 16 bytes, got ${masterKey.length}`);
  const master = new Aes128Key(masterKey);
  try {
    return diversifyAes128WithKey(master, uid, aid, systemIdentifier);
  } finally {
    master.dispose();
  }
}

/** Same as `diversifyAes128` over a master key whose AES context is kept (the file KMS). */
export function diversifyAes128WithKey(master: Aes128Key, uid: Buffer, aid: Buffer, systemIdentifier: Buffer): Buffer {
  const input = an10922Input(uid, aid, systemIdentifier);
  try {
    return diversifyAes128WithCipher((block) => master.encryptBlock(block), input);
  } finally {
    input.message.fill(0);
  }
}
