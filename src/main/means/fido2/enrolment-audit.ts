/**
 * A FIDO2 key enrolled from the workstation is an audited event, like a badge enrolment
 * (src/main/means/desfire/enrolment-audit.ts): the entry is handed to a `FidoEnrolmentAudit`
 * (the agent writes it to the audit trail with fsync) after the key made the credential and
 * before the enrolment store holds it. When the audit write fails, nothing is enrolled.
 *
 * The entry names who authorised it (the subject of the two-factor authentication), the key by
 * its public identifiers (credential id, AAGUID) and the person it belongs to; never a PIN.
 */
import type { Factor } from '../auth-event.js';

export interface FidoEnrolmentAuditEntry {
  /** Subject id of the person whose two-factor authentication authorised the enrolment. */
  readonly operator: string;
  readonly operatorFactors: readonly Factor[];
  /** Credential id (base64url), a public identifier. */
  readonly credentialId: string;
  /** Subject id of the person the key is enrolled for. */
  readonly subject: string;
  readonly at: Date;
}

export interface FidoEnrolmentAudit {
  /** Durable when it resolves; a rejection stops the enrolment. */
  record(entry: FidoEnrolmentAuditEntry): Promise<void>;
}
