/**
 * COSE keys (RFC 9052 §7, RFC 9053 §7.1/§7.2) for credential public keys: EC2 P-256 with ES256
 * (−7) and OKP Ed25519 with EdDSA (−8). Imported through JWK so Node checks the point.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { field, isBytes, isInt, optField, type CborMap } from './cbor.js';
import { Ctap2Error } from './ctap2-error.js';

/** COSE labels and values used here (RFC 9052 / RFC 9053 IANA registries). */
export const COSE = {
  kty: 1, alg: 3, crv: -1, x: -2, y: -3,
  ktyOKP: 1, ktyEC2: 2,
  crvP256: 1, crvEd25519: 6,
  algES256: -7, algEdDSA: -8,
} as const;

export type CoseAlg = typeof COSE.algES256 | typeof COSE.algEdDSA;

export interface CosePublicKey {
  readonly alg: CoseAlg;
  readonly key: KeyObject;
}

const b64u = (b: Buffer): string => b.toString('base64url');

export function parseCoseKey(m: CborMap): CosePublicKey {
  const what = 'COSE key';
  let kty: number;
  let alg: number | undefined;
  try {
    kty = field(m, COSE.kty, what, isInt);
    alg = optField(m, COSE.alg, what, isInt);
  } catch (e) {
    throw new Ctap2Error('invalid_cose_key', 'COSE key without a valid kty/alg', { cause: e });
  }
  if (kty === COSE.ktyEC2 && alg === COSE.algES256) {
    const crv = m.get(COSE.crv);
    const x = m.get(COSE.x);
    const y = m.get(COSE.y);
    if (crv !== COSE.crvP256) throw new Ctap2Error('unsupported_cose_key', `EC2 curve ${String(crv)} is not P-256`);
    if (!isBytesOf(x, 32) || !isBytesOf(y, 32)) throw new Ctap2Error('invalid_cose_key', 'EC2 coordinates must be 32-byte strings');
    return { alg: COSE.algES256, key: importJwk({ kty: 'EC', crv: 'P-256', x: b64u(x), y: b64u(y) }) };
  }
  if (kty === COSE.ktyOKP && alg === COSE.algEdDSA) {
    const crv = m.get(COSE.crv);
    const x = m.get(COSE.x);
    if (crv !== COSE.crvEd25519) throw new Ctap2Error('unsupported_cose_key', `OKP curve ${String(crv)} is not Ed25519`);
    if (!isBytesOf(x, 32)) throw new Ctap2Error('invalid_cose_key', 'Ed25519 public key must be 32 bytes');
    return { alg: COSE.algEdDSA, key: importJwk({ kty: 'OKP', crv: 'Ed25519', x: b64u(x) }) };
  }
  throw new Ctap2Error('unsupported_cose_key', `COSE key type ${kty} with alg ${String(alg)} is not supported (ES256/P-256 or EdDSA/Ed25519)`);
}

function isBytesOf(v: unknown, n: number): v is Buffer {
  return Buffer.isBuffer(v) && isBytes(v) && v.length === n;
}

function importJwk(jwk: Record<string, string>): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (e) {
    throw new Ctap2Error('invalid_cose_key', 'COSE key is not a valid public key (point not on the curve?)', { cause: e });
  }
}

/** Verifies a COSE-algorithm signature: ES256 = ECDSA P-256 SHA-256 (DER, per WebAuthn), EdDSA = Ed25519. */
export function verifyCoseSignature(alg: CoseAlg, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return alg === COSE.algES256 ? verify('sha256', data, { key, dsaEncoding: 'der' }, signature) : verify(null, data, key, signature);
  } catch {
    return false;
  }
}

export function isCoseAlg(v: number): v is CoseAlg {
  return v === COSE.algES256 || v === COSE.algEdDSA;
}
