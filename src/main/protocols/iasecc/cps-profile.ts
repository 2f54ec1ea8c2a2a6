/**
 * Identifiers of the CPS (IAS-ECC CPx) card, verbatim from docs/cps-profile.md, where each value
 * names its public source or is marked as an assumption to confirm on a real card.
 */
import { fromHex } from '../iso7816/index.js';

export interface AtrPattern {
  readonly name: string;
  readonly pattern: Buffer;
  readonly mask: Buffer;
}

function atr(name: string, pattern: string, mask?: string): AtrPattern {
  const p = fromHex(pattern);
  return { name, pattern: p, mask: mask ? fromHex(mask) : Buffer.alloc(p.length, 0xff) };
}

/** docs/cps-profile.md §1. */
export const CPS_ATRS: readonly AtrPattern[] = [
  atr('CPS3 contact', '3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00', 'FF 00 00 00 00 FF FF FF FF FF FF 00 00 00 FF FF FF'),
  atr('CPS4 contact', '3B 9B 18 80 01 00 12 25 00 64 80 04 01 00 00 90 44'),
  atr('CPS4 contact', '3B 9B 18 80 01 00 12 25 00 64 80 00 04 01 00 90 44'),
  atr('CPS4 contact', '3B DC 18 FF 00 00 12 25 00 64 80 00 04 01 00 90 00'),
];

/** Contactless interface of the CPx; recognised but not used (docs/cps-profile.md §6). */
export const CPS_CONTACTLESS_ATRS: readonly AtrPattern[] = [
  atr('CPxCL', '3B 8F 80 01 00 31 B8 64 04 B0 EC C1 73 94 01 80 82 90 00 0E', 'FF FF FF FF FF FF FF FF 00 00 FF C0 FF FF FF FF FF FF FF FF'),
];

export function matchAtr(atrBytes: Buffer, patterns: readonly AtrPattern[]): AtrPattern | undefined {
  return patterns.find((p) => {
    if (p.pattern.length !== atrBytes.length) return false;
    for (let i = 0; i < p.pattern.length; i++) {
      const m = p.mask[i] ?? 0xff;
      if (((atrBytes[i] ?? 0) & m) !== ((p.pattern[i] ?? 0) & m)) return false;
    }
    return true;
  });
}

/** §2. */
export const CPX_IAS_AID = fromHex('E8 28 BD 08 0F 80 25 00 00 01 FF 00 10');
export const CPX_IAS_CL_AID = fromHex('E8 28 BD 08 0F 80 25 00 00 01 FF 00 20');
/** ASSUMPTION (docs/cps-profile.md §2): FID of the authentication certificate EF. */
export const AUTH_CERT_FID = fromHex('C0 00');
/** ASSUMPTION for the exact byte (§2): global reference of CHV SDO #1. */
export const PIN_REFERENCE = 0x01;
export const PIN_MAX_TRIES = 3;
/** ASSUMPTION (§2): ASCII digits padded with FF to this length. */
export const PIN_BLOCK_LENGTH = 8;
export const PIN_DIGITS = 4;
/** `CPS_PRIV_AUT`, MSE tag 84 (§2). */
export const AUTH_KEY_REFERENCE = 0x82;
/** RSA PKCS#1 v1.5, the card pads a DigestInfo (§2). */
export const ALGO_RSA_PKCS1 = 0x02;
/** Largest READ BINARY chunk (§2). */
export const READ_BINARY_MAX = 0xe7;
/** The driver never accepts a certificate longer than this (§3.2). */
export const MAX_CERTIFICATE_LENGTH = 4096;
