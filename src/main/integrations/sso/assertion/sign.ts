/**
 * Building the agent's signed messages: a proof of the current session for one provider nonce,
 * and a logout notice. Both are compact JWS (RFC 7515) with `alg` ES256, an explicit `typ` and
 * `kid` = the workstation key's RFC 7638 thumbprint.
 */
import { randomBytes } from 'node:crypto';
import { CompactSign } from 'jose';
import { LOGOUT_TYP, PROOF_ALG, PROOF_TTL_S, PROOF_TYP, amrFor, cardSignatureInput, type LogoutClaims, type ProofClaims } from './protocol.js';
import type { AssertionSession } from './session-source.js';
import type { WorkstationKey } from './workstation-key.js';

const seconds = (ms: number): number => Math.floor(ms / 1000);

async function sign(key: WorkstationKey, typ: string, payload: object): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8')).setProtectedHeader({ alg: PROOF_ALG, typ, kid: key.kid }).sign(key.privateKey);
}

export interface ProofRequest {
  readonly nonce: string;
  /** The provider's issuer (the proof's audience). */
  readonly audience: string;
  /** `iss` of the proof (`workstationIssuer(name)`). */
  readonly issuer: string;
  readonly nowMs: number;
  readonly ttlSeconds?: number;
}

/** The claims of a proof for `session` (exported for tests that forge variants). */
export function proofClaims(session: AssertionSession, req: ProofRequest): ProofClaims {
  const iat = seconds(req.nowMs);
  const p = session.person;
  return {
    iss: req.issuer,
    aud: req.audience,
    iat,
    exp: iat + (req.ttlSeconds ?? PROOF_TTL_S),
    jti: randomBytes(16).toString('base64url'),
    nonce: req.nonce,
    person: {
      id: p.id,
      name: p.name,
      ...(p.rpps !== undefined ? { rpps: p.rpps } : {}),
      ...(p.givenName !== undefined ? { given_name: p.givenName } : {}),
      ...(p.surname !== undefined ? { family_name: p.surname } : {}),
      ...(p.profession !== undefined ? { profession: p.profession } : {}),
    },
    means: session.means,
    factors: [...session.factors],
    sid: session.sessionId,
    auth_time: seconds(session.twoFactorAt.getTime()),
    two_factor_means: session.twoFactorMeans,
    window_end: seconds(session.windowEnd.getTime()),
    ...(session.certificateChain && session.certificateChain.length > 0
      ? { evidence: { type: 'x509-chain' as const, x5c: session.certificateChain.map((der) => der.toString('base64')) } }
      : {}),
  };
}

export function signClaims(key: WorkstationKey, claims: ProofClaims): Promise<string> {
  return sign(key, PROOF_TYP, claims);
}

/**
 * The claims with the card's signature in the evidence, when the session has a chain and a held
 * card. A card that fails (pulled meanwhile, error, timeout) leaves the proof without one:
 * `cardSigned` says which.
 */
export async function withCardSignature(session: AssertionSession, claims: ProofClaims): Promise<{ claims: ProofClaims; cardSigned: boolean }> {
  if (!session.cardSigner || !claims.evidence) return { claims, cardSigned: false };
  let signature: Buffer;
  try {
    signature = await session.cardSigner.sign(cardSignatureInput(claims));
  } catch {
    return { claims, cardSigned: false };
  }
  return { claims: { ...claims, evidence: { ...claims.evidence, cardSignature: signature.toString('base64url') } }, cardSigned: true };
}

export async function signProof(key: WorkstationKey, session: AssertionSession, req: ProofRequest): Promise<{ jws: string; cardSigned: boolean }> {
  const { claims, cardSigned } = await withCardSignature(session, proofClaims(session, req));
  return { jws: await signClaims(key, claims), cardSigned };
}

export function signLogout(key: WorkstationKey, claims: Omit<LogoutClaims, 'jti' | 'iat' | 'exp'> & { readonly nowMs: number }): Promise<string> {
  const iat = seconds(claims.nowMs);
  const { nowMs: _now, ...rest } = claims;
  const body: LogoutClaims = { ...rest, iat, exp: iat + PROOF_TTL_S, jti: randomBytes(16).toString('base64url') };
  return sign(key, LOGOUT_TYP, body);
}

/** The amr a provider will derive from a session (for displays and tests). */
export function amrOf(session: Pick<AssertionSession, 'means' | 'factors'>): string[] {
  return amrFor(session.means, session.factors);
}
