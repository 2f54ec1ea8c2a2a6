/**
 * Enrolment, re-keying and revocation are audited events (docs/desfire-badge.md §6): each one
 * is handed to an `EnrolmentAudit` — the agent writes it to the audit trail with fsync — before
 * it takes effect (before the register binds the badge, before the first key changes, before the
 * revocation is written). When the audit write fails, nothing is done.
 *
 * The entry names who did it (the subject of the operator's two-factor authentication), the
 * badge by its public identifiers and the person it belongs to; never a key or a PIN.
 */
import type { AuthEvent, Factor } from '../auth-event.js';
import { BadgeError } from './badge-error.js';

export type EnrolmentAuditKind = 'enrolment' | 'rekey' | 'revocation';

/** Revocation reasons (stable codes, recorded as such). */
export const REVOCATION_REASONS = ['lost', 'stolen', 'damaged', 'left', 'replaced', 'other'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface EnrolmentAuditEntry {
  readonly kind: EnrolmentAuditKind;
  /** Subject id of the person whose two-factor authentication authorised the operation. */
  readonly operator: string;
  /** Factors of that authentication. */
  readonly operatorFactors: readonly Factor[];
  /** Badge enrolment id (32 hex digits). */
  readonly enrolmentId: string;
  /** Subject id of the person the badge belongs to, when known. */
  readonly subject?: string;
  /** Real UID (hex), when the badge is at hand. */
  readonly uid?: string;
  /** Key version after the operation (enrolment, re-key). */
  readonly keyVersion?: number;
  readonly revocationReason?: RevocationReason;
  readonly reader?: string;
  readonly at: Date;
}

export interface EnrolmentAudit {
  /** Durable when it resolves; a rejection stops the operation. */
  record(entry: EnrolmentAuditEntry): Promise<void>;
}

/** The operator fields of an entry, from the authorising two-factor event. */
export function operatorOf(proof: AuthEvent): Pick<EnrolmentAuditEntry, 'operator' | 'operatorFactors'> {
  return { operator: proof.subject.id, operatorFactors: [...proof.factors] };
}

/**
 * Records `entry` before its operation takes effect. A failed write (no audit trail, disk full,
 * log closed) becomes `audit_unavailable`: the caller stops and changes nothing.
 */
export async function recordBeforeEffect(audit: EnrolmentAudit | undefined, entry: EnrolmentAuditEntry): Promise<void> {
  if (!audit) return;
  try {
    await audit.record(entry);
  } catch (e) {
    throw new BadgeError('audit_unavailable', `${entry.kind} not recorded: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
