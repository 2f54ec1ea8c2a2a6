/**
 * Classifies a presentation with the RIE rules table. Before the table is consulted, the
 * presentation must be coherent: the factors the means reported must be exactly the ones its
 * possession proof and verification give (a knowledge factor without a PIN or password, a
 * possession factor from a UID read...), otherwise it is refused as `rie.inconsistent_event`.
 */
import type { AuthEvent, Factor } from '../../means/auth-event.js';
import { isPresentation, presentationOf, type Presentation, type PresentationDetail, type Verification } from './presentation.js';
import { RIE_RULES, type Classification, type RieRule } from './rie-rules.js';
import type { RieReason } from './reasons.js';

export interface RieClassification {
  readonly classification: Classification;
  readonly reason: RieReason;
  /** The rule that decided (undefined for inconsistent or unmatched presentations). */
  readonly rule?: RieRule;
  readonly presentation: Presentation;
  /** The input was not a well-formed event: only `presentation.subject.id` is meaningful. */
  readonly malformed?: true;
}

const PROOF_OF_MEANS: Record<Presentation['means'], readonly Presentation['possession'][]> = {
  cps: ['card_signature'],
  desfire: ['badge_crypto', 'badge_uid_only'],
  fido2: ['fido_assertion'],
};

/** The factor a verification adds, if any. */
function factorOf(v: Verification): Factor | undefined {
  switch (v) {
    case 'pin':
    case 'session_password':
      return 'knowledge';
    case 'biometrics':
      return 'inherence';
    case 'user_presence':
    case 'none':
      return undefined;
  }
}

/** The factors a presentation proves: possession only from a cryptographic proof. */
export function provenFactors(p: Pick<Presentation, 'possession' | 'verification'>): Factor[] {
  const out: Factor[] = p.possession === 'badge_uid_only' ? [] : ['possession'];
  const second = factorOf(p.verification);
  if (second) out.push(second);
  return out;
}

function coherent(p: Presentation): boolean {
  if (!PROOF_OF_MEANS[p.means].includes(p.possession)) return false;
  const expected = provenFactors(p);
  const reported = new Set(p.factors);
  if (reported.size !== p.factors.length) return false;
  // A UID read proves nothing, so whatever factors it reports are not checked against it: the
  // UID row refuses it by itself.
  if (p.possession === 'badge_uid_only') return true;
  return reported.size === expected.length && expected.every((f) => reported.has(f));
}

export function classifyPresentation(p: Presentation, rules: readonly RieRule[] = RIE_RULES): RieClassification {
  if (!coherent(p)) return { classification: 'refused', reason: 'rie.inconsistent_event', presentation: p };
  for (const rule of rules) {
    if (rule.means === p.means && rule.possession === p.possession && rule.verification.includes(p.verification)) {
      return { classification: rule.classification, reason: rule.reason, rule, presentation: p };
    }
  }
  return { classification: 'refused', reason: 'rie.no_matching_rule', presentation: p };
}

const MEANS = new Set<string>(['cps', 'desfire', 'fido2']);
const FACTORS = new Set<string>(['possession', 'knowledge', 'inherence']);
const PROOFS = new Set<string>(['card-signature', 'desfire-mutual-auth', 'fido2-assertion']);
const POSSESSIONS = new Set<string>(['card_signature', 'badge_crypto', 'badge_uid_only', 'fido_assertion']);
const VERIFICATIONS = new Set<string>(['pin', 'session_password', 'biometrics', 'user_presence', 'none']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Events may reach the session layer from outside the process later (control channel, IPC):
 * whatever their shape, the answer is a refusal, never a crash.
 */
function wellFormed(input: unknown): boolean {
  if (!isObject(input)) return false;
  const subject = input['subject'];
  const at = input['at'];
  const factors = input['factors'];
  if (typeof input['means'] !== 'string' || !MEANS.has(input['means'])) return false;
  if (!isObject(subject) || typeof subject['id'] !== 'string' || subject['id'] === '') return false;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) return false;
  if (!Array.isArray(factors) || factors.length > 3 || !factors.every((f) => typeof f === 'string' && FACTORS.has(f))) return false;
  if ('possession' in input || 'verification' in input) {
    return typeof input['possession'] === 'string' && POSSESSIONS.has(input['possession']) && typeof input['verification'] === 'string' && VERIFICATIONS.has(input['verification']);
  }
  const proof = input['proof'];
  return isObject(proof) && typeof proof['kind'] === 'string' && PROOFS.has(proof['kind']);
}

/** A presentation to carry a malformed input's refusal: only the fields that were usable. */
function refusedShape(input: unknown): Presentation {
  const o = isObject(input) ? input : {};
  const subject = isObject(o['subject']) && typeof o['subject']['id'] === 'string' && o['subject']['id'] !== '' ? o['subject']['id'] : 'unknown';
  const means = typeof o['means'] === 'string' && MEANS.has(o['means']) ? (o['means'] as Presentation['means']) : 'cps';
  return { means, possession: 'badge_uid_only', verification: 'none', factors: [], subject: { id: subject, name: '' }, at: new Date(0) };
}

/** Classifies an `AuthEvent` (through `presentationOf`) or a ready presentation. */
export function classify(input: AuthEvent | Presentation, detail?: PresentationDetail): RieClassification {
  if (!wellFormed(input)) return { classification: 'refused', reason: 'rie.inconsistent_event', presentation: refusedShape(input), malformed: true };
  return classifyPresentation(isPresentation(input) ? input : presentationOf(input, detail));
}
