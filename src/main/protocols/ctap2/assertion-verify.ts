/**
 * Verification of an assertion against the enrolled credential (WebAuthn L2 §7.2 steps that
 * apply to a platform acting as its own relying party): signature over
 * authenticatorData ‖ clientDataHash with the enrolled key, rpIdHash = SHA-256(rpId), UP and
 * UV flags set, and the signature counter moving forward.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseAuthenticatorData, type AuthenticatorData } from './auth-data.js';
import { verifyCoseSignature, type CosePublicKey } from './cose-key.js';
import { Ctap2Error } from './ctap2-error.js';

export interface AssertionCheck {
  readonly authData: Buffer;
  readonly signature: Buffer;
  readonly clientDataHash: Buffer;
  readonly rpId: string;
  readonly credentialKey: CosePublicKey;
  /** Counter recorded after the previous successful assertion (0 at enrolment if the key sent 0). */
  readonly storedSignCount: number;
  /** Default true: the RIE counts a key only with user verification. */
  readonly requireUserVerification?: boolean;
}

export function rpIdHash(rpId: string): Buffer {
  return createHash('sha256').update(rpId, 'utf8').digest();
}

export function verifyAssertion(check: AssertionCheck): AuthenticatorData {
  const ad = parseAuthenticatorData(check.authData);
  const signed = Buffer.concat([check.authData, check.clientDataHash]);
  if (!verifyCoseSignature(check.credentialKey.alg, check.credentialKey.key, signed, check.signature)) {
    throw new Ctap2Error('bad_signature', 'assertion signature does not verify with the enrolled public key');
  }
  if (!timingSafeEqual(ad.rpIdHash, rpIdHash(check.rpId))) throw new Ctap2Error('rp_id_mismatch', `assertion is not for rpId ${check.rpId}`);
  if (!ad.flags.up) throw new Ctap2Error('user_presence_missing', 'assertion without user presence (UP flag clear)');
  if ((check.requireUserVerification ?? true) && !ad.flags.uv) {
    throw new Ctap2Error('user_verification_missing', 'assertion without user verification (UV flag clear)');
  }
  if ((ad.signCount !== 0 || check.storedSignCount !== 0) && ad.signCount <= check.storedSignCount) {
    throw new Ctap2Error('possible_clone', `signature counter went from ${check.storedSignCount} to ${ad.signCount}: possible cloned authenticator`);
  }
  return ad;
}
