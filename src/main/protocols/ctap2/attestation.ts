/**
 * Attestation statements (WebAuthn L2 §8): `packed` (self attestation and x5c basic
 * attestation, §8.2) and `none` (§8.7). Other formats are reported as
 * `unsupported_attestation`, never parsed blindly. Checking the attestation certificate
 * against a vendor root (FIDO MDS) is a policy decision above this layer: here we check the
 * signature and the certificate's required shape.
 */
import { X509Certificate } from 'node:crypto';
import { field, isArray, isBytes, isInt, optField, type CborMap } from './cbor.js';
import type { AuthenticatorData } from './auth-data.js';
import { COSE, isCoseAlg, verifyCoseSignature, type CosePublicKey } from './cose-key.js';
import { Ctap2Error } from './ctap2-error.js';

export interface AttestationResult {
  readonly fmt: 'packed' | 'none';
  readonly type: 'self' | 'basic' | 'none';
  /** DER certificates of the x5c chain (basic attestation). */
  readonly x5c?: readonly Buffer[];
}

export function verifyAttestation(fmt: string, attStmt: CborMap, authData: AuthenticatorData, clientDataHash: Buffer, credentialKey: CosePublicKey): AttestationResult {
  if (fmt === 'none') {
    if (attStmt.size !== 0) throw new Ctap2Error('invalid_attestation', '"none" attestation with a non-empty statement');
    return { fmt: 'none', type: 'none' };
  }
  if (fmt !== 'packed') throw new Ctap2Error('unsupported_attestation', `attestation format "${fmt}" is not supported`);
  const what = 'packed attStmt';
  let alg: number;
  let sig: Buffer;
  let x5c: unknown[] | undefined;
  try {
    alg = field(attStmt, 'alg', what, isInt);
    sig = field(attStmt, 'sig', what, isBytes);
    x5c = optField(attStmt, 'x5c', what, isArray);
  } catch (e) {
    throw new Ctap2Error('invalid_attestation', 'packed attestation statement is malformed', { cause: e });
  }
  if (attStmt.has('ecdaaKeyId')) throw new Ctap2Error('unsupported_attestation', 'ECDAA attestation is not supported');
  const signed = Buffer.concat([authData.raw, clientDataHash]);
  if (!x5c) {
    if (alg !== credentialKey.alg) throw new Ctap2Error('invalid_attestation', `self attestation alg ${alg} differs from the credential's ${credentialKey.alg}`);
    if (!verifyCoseSignature(credentialKey.alg, credentialKey.key, signed, sig)) throw new Ctap2Error('invalid_attestation', 'self attestation signature does not verify');
    return { fmt: 'packed', type: 'self' };
  }
  if (x5c.length === 0 || x5c.length > 8 || !x5c.every((c) => Buffer.isBuffer(c))) throw new Ctap2Error('invalid_attestation', 'x5c must hold 1 to 8 DER certificates');
  const ders = x5c as Buffer[];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ders[0]!);
  } catch (e) {
    throw new Ctap2Error('invalid_attestation', 'attestation certificate is not valid DER X.509', { cause: e });
  }
  if (!isCoseAlg(alg)) throw new Ctap2Error('unsupported_attestation', `attestation alg ${alg} is not supported`);
  const keyType = cert.publicKey.asymmetricKeyType;
  if ((alg === COSE.algES256 && keyType !== 'ec') || (alg === COSE.algEdDSA && keyType !== 'ed25519')) {
    throw new Ctap2Error('invalid_attestation', `attestation alg ${alg} does not match the certificate key (${String(keyType)})`);
  }
  // §8.2.1 certificate requirements we can read with Node: not a CA, OU "Authenticator Attestation".
  if (cert.ca) throw new Ctap2Error('invalid_attestation', 'attestation certificate is a CA certificate');
  if (!/(^|\n)OU=Authenticator Attestation(\n|$)/.test(cert.subject)) throw new Ctap2Error('invalid_attestation', 'attestation certificate subject lacks OU=Authenticator Attestation');
  if (!verifyCoseSignature(alg, cert.publicKey, signed, sig)) throw new Ctap2Error('invalid_attestation', 'attestation signature does not verify with the x5c certificate');
  return { fmt: 'packed', type: 'basic', x5c: ders };
}
