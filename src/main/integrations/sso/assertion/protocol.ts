/**
 * The agent-assertion protocol (docs/agent-assertion-protocol.md): the names, limits and message
 * shapes both sides share — the workstation agent that signs a proof of its current session and
 * the provider that verifies it. Everything a plug-in for another provider must reproduce is
 * here, as data.
 */
import { createHash } from 'node:crypto';
import type { Factor, MeansKind } from '../../../means/auth-event.js';

/** Path of the agent's loopback endpoint (the port is configuration). */
export const ASSERT_PATH = '/tessera/assert';
/** Path of the provider's back-channel logout endpoint. */
export const AGENT_LOGOUT_PATH = '/tessera/agent-logout';

/** JOSE `typ` of a proof and of a logout notice (explicit typing, RFC 8725 §3.11). */
export const PROOF_TYP = 'tessera-assertion+jwt';
export const LOGOUT_TYP = 'tessera-logout+jwt';
/** The only signature algorithm: ECDSA P-256 with SHA-256 (RFC 7518 §3.4). */
export const PROOF_ALG = 'ES256';

/** Query parameters of the request to the agent (provider → browser → agent). */
export const REQUEST_PARAMS = { nonce: 'nonce', issuer: 'iss', returnTo: 'return_to' } as const;
/** Query parameters of the answer (agent → browser → provider). */
export const RESPONSE_PARAMS = { proof: 'proof', error: 'error' } as const;

/** `error` values the agent sends back instead of a proof. */
export type AssertionErrorValue =
  /** No active session at the agent (signed out, locked, expired). */
  | 'no_session'
  /** The request was malformed (missing or malformed nonce). */
  | 'invalid_request'
  /** The agent could not sign (key unavailable). */
  | 'server_error';

/** Provider nonce: 32 random bytes, base64url without padding (43 characters). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** How long a provider nonce may be used (seconds). */
export const NONCE_TTL_S = 60;
/** Lifetime the agent gives a proof (seconds) and the most a provider accepts (exp - iat). */
export const PROOF_TTL_S = 30;
export const MAX_PROOF_TTL_S = 120;
/** Clock skew tolerated on iat / exp (seconds). */
export const CLOCK_SKEW_S = 5;
/** Largest compact JWS a verifier reads (bytes); larger is refused before any parsing. */
export const MAX_JWS_BYTES = 16_384;
/** At most this many certificates in the evidence chain, each at most MAX_CERT_BYTES of DER. */
export const MAX_EVIDENCE_CERTS = 4;
export const MAX_CERT_BYTES = 4096;

/** The person the session belongs to, as the proof carries it. */
export interface ProofPerson {
  /** Tessera subject id (`rpps:<11 digits>` for a CPS holder, or a local id). */
  readonly id: string;
  readonly rpps?: string;
  readonly name: string;
  readonly given_name?: string;
  readonly family_name?: string;
  readonly profession?: string;
}

/** Evidence of the card the session was opened with: its certificate chain, leaf first (base64 DER, RFC 7515 `x5c` encoding). */
export interface ProofEvidence {
  readonly type: 'x509-chain';
  readonly x5c: readonly string[];
  /**
   * The card's own signature for this proof, when the agent still holds the PIN-verified card:
   * base64url (no padding) of RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2) by the key of the
   * leaf certificate, over `cardSignatureInput(claims)`.
   */
  readonly cardSignature?: string;
}

/** First line of the bytes the card signs (domain separation: these bytes mean nothing else). */
export const CARD_SIGNATURE_CONTEXT = 'tessera-card-signature-v1';
/** Largest card signature accepted (bytes; RSA-4096). */
export const MAX_CARD_SIGNATURE_BYTES = 512;

/**
 * The exact bytes the CPS card signs for one proof (docs/agent-assertion-protocol.md §4.1):
 * UTF-8 of five lines joined by LF (0x0A), no final LF:
 *
 *   tessera-card-signature-v1
 *   <aud>        the provider's issuer, exactly as in the proof
 *   <nonce>      the provider's nonce, verbatim
 *   <jti>        the proof's jti
 *   <iat>        the proof's iat, decimal, no sign, no leading zeros
 *
 * So a card signature is valid for one provider, one nonce and one proof only. A value holding
 * CR or LF cannot be framed without ambiguity: RangeError (the provider refuses such a proof).
 */
export function cardSignatureInput(c: Pick<ProofClaims, 'aud' | 'nonce' | 'jti' | 'iat'>): Buffer {
  const fields = [c.aud, c.nonce, c.jti];
  if (fields.some((f) => /[\r\n]/.test(f))) throw new RangeError('a proof claim signed by the card holds a line break');
  if (!Number.isSafeInteger(c.iat) || c.iat < 0) throw new RangeError('iat must be a non-negative integer');
  return Buffer.from([CARD_SIGNATURE_CONTEXT, ...fields, String(c.iat)].join('\n'), 'utf8');
}

/** Payload of a proof (JWS with `typ` = PROOF_TYP). Times are seconds since the epoch. */
export interface ProofClaims {
  /** The workstation (`tessera:ws:<name>`). */
  readonly iss: string;
  /** The provider's issuer identifier, exactly. */
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** The provider's nonce, verbatim. */
  readonly nonce: string;
  readonly person: ProofPerson;
  /** Means and factors of the session's last authentication (a badge tap: `possession`). */
  readonly means: MeansKind;
  readonly factors: readonly Factor[];
  /** Session id at the agent (changes with each new two-factor authentication). */
  readonly sid: string;
  /** Time of the two-factor authentication the session's window hangs on. */
  readonly auth_time: number;
  readonly two_factor_means: MeansKind;
  /** End of the session's EXI 14 window. */
  readonly window_end: number;
  readonly evidence?: ProofEvidence;
}

export type LogoutReason = 'sign_out' | 'expire' | 'lock';

/** Payload of a logout notice (JWS with `typ` = LOGOUT_TYP). */
export interface LogoutClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** The person's Tessera subject id (as in `person.id` of the proofs). */
  readonly sub: string;
  readonly rpps?: string;
  /**
   * Why: `sign_out`, `expire` (end of the window), or `lock` (the workstation locked, or another
   * person switched in): the browser on a shared workstation must not stay signed in as someone
   * who walked away; after an unlock, the next sign-in is asserted again without a prompt.
   */
  readonly reason: LogoutReason;
}

/**
 * Authentication method references (RFC 8176 §2) for a means and its factors:
 *   cps (contact card, key on the chip) → `sc`; desfire (contactless card, AES mutual auth) → `sc`;
 *   fido2 (security key) → `hwk`; knowledge (PIN checked by the card or the key) → `pin`;
 *   inherence (on-key biometrics, fingerprint readers) → `fpt`; two factors or more → `mfa`.
 * `cardSigned`: the provider itself verified the CPS card's signature over this login's nonce
 * (a proof of possession of a hardware-secured key) → `hwk` after `sc`.
 */
export function amrFor(means: MeansKind, factors: readonly Factor[], cardSigned = false): string[] {
  const amr: string[] = [];
  if (factors.includes('possession')) amr.push(means === 'fido2' ? 'hwk' : 'sc');
  if (cardSigned && !amr.includes('hwk')) amr.push('hwk');
  if (factors.includes('knowledge')) amr.push('pin');
  if (factors.includes('inherence')) amr.push('fpt');
  if (new Set(factors).size >= 2) amr.push('mfa');
  return amr;
}

/**
 * The provider's account id (the ID token's `sub`): the RPPS number when there is one (the
 * `rpps` field, or a subject id of the form `rpps:<11 digits>`), else the Tessera subject id.
 */
export function accountIdFor(person: { readonly id: string; readonly rpps?: string | undefined }): string {
  return person.rpps ?? /^rpps:([0-9]{11})$/.exec(person.id)?.[1] ?? person.id;
}

/** Session id as the agent derives it: SHA-256 of workstation, person and 2FA instant, base64url (stable for one 2FA). */
export function sessionIdFor(workstation: string, personId: string, twoFactorAtMs: number): string {
  return createHash('sha256').update(`${workstation}\n${personId}\n${twoFactorAtMs}`).digest('base64url');
}

/** `iss` the agent writes in its messages. */
export function workstationIssuer(workstation: string): string {
  return `tessera:ws:${workstation}`;
}
