/**
 * Secure messaging after an AES authentication, one implementation per generation.
 *
 * EV1 (MIFARE DESFire EV1 datasheet; libfreefare `mifare_cryto_preprocess_data`/`postprocess`):
 *  - one session key and one running IV, zero after authentication;
 *  - every command is CMACed with the running IV (the tag becomes the IV), even plain ones;
 *    MAC mode appends the first 8 tag bytes;
 *  - every successful response carries CMAC(data ‖ 00) first 8 bytes (verified here);
 *  - full mode: AES-CBC(IV) of data ‖ CRC32(cmd ‖ header ‖ data) padded with 00, the last
 *    ciphertext block becomes the IV; responses decrypt to data ‖ CRC32(data ‖ 00) ‖ padding
 *    (00.., or 80 00..: both are accepted, the CRC decides where the data ends).
 *
 * EV2 (MIFARE DESFire EV2 datasheet §9.1.9-9.1.10; AN12343 §5-6):
 *  - keys SesAuthENC / SesAuthMAC, 4-byte TI, 16-bit command counter CmdCtr (LE);
 *  - MAC = even bytes (1,3,..,15) of CMAC(SesAuthMAC, Cmd ‖ CmdCtr ‖ TI ‖ header ‖ data);
 *    response MAC over RC ‖ CmdCtr+1 ‖ TI ‖ data;
 *  - full mode: IVc = E(SesAuthENC, A55A ‖ TI ‖ CmdCtr ‖ 0^8), IVr = E(SesAuthENC, 5AA5 ‖ TI ‖
 *    CmdCtr+1 ‖ 0^8), data padded 80 00.. (ISO/IEC 9797-1 method 2), MAC over the ciphertext;
 *  - plain mode: no MAC either way, CmdCtr still counts.
 *
 * Any verification failure throws `integrity`; the caller drops the session.
 */
import { timingSafeEqual } from 'node:crypto';
import { AES_BLOCK } from '../crypto/aes-cmac.js';
import { Aes128Key } from '../crypto/aes-key.js';
import { crc32DesfireBytes } from '../crypto/crc32.js';
import type { CommMode } from './constants.js';
import { DesfireError } from './desfire-error.js';

export const MAC_LENGTH = 8;

/**
 * How a command is protected. `management` is the mode of the card-management commands
 * (GetVersion, CreateApplication, GetKeyVersion, CommitTransaction...) once authenticated:
 * EV1 sends them plain (CMAC only kept in the IV), EV2 sends them MACed.
 */
export type CommandMode = CommMode | 'management';
/** How a response is protected; `none` for answers the card sends unprotected (ChangeKey of the session key). */
export type ResponseMode = CommMode | 'management' | 'none';

export interface ResponseOptions {
  /** Expected plaintext length of a `full` response, when the caller knows it. */
  readonly expectedLength?: number;
}

export interface SecureChannel {
  readonly kind: 'ev1' | 'ev2';
  /** Bytes following the command byte for the whole command (before framing). */
  protectCommand(cmd: number, header: Buffer, data: Buffer, mode: CommandMode, extra?: { ev1CrcSuffix?: Buffer }): Buffer;
  /** The response data (all frames joined) checked and, in full mode, deciphered. */
  unprotectResponse(response: Buffer, mode: ResponseMode, options?: ResponseOptions): Buffer;
  /** Readies the AES contexts the answer will need (called while the card computes it). */
  prepareResponse(mode: ResponseMode): void;
  wipe(): void;
}

function integrity(message: string): DesfireError {
  return new DesfireError('integrity', message);
}

function macEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** 00-padding to a whole number of blocks (EV1 full mode). */
function padZeros(b: Buffer): Buffer {
  const n = Math.ceil(b.length / AES_BLOCK) * AES_BLOCK || AES_BLOCK;
  const out = Buffer.alloc(n);
  b.copy(out);
  return out;
}

/** ISO/IEC 9797-1 method 2 padding: 80 then 00 up to the next block boundary (always adds). */
export function padIso9797M2(b: Buffer): Buffer {
  const n = (Math.floor(b.length / AES_BLOCK) + 1) * AES_BLOCK;
  const out = Buffer.alloc(n);
  b.copy(out);
  out[b.length] = 0x80;
  return out;
}

/** Strips method-2 padding; malformed padding is `integrity` (it was inside a verified MAC or CBC). */
export function unpadIso9797M2(b: Buffer): Buffer {
  let i = b.length - 1;
  while (i >= 0 && b[i] === 0x00 && b.length - i <= AES_BLOCK) i--;
  if (i < 0 || b[i] !== 0x80 || b.length - i > AES_BLOCK) throw integrity('response padding is malformed');
  return b.subarray(0, i);
}

export class Ev1SecureChannel implements SecureChannel {
  readonly kind = 'ev1' as const;
  private iv: Buffer = Buffer.alloc(AES_BLOCK);
  private readonly cipher: Aes128Key;

  /** Takes ownership of the session key (wiped by `wipe()`). */
  constructor(private readonly key: Buffer) {
    this.cipher = new Aes128Key(key);
  }

  protectCommand(cmd: number, header: Buffer, data: Buffer, mode: CommandMode, extra: { ev1CrcSuffix?: Buffer } = {}): Buffer {
    if (mode === 'full' && data.length > 0) {
      const crc = crc32DesfireBytes(Buffer.of(cmd), header, data);
      const joined = Buffer.concat([data, crc, extra.ev1CrcSuffix ?? Buffer.alloc(0)]);
      const plain = padZeros(joined);
      joined.fill(0);
      const ct = this.cipher.cbcEncrypt(this.iv, plain);
      plain.fill(0);
      this.iv = Buffer.from(ct.subarray(ct.length - AES_BLOCK));
      return Buffer.concat([header, ct]);
    }
    this.iv = this.cipher.cmacWithIv(this.iv, Buffer.concat([Buffer.of(cmd), header, data]));
    return mode === 'mac' ? Buffer.concat([header, data, this.iv.subarray(0, MAC_LENGTH)]) : Buffer.concat([header, data]);
  }

  /** EV1: every successful response carries a CMAC once authenticated, whatever the mode. */
  unprotectResponse(response: Buffer, mode: ResponseMode, options: ResponseOptions = {}): Buffer {
    if (mode === 'none') return response;
    if (mode === 'full') return this.decipherResponse(response, options.expectedLength);
    if (response.length < MAC_LENGTH) throw integrity(`response of ${response.length} bytes cannot hold its CMAC`);
    const body = response.subarray(0, response.length - MAC_LENGTH);
    const mac = response.subarray(response.length - MAC_LENGTH);
    const tag = this.cipher.cmacWithIv(this.iv, Buffer.concat([body, Buffer.of(0x00)]));
    if (!macEqual(tag.subarray(0, MAC_LENGTH), mac)) throw integrity('response CMAC does not verify');
    this.iv = tag;
    return Buffer.from(body);
  }

  prepareResponse(mode: ResponseMode): void {
    if (mode === 'full') this.cipher.prepare();
  }

  private decipherResponse(response: Buffer, expectedLength: number | undefined): Buffer {
    if (response.length === 0 || response.length % AES_BLOCK !== 0) {
      throw integrity(`enciphered response of ${response.length} bytes is not whole blocks`);
    }
    const plain = this.cipher.cbcDecrypt(this.iv, response);
    const nextIv = Buffer.from(response.subarray(response.length - AES_BLOCK));
    try {
      const candidates: number[] = [];
      if (expectedLength !== undefined) candidates.push(expectedLength);
      else for (let l = plain.length - 4; l >= Math.max(0, plain.length - 4 - (AES_BLOCK - 1)); l--) candidates.push(l);
      for (const l of candidates) {
        if (l < 0 || l + 4 > plain.length || plain.length - (l + 4) >= AES_BLOCK) continue;
        const crc = crc32DesfireBytes(plain.subarray(0, l), Buffer.of(0x00));
        // Padding after the CRC: 00.. (datasheet), or 80 00.. as some cards send (libfreefare accepts both).
        const tail = plain.subarray(l + 4);
        const padOk = tail.every((x, i) => x === 0 || (i === 0 && x === 0x80));
        if (padOk && macEqual(crc, plain.subarray(l, l + 4))) {
          this.iv = nextIv;
          return Buffer.from(plain.subarray(0, l));
        }
      }
      throw integrity('enciphered response CRC32 does not verify');
    } finally {
      plain.fill(0);
    }
  }

  wipe(): void {
    this.cipher.dispose();
    this.key.fill(0);
    this.iv.fill(0);
  }
}

export class Ev2SecureChannel implements SecureChannel {
  readonly kind = 'ev2' as const;
  private cmdCtr = 0;
  private readonly enc: Aes128Key;
  private readonly mac: Aes128Key;

  /** Takes ownership of the session keys (wiped by `wipe()`). */
  constructor(
    private readonly encKey: Buffer,
    private readonly macKey: Buffer,
    readonly ti: Buffer,
  ) {
    if (ti.length !== 4) throw new DesfireError('invalid_argument', 'TI must be 4 bytes');
    this.enc = new Aes128Key(encKey);
    this.mac = new Aes128Key(macKey);
  }

  get commandCounter(): number {
    return this.cmdCtr;
  }

  private ctrBytes(ctr: number): Buffer {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(ctr & 0xffff);
    return b;
  }

  /** Truncated CMAC: bytes 1, 3, .., 15 of the full tag. */
  private macT(message: Buffer): Buffer {
    const full = this.mac.cmac(message);
    const out = Buffer.alloc(MAC_LENGTH);
    for (let i = 0; i < MAC_LENGTH; i++) out[i] = full[2 * i + 1] ?? 0;
    return out;
  }

  private iv(label: 0xa55a | 0x5aa5, ctr: number): Buffer {
    const block = Buffer.alloc(AES_BLOCK);
    block.writeUInt16BE(label, 0);
    this.ti.copy(block, 2);
    this.ctrBytes(ctr).copy(block, 6);
    return this.enc.encryptBlock(block);
  }

  protectCommand(cmd: number, header: Buffer, data: Buffer, mode: CommandMode): Buffer {
    if (this.cmdCtr >= 0xffff) throw new DesfireError('not_authenticated', 'EV2 command counter exhausted: authenticate again');
    if (mode === 'plain') return Buffer.concat([header, data]);
    let body = data;
    if (mode === 'full' && data.length > 0) {
      const plain = padIso9797M2(data);
      body = this.enc.cbcEncrypt(this.iv(0xa55a, this.cmdCtr), plain);
      plain.fill(0);
    }
    const mac = this.macT(Buffer.concat([Buffer.of(cmd), this.ctrBytes(this.cmdCtr), this.ti, header, body]));
    return Buffer.concat([header, body, mac]);
  }

  prepareResponse(mode: ResponseMode): void {
    if (mode === 'full') this.enc.prepare();
  }

  unprotectResponse(response: Buffer, mode: ResponseMode, options: ResponseOptions = {}): Buffer {
    this.cmdCtr++;
    if (mode === 'plain' || mode === 'none') return response;
    if (response.length < MAC_LENGTH) throw integrity(`response of ${response.length} bytes cannot hold its MAC`);
    const body = response.subarray(0, response.length - MAC_LENGTH);
    const mac = response.subarray(response.length - MAC_LENGTH);
    const expected = this.macT(Buffer.concat([Buffer.of(0x00), this.ctrBytes(this.cmdCtr), this.ti, body]));
    if (!macEqual(expected, mac)) throw integrity('response MAC does not verify');
    if (mode !== 'full' || body.length === 0) return Buffer.from(body);
    if (body.length % AES_BLOCK !== 0) throw integrity(`enciphered response of ${body.length} bytes is not whole blocks`);
    const plain = this.enc.cbcDecrypt(this.iv(0x5aa5, this.cmdCtr), body);
    try {
      const data = Buffer.from(unpadIso9797M2(plain));
      if (options.expectedLength !== undefined && data.length !== options.expectedLength) {
        throw new DesfireError('card_data_invalid', `enciphered response holds ${data.length} bytes, expected ${options.expectedLength}`);
      }
      return data;
    } finally {
      plain.fill(0);
    }
  }

  wipe(): void {
    this.enc.dispose();
    this.mac.dispose();
    this.encKey.fill(0);
    this.macKey.fill(0);
  }
}
