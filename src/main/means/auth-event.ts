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

export interface AuthEvent {
  readonly means: MeansKind;
  readonly factors: readonly Factor[];
  readonly subject: Subject;
  readonly proof: CardSignatureProof;
  readonly at: Date;
  /** Reader the card was in, for lock-on-removal. */
  readonly reader?: string;
}
