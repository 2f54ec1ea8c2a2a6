/**
 * The provider's checks of the agent's signed messages (docs/agent-assertion-protocol.md §5),
 * one small function per check, run in the order of the table at the bottom. Any failure is
 * `SsoError('sso_assertion_invalid')` with a stable `reason`; nothing in the message is trusted
 * before its signature verified with an ENROLLED workstation key.
 */
import { createPublicKey, verify as verifyRsa, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { parseCardCertificate } from '../../../means/cps/certificate.js';
import { isTesseraError } from '../../../errors.js';
import type { TrustStore } from '../../../means/cps/trust-store.js';
import {
  CLOCK_SKEW_S,
  LOGOUT_TYP,
  MAX_CARD_SIGNATURE_BYTES,
  MAX_CERT_BYTES,
  MAX_EVIDENCE_CERTS,
  MAX_JWS_BYTES,
  MAX_PROOF_TTL_S,
  NONCE_PATTERN,
  PROOF_ALG,
  PROOF_TYP,
  cardSignatureInput,
  type LogoutClaims,
  type ProofClaims,
} from '../assertion/protocol.js';
import { describePublicKey } from '../assertion/workstation-key.js';
import { SsoError } from '../sso-error.js';
import type { NonceCheck } from './nonce-store.js';

export type ProofProblem =
  | 'too_large'
  | 'malformed'
  | 'algorithm'
  | 'type'
  | 'unknown_key'
  | 'signature'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'lifetime'
  | 'replayed'
  | `nonce_${Exclude<NonceCheck, 'ok'>}`
  | 'auth_too_old'
  | 'evidence_required'
  | 'untrusted_certificate'
  | 'identity_mismatch'
  | 'card_signature'
  | 'card_signature_required';

const invalid = (reason: ProofProblem, detail: string): SsoError => new SsoError('sso_assertion_invalid', `agent proof refused: ${detail}`, { reason });

export interface EnrolledWorkstation {
  readonly name: string;
  readonly kid: string;
  readonly key: KeyObject;
}

/** Enrolled workstation keys by `kid` (RFC 7638 thumbprint). */
export class WorkstationKeyRing {
  private constructor(private readonly byKid: ReadonlyMap<string, EnrolledWorkstation>) {}

  static async fromPublicKeys(entries: readonly { name: string; key: KeyObject }[]): Promise<WorkstationKeyRing> {
    const map = new Map<string, EnrolledWorkstation>();
    for (const e of entries) {
      const { kid } = await describePublicKey(e.key);
      map.set(kid, { name: e.name, kid, key: e.key });
    }
    return new WorkstationKeyRing(map);
  }

  /** Reads SPKI PEM files; an unreadable file or a key that is not P-256 is `sso_config_invalid`. */
  static async fromFiles(entries: readonly { name: string; publicKeyFile: string }[]): Promise<WorkstationKeyRing> {
    const keys = entries.map((e, i) => {
      try {
        return { name: e.name, key: createPublicKey(readFileSync(e.publicKeyFile)) };
      } catch (err) {
        throw new SsoError('sso_config_invalid', `agent.workstationKeys.${i}.publicKeyFile: cannot read a public key from ${e.publicKeyFile}`, { reason: `agent.workstationKeys.${i}.publicKeyFile`, cause: err });
      }
    });
    return WorkstationKeyRing.fromPublicKeys(keys);
  }

  get(kid: string): EnrolledWorkstation | undefined {
    return this.byKid.get(kid);
  }

  get size(): number {
    return this.byKid.size;
  }
}

// ── shared checks (proof and logout) ─────────────────────────────────────────────────────────

async function verifySignature(jws: string, typ: string, ring: WorkstationKeyRing): Promise<{ payload: unknown; workstation: EnrolledWorkstation }> {
  if (Buffer.byteLength(jws, 'utf8') > MAX_JWS_BYTES) throw invalid('too_large', `more than ${MAX_JWS_BYTES} bytes`);
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) throw invalid('malformed', 'not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw invalid('malformed', 'unreadable protected header');
  }
  if (header.alg !== PROOF_ALG) throw invalid('algorithm', `alg ${String(header.alg)}`);
  if (header.typ !== typ) throw invalid('type', `typ ${String(header.typ)}`);
  if (header.crit !== undefined) throw invalid('malformed', 'crit header not supported');
  const workstation = typeof header.kid === 'string' ? ring.get(header.kid) : undefined;
  if (!workstation) throw invalid('unknown_key', `kid ${String(header.kid)} is not an enrolled workstation`);
  let payloadBytes: Uint8Array;
  try {
    payloadBytes = (await compactVerify(jws, workstation.key, { algorithms: [PROOF_ALG] })).payload;
  } catch {
    throw invalid('signature', `signature does not verify with the key of ${workstation.name}`);
  }
  try {
    return { payload: JSON.parse(Buffer.from(payloadBytes).toString('utf8')), workstation };
  } catch {
    throw invalid('malformed', 'payload is not JSON');
  }
}

function checkTimes(c: { iat: number; exp: number }, nowS: number): void {
  if (c.exp <= nowS - CLOCK_SKEW_S) throw invalid('expired', `expired at ${c.exp}, now ${nowS}`);
  if (c.iat > nowS + CLOCK_SKEW_S) throw invalid('not_yet_valid', `issued in the future (${c.iat})`);
  if (c.exp <= c.iat || c.exp - c.iat > MAX_PROOF_TTL_S) throw invalid('lifetime', `lifetime ${c.exp - c.iat} s`);
}

function checkAudience(aud: string, issuer: string): void {
  if (aud !== issuer) throw invalid('audience', `audience ${aud}`);
}

// ── proof ────────────────────────────────────────────────────────────────────────────────────

const seconds = z.int().min(0).max(2 ** 40);
const text = (max: number): z.ZodString => z.string().min(1).max(max);
const proofSchema = z.object({
  iss: text(256),
  aud: text(2048),
  iat: seconds,
  exp: seconds,
  jti: text(128),
  nonce: z.string().regex(NONCE_PATTERN),
  person: z.object({
    id: text(256),
    rpps: z.string().regex(/^[0-9]{11}$/).optional(),
    name: text(256),
    given_name: text(256).optional(),
    family_name: text(256).optional(),
    profession: text(256).optional(),
  }),
  means: z.enum(['cps', 'desfire', 'fido2']),
  factors: z.array(z.enum(['possession', 'knowledge', 'inherence'])).min(1).max(3),
  sid: text(128),
  auth_time: seconds,
  two_factor_means: z.enum(['cps', 'desfire', 'fido2']),
  window_end: seconds,
  evidence: z
    .object({
      type: z.literal('x509-chain'),
      x5c: z.array(z.string().max(Math.ceil((MAX_CERT_BYTES * 4) / 3) + 4)).min(1).max(MAX_EVIDENCE_CERTS),
      cardSignature: z.string().regex(/^[A-Za-z0-9_-]+$/).max(Math.ceil((MAX_CARD_SIGNATURE_BYTES * 4) / 3)).optional(),
    })
    .optional(),
});

export interface ProofContext {
  readonly issuer: string;
  readonly ring: WorkstationKeyRing;
  /** Uses the nonce (single use) and says whether it was issued for this interaction. */
  readonly consumeNonce: (nonce: string) => NonceCheck;
  /** CPS anchors; when set, CPS proofs must carry a chain that verifies to them. */
  readonly trust?: TrustStore;
  readonly maxAuthAgeS: number;
  readonly nowMs: number;
  /** Refuse a CPS session's proof that the card did not sign (`agent.requireCardSignature`). */
  readonly requireCardSignature?: boolean;
}

export interface VerifiedProof {
  readonly claims: ProofClaims;
  readonly workstation: EnrolledWorkstation;
  /** SHA-256 (hex) of the card certificate that was checked, when evidence was checked. */
  readonly certificateSha256?: string;
  /** The card's signature over this proof verified with a leaf that chains to the CPS anchors. */
  readonly cardSigned: boolean;
}

function checkEvidence(c: ProofClaims, ctx: ProofContext): string | undefined {
  const trust = ctx.trust;
  if (!trust || trust.certificates.length === 0) return undefined;
  if (!c.evidence) {
    if (c.two_factor_means === 'cps') throw invalid('evidence_required', 'a CPS session without its certificate chain');
    return undefined;
  }
  const der = Buffer.from(c.evidence.x5c[0] ?? '', 'base64');
  if (der.length === 0 || der.length > MAX_CERT_BYTES) throw invalid('malformed', 'evidence certificate size');
  let leaf: ReturnType<typeof parseCardCertificate>;
  try {
    leaf = parseCardCertificate(der);
    trust.verify(leaf.x509, new Date(ctx.nowMs));
  } catch (e) {
    const sub = isTesseraError(e) ? (e as { reason?: unknown }).reason : undefined;
    const why = isTesseraError(e) ? `${e.code}${typeof sub === 'string' ? ` (${sub})` : ''}` : 'unreadable';
    throw invalid('untrusted_certificate', `card certificate refused: ${why}`);
  }
  if (leaf.holder.rpps !== c.person.rpps) throw invalid('identity_mismatch', 'the certificate names another person');
  return leaf.summary.sha256;
}

/**
 * §5 check 13: a card signature present must verify, with the key of the leaf of `x5c`, over the
 * bytes of `cardSignatureInput` (RSASSA-PKCS1-v1_5, SHA-256). True when it verified; false when
 * there is none. Only a leaf that chained to the anchors (check 11) makes it count as card-signed.
 */
function checkCardSignature(c: ProofClaims): boolean {
  const sig = c.evidence?.cardSignature;
  if (sig === undefined) return false;
  let input: Buffer;
  try {
    input = cardSignatureInput(c);
  } catch {
    throw invalid('malformed', 'a claim under the card signature holds a line break');
  }
  const signature = Buffer.from(sig, 'base64url');
  let key: KeyObject;
  try {
    key = parseCardCertificate(Buffer.from(c.evidence?.x5c[0] ?? '', 'base64')).x509.publicKey;
  } catch {
    throw invalid('card_signature', 'no readable leaf certificate for the card signature');
  }
  let valid = false;
  try {
    valid = key.asymmetricKeyType === 'rsa' && signature.length > 0 && signature.length <= MAX_CARD_SIGNATURE_BYTES && verifyRsa('sha256', input, key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw invalid('card_signature', 'the card signature does not verify with the leaf certificate key over this proof');
  return true;
}

/** Every check of a proof, in order; the nonce is used up only once the signature verified. */
export async function verifyProof(jws: string, ctx: ProofContext): Promise<VerifiedProof> {
  const { payload, workstation } = await verifySignature(jws, PROOF_TYP, ctx.ring);
  const parsed = proofSchema.safeParse(payload);
  if (!parsed.success) throw invalid('malformed', `payload field ${parsed.error.issues[0]?.path.join('.') ?? '?'}`);
  const c = parsed.data as ProofClaims;
  const nowS = Math.floor(ctx.nowMs / 1000);
  checkAudience(c.aud, ctx.issuer);
  checkTimes(c, nowS);
  const nonce = ctx.consumeNonce(c.nonce);
  if (nonce !== 'ok') throw invalid(`nonce_${nonce}`, `nonce ${nonce}`);
  if (c.auth_time > nowS + CLOCK_SKEW_S || nowS - c.auth_time > ctx.maxAuthAgeS) throw invalid('auth_too_old', `two-factor authentication at ${c.auth_time}`);
  const certificateSha256 = checkEvidence(c, ctx);
  const signed = checkCardSignature(c);
  if (!signed && ctx.requireCardSignature === true && c.two_factor_means === 'cps') throw invalid('card_signature_required', 'a CPS session whose card did not sign the proof');
  return { claims: c, workstation, cardSigned: signed && certificateSha256 !== undefined, ...(certificateSha256 ? { certificateSha256 } : {}) };
}

// ── logout notice ────────────────────────────────────────────────────────────────────────────

const logoutSchema = z.object({
  iss: text(256),
  aud: text(2048),
  iat: seconds,
  exp: seconds,
  jti: text(128),
  sub: text(256),
  rpps: z.string().regex(/^[0-9]{11}$/).optional(),
  reason: z.enum(['sign_out', 'expire', 'lock']),
});

export interface LogoutContext {
  readonly issuer: string;
  readonly ring: WorkstationKeyRing;
  /** True the first time a jti is seen (remembered until `untilMs`). */
  readonly firstUse: (jti: string, untilMs: number) => boolean;
  readonly nowMs: number;
}

export async function verifyLogout(jws: string, ctx: LogoutContext): Promise<{ claims: LogoutClaims; workstation: EnrolledWorkstation }> {
  const { payload, workstation } = await verifySignature(jws, LOGOUT_TYP, ctx.ring);
  const parsed = logoutSchema.safeParse(payload);
  if (!parsed.success) throw invalid('malformed', `payload field ${parsed.error.issues[0]?.path.join('.') ?? '?'}`);
  const c = parsed.data as LogoutClaims;
  checkAudience(c.aud, ctx.issuer);
  checkTimes(c, Math.floor(ctx.nowMs / 1000));
  if (!ctx.firstUse(`${workstation.kid}:${c.jti}`, (c.exp + CLOCK_SKEW_S) * 1000)) throw invalid('replayed', `jti ${c.jti} already used`);
  return { claims: c, workstation };
}
