/**
 * What every means of identification yields when it has proven something: the input of the
 * session layer. A factor appears here only after a cryptographic check succeeded; reading an
 * identifier or a certificate never adds one.
 */
export type Factor = 'possession' | 'knowledge' | 'inherence';
export type MeansKind = 'cps' | 'desfire' | 'fido2';

export interface Subject {
  /** Stable person key used by the session and the audit trail, e.g. `rpps:10001234567`. */
  readonly id: string;
  /** RPPS number (11 digits) when the means carries one. */
  readonly rpps?: string;
  /** Display name, "Given Surname". */
  readonly name: string;
  readonly givenName?: string;
  readonly surname?: string;
  readonly profession?: string;
}

export interface CardSignatureProof {
  readonly kind: 'card-signature';
  /** Hex of the random challenge the card signed. */
  readonly challenge: string;
  /** SHA-256 (hex) of the certificate whose key verified the signature. */
  readonly certificateSha256: string;
}

/** A DESFire badge proved it holds its diversified key (mutual AES authentication). */
export interface BadgeAuthProof {
  readonly kind: 'desfire-mutual-auth';
  /** Real 7-byte UID (read after authentication), hex. */
  readonly uid: string;
  readonly aid: string;
  readonly keyNo: number;
  readonly keyVersion?: number;
  /** Enrolment identifier read from the badge's identity file, when read. */
  readonly enrolmentId?: string;
}

/** A FIDO2 authenticator produced an assertion verified against the enrolled public key. */
export interface FidoAssertionProof {
  readonly kind: 'fido2-assertion';
  /** base64url credential id. */
  readonly credentialId: string;
  readonly rpId: string;
  readonly signCount: number;
  readonly userVerified: boolean;
  readonly aaguid?: string;
}

export type AuthProof = CardSignatureProof | BadgeAuthProof | FidoAssertionProof;

export interface AuthEvent {
  readonly means: MeansKind;
  readonly factors: readonly Factor[];
  readonly subject: Subject;
  readonly proof: AuthProof;
  /** True when the means was used as the fallback for a missing card (audited as such). */
  readonly fallback?: boolean;
  readonly at: Date;
  /** Reader the card was in, for lock-on-removal. */
  readonly reader?: string;
}
