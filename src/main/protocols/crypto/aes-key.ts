/**
 * One AES-128 key with its OpenSSL contexts kept for the key's lifetime: ECB, CBC (zero or
 * explicit IV), CMAC with zero or running IV (SP 800-38B / RFC 4493), all computed over one
 * block-encryption context and, when needed, one block-decryption context.
 *
 * Why: the module-level functions of `aes-cmac.ts` build a new OpenSSL context per call
 * (cipher lookup, key schedule, allocation), and a DESFire tap made about thirty of them. Here a
 * key costs one context per direction, created on first use; every operation after that is an
 * `update` on whole blocks, with CBC chaining done in JavaScript (ECB of one block is the block
 * cipher itself). Results are identical (tested against the RFC 4493 vectors and the per-call
 * functions).
 *
 * `dispose()` wipes the copy of the key and the CMAC subkeys and ends both contexts (`final`,
 * which releases them in OpenSSL); using a disposed key throws. The caller owns the Buffer it
 * passed in and wipes it as before.
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { AES128_KEY_LENGTH, AES_BLOCK, subkeysFromL, type CmacSubkeys } from './aes-cmac.js';

function checkBlocks(data: Buffer, what: string): void {
  if (data.length % AES_BLOCK !== 0) throw new RangeError(`${what}: length ${data.length} is not a multiple of 16`);
}

function checkIv(iv: Buffer): void {
  if (iv.length !== AES_BLOCK) throw new RangeError('IV must be 16 bytes');
}

export class Aes128Key {
  private key: Buffer | undefined;
  private enc: Cipher | undefined;
  private dec: Decipher | undefined;
  private subkeys: CmacSubkeys | undefined;

  /** Copies `key` (16 bytes); the caller may wipe its own Buffer at once. */
  constructor(key: Buffer) {
    if (key.length !== AES128_KEY_LENGTH) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    this.key = Buffer.from(key);
  }

  get disposed(): boolean {
    return this.key === undefined;
  }

  private live(): Buffer {
    if (!this.key) throw new Error('AES key used after dispose()');
    return this.key;
  }

  private encryptor(): Cipher {
    if (!this.enc) {
      const c = createCipheriv('aes-128-ecb', this.live(), null);
      c.setAutoPadding(false);
      this.enc = c;
    } else this.live();
    return this.enc;
  }

  private decryptor(): Decipher {
    if (!this.dec) {
      const d = createDecipheriv('aes-128-ecb', this.live(), null);
      d.setAutoPadding(false);
      this.dec = d;
    } else this.live();
    return this.dec;
  }

  /** Creates both contexts now (e.g. while a card computes), so the first operations do not pay for them. */
  prepare(): this {
    this.encryptor();
    this.decryptor();
    return this;
  }

  /** E(K, block) of one 16-byte block. */
  encryptBlock(block: Buffer): Buffer {
    if (block.length !== AES_BLOCK) throw new RangeError('a block is 16 bytes');
    return this.encryptor().update(block);
  }

  /** AES-128-ECB encryption of whole blocks (no padding). */
  ecbEncrypt(data: Buffer): Buffer {
    checkBlocks(data, 'ecbEncrypt');
    return this.encryptor().update(data);
  }

  /** AES-128-CBC encryption of whole blocks with `iv` (no padding). */
  cbcEncrypt(iv: Buffer, data: Buffer): Buffer {
    checkIv(iv);
    checkBlocks(data, 'cbcEncrypt');
    const enc = this.encryptor();
    const out = Buffer.alloc(data.length);
    const x = Buffer.alloc(AES_BLOCK);
    let prev: Buffer = iv;
    for (let o = 0; o < data.length; o += AES_BLOCK) {
      for (let i = 0; i < AES_BLOCK; i++) x[i] = (data[o + i] ?? 0) ^ (prev[i] ?? 0);
      const c = enc.update(x);
      c.copy(out, o);
      prev = c;
    }
    x.fill(0);
    return out;
  }

  /** AES-128-CBC decryption of whole blocks with `iv` (no padding). */
  cbcDecrypt(iv: Buffer, data: Buffer): Buffer {
    checkIv(iv);
    checkBlocks(data, 'cbcDecrypt');
    const out = this.decryptor().update(data);
    for (let o = 0; o < out.length; o++) {
      out[o] = (out[o] ?? 0) ^ (o < AES_BLOCK ? (iv[o] ?? 0) : (data[o - AES_BLOCK] ?? 0));
    }
    return out;
  }

  private cmacSubkeys(): CmacSubkeys {
    if (!this.subkeys) {
      const l = this.encryptBlock(Buffer.alloc(AES_BLOCK));
      this.subkeys = subkeysFromL(l);
      l.fill(0);
    }
    return this.subkeys;
  }

  /** AES-128 CMAC of `message` (16-byte tag), RFC 4493 §2.4. */
  cmac(message: Buffer): Buffer {
    return this.cmacFrom(undefined, message);
  }

  /** CMAC with a running IV instead of zero (DESFire EV1 secure messaging); the tag is the next IV. */
  cmacWithIv(iv: Buffer, message: Buffer): Buffer {
    checkIv(iv);
    return this.cmacFrom(iv, message);
  }

  private cmacFrom(iv: Buffer | undefined, message: Buffer): Buffer {
    const { k1, k2 } = this.cmacSubkeys();
    const enc = this.encryptor();
    const complete = message.length > 0 && message.length % AES_BLOCK === 0;
    const blocks = complete ? message.length / AES_BLOCK : Math.floor(message.length / AES_BLOCK) + 1;
    const x = Buffer.alloc(AES_BLOCK);
    if (iv) iv.copy(x);
    let tag: Buffer = x;
    for (let b = 0; b < blocks; b++) {
      const o = b * AES_BLOCK;
      const last = b === blocks - 1;
      for (let i = 0; i < AES_BLOCK; i++) {
        let m: number;
        if (o + i < message.length) m = message[o + i] ?? 0;
        else m = o + i === message.length ? 0x80 : 0;
        if (last) m ^= (complete ? k1[i] : k2[i]) ?? 0;
        x[i] = (tag[i] ?? 0) ^ m;
      }
      if (tag !== x) tag.fill(0);
      tag = enc.update(x);
    }
    x.fill(0);
    return tag;
  }

  /** Wipes the key copy and subkeys and ends the contexts; idempotent. */
  dispose(): void {
    this.key?.fill(0);
    this.key = undefined;
    this.subkeys?.k1.fill(0);
    this.subkeys?.k2.fill(0);
    this.subkeys = undefined;
    for (const ctx of [this.enc, this.dec]) {
      try {
        ctx?.final();
      } catch {
        // already ended
      }
    }
    this.enc = undefined;
    this.dec = undefined;
  }
}
