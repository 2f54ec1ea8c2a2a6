/**
 * Session key derivations of the two AES authentications.
 *
 * EV1 `AuthenticateAES` (MIFARE DESFire EV1 datasheet; libfreefare `mifare_desfire_session_key_new`):
 *   SesKey = RndA[0..3] ‖ RndB[0..3] ‖ RndA[12..15] ‖ RndB[12..15]
 *
 * EV2 `AuthenticateEV2First` (MIFARE DESFire EV2 datasheet §9.1.7; AN12343 §5):
 *   SV1 = A5 5A 00 01 00 80 ‖ RndA[15..14] ‖ (RndA[13..8] ⊕ RndB[15..10]) ‖ RndB[9..0] ‖ RndA[7..0]
 *   SV2 = 5A A5 00 01 00 80 ‖ (same 26 bytes)
 *   SesAuthENC = CMAC(Kx, SV1), SesAuthMAC = CMAC(Kx, SV2)
 * The datasheet numbers bytes from 15 (most significant, first on the wire) down to 0, so
 * RndA[15..14] is the first two bytes of RndA as sent.
 */
import { Aes128Key } from '../crypto/aes-key.js';
import { DesfireError } from './desfire-error.js';

function need16(b: Buffer, what: string): void {
  if (b.length !== 16) throw new DesfireError('invalid_argument', `${what} must be 16 bytes`);
}

/** Rotate left by one byte (RndB → RndB', RndA → RndA'). */
export function rotateLeft(b: Buffer): Buffer {
  return Buffer.concat([b.subarray(1), b.subarray(0, 1)]);
}

/** Rotate right by one byte (undo `rotateLeft`). */
export function rotateRight(b: Buffer): Buffer {
  return Buffer.concat([b.subarray(b.length - 1), b.subarray(0, b.length - 1)]);
}

export function ev1SessionKey(rndA: Buffer, rndB: Buffer): Buffer {
  need16(rndA, 'RndA');
  need16(rndB, 'RndB');
  return Buffer.concat([rndA.subarray(0, 4), rndB.subarray(0, 4), rndA.subarray(12, 16), rndB.subarray(12, 16)]);
}

/** The 32-byte session vector SV1 (label A55A) or SV2 (label 5AA5). */
export function ev2SessionVector(label: 'enc' | 'mac', rndA: Buffer, rndB: Buffer): Buffer {
  need16(rndA, 'RndA');
  need16(rndB, 'RndB');
  const sv = Buffer.alloc(32);
  Buffer.from(label === 'enc' ? [0xa5, 0x5a, 0x00, 0x01, 0x00, 0x80] : [0x5a, 0xa5, 0x00, 0x01, 0x00, 0x80]).copy(sv, 0);
  rndA.copy(sv, 6, 0, 2);
  for (let i = 0; i < 6; i++) sv[8 + i] = (rndA[2 + i] ?? 0) ^ (rndB[i] ?? 0);
  rndB.copy(sv, 14, 6, 16);
  rndA.copy(sv, 24, 8, 16);
  return sv;
}

export interface Ev2SessionKeys {
  readonly enc: Buffer;
  readonly mac: Buffer;
}

/** `key`: the authentication key, as bytes or as the `Aes128Key` the authentication already holds. */
export function ev2SessionKeys(key: Buffer | Aes128Key, rndA: Buffer, rndB: Buffer): Ev2SessionKeys {
  if (Buffer.isBuffer(key)) need16(key, 'key');
  const k = Buffer.isBuffer(key) ? new Aes128Key(key) : key;
  const sv1 = ev2SessionVector('enc', rndA, rndB);
  const sv2 = ev2SessionVector('mac', rndA, rndB);
  try {
    return { enc: k.cmac(sv1), mac: k.cmac(sv2) };
  } finally {
    sv1.fill(0);
    sv2.fill(0);
    if (k !== key) k.dispose();
  }
}
