/**
 * What the RIE policy classifies: a `Presentation`, i.e. HOW a means was used, in the words of
 * DOMAIN.md's table (which proof of possession, which verification of the person).
 *
 * `AuthEvent` (means layer) is the usual source and `presentationOf` derives a presentation from
 * it. Two facts of the table are not in `AuthEvent`, so they are modelled here:
 *  - the kind of knowledge factor: a PIN and the user's session password are both `knowledge`;
 *    the caller that checked a session password (the OS login, PAM) says so with `detail`;
 *  - readings that prove nothing (a UID read without cryptographic exchange, a FIDO2 assertion
 *    without user verification and possibly without presence): the means layer never turns them
 *    into an `AuthEvent` with a factor, but a reader integration or a misconfigured key may
 *    report them, and the policy must answer them with their own refusal reason.
 */
import type { AuthEvent, Factor, MeansKind, Subject } from '../../means/auth-event.js';
import { meansRefOf, type MeansRef } from './means-ref.js';

/** How possession of the means was shown. */
export type PossessionProof =
  /** The CPS contact chip signed a fresh challenge with its authentication key. */
  | 'card_signature'
  /** Contactless badge: mutual AES authentication with the badge's diversified key. */
  | 'badge_crypto'
  /** Contactless card whose UID / serial number / identifier was only READ. */
  | 'badge_uid_only'
  /** A FIDO2 assertion verified with the enrolled public key. */
  | 'fido_assertion';

/** How the person was verified besides possession. */
export type Verification =
  | 'pin'
  | 'session_password'
  /** Biometrics (on the FIDO2 key, or beside a badge). */
  | 'biometrics'
  /** FIDO2 user presence only (a touch): not user verification. */
  | 'user_presence'
  | 'none';

export interface Presentation {
  readonly means: MeansKind;
  readonly possession: PossessionProof;
  readonly verification: Verification;
  /** Factors the means reported (checked against `possession`/`verification` by the policy). */
  readonly factors: readonly Factor[];
  readonly subject: Subject;
  /** The registered means that was used (certificate, enrolment, credential), when known. */
  readonly meansRef?: MeansRef;
  readonly at: Date;
  readonly reader?: string;
  readonly fallback?: boolean;
}

/** Facts the caller knows beyond the `AuthEvent`. */
export interface PresentationDetail {
  /** The knowledge factor was the user's session password (default: a PIN). */
  readonly knowledge?: 'pin' | 'session_password';
  /** For a FIDO2 assertion without UV: whether the person touched the key (default: yes, Tessera asks for UP). */
  readonly userPresent?: boolean;
}

/**
 * Derives the presentation of an `AuthEvent`. Nothing is trusted blindly: the proof kind sets the
 * possession proof, and the factors set the verification, so an event whose factors contradict
 * its proof (e.g. `knowledge` on a FIDO2 assertion whose UV flag is clear) keeps both facts and
 * the policy refuses it as inconsistent.
 */
export function presentationOf(event: AuthEvent, detail: PresentationDetail = {}): Presentation {
  const f = event.factors;
  const proof = event.proof;
  let possession: PossessionProof;
  let verification: Verification;
  const knowledge: Verification = f.includes('knowledge') ? (detail.knowledge ?? 'pin') : 'none';
  const claimed: Verification = f.includes('inherence') ? 'biometrics' : knowledge;
  switch (proof.kind) {
    case 'card-signature':
      possession = 'card_signature';
      verification = claimed;
      break;
    case 'desfire-mutual-auth':
      possession = 'badge_crypto';
      verification = claimed;
      break;
    case 'fido2-assertion':
      possession = 'fido_assertion';
      if (proof.userVerified) verification = claimed;
      else verification = detail.userPresent === false ? 'none' : 'user_presence';
      break;
  }
  const meansRef = meansRefOf(event);
  return {
    means: event.means,
    possession,
    verification,
    factors: f,
    subject: event.subject,
    ...(meansRef ? { meansRef } : {}),
    at: event.at,
    ...(event.reader !== undefined ? { reader: event.reader } : {}),
    ...(event.fallback ? { fallback: true } : {}),
  };
}

export function isPresentation(x: AuthEvent | Presentation): x is Presentation {
  return 'possession' in x && 'verification' in x;
}
