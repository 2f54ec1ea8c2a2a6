/**
 * The audit input for a badge enrolment, re-key or revocation (src/main/means/desfire,
 * `EnrolmentAuditEntry`) and for a FIDO2 key enrolment (`FidoEnrolmentAuditEntry`): `person`
 * is who did it (the operator's two-factor session), the details name the badge or key by its
 * public identifiers (enrolment id, UID, credential id), the person it belongs to and the key
 * version — never a key, a PIN or a verifier.
 */
import type { EnrolmentAuditEntry } from '../../means/desfire/enrolment-audit.js';
import type { FidoEnrolmentAuditEntry } from '../../means/fido2/enrolment-audit.js';
import type { AuditDetails, AuditEventKind, AuditInput } from './record.js';

const EVENT: Record<EnrolmentAuditEntry['kind'], AuditEventKind> = {
  enrolment: 'means_enrolled',
  rekey: 'means_rekeyed',
  revocation: 'means_revoked',
};

const REASON: Record<EnrolmentAuditEntry['kind'], string> = {
  enrolment: 'desfire.enrolled',
  rekey: 'desfire.rekeyed',
  revocation: 'desfire.revoked',
};

export function auditInputFromEnrolment(e: EnrolmentAuditEntry): AuditInput {
  const details: AuditDetails = {
    enrolmentId: e.enrolmentId,
    ...(e.uid !== undefined ? { badgeUid: e.uid } : {}),
    ...(e.subject !== undefined ? { subjectPerson: e.subject } : {}),
    ...(e.keyVersion !== undefined ? { meansVersion: e.keyVersion } : {}),
    ...(e.reader !== undefined ? { reader: e.reader } : {}),
    ...(e.revocationReason !== undefined ? { revocationReason: e.revocationReason } : {}),
  };
  return {
    event: EVENT[e.kind],
    decision: 'allow',
    reason: REASON[e.kind],
    means: 'desfire',
    factors: e.operatorFactors,
    person: e.operator,
    details,
    time: e.at,
  };
}

/** `means_enrolled` / `fido2.enrolled`: the key named by its credential id. */
export function auditInputFromFidoEnrolment(e: FidoEnrolmentAuditEntry): AuditInput {
  return {
    event: 'means_enrolled',
    decision: 'allow',
    reason: 'fido2.enrolled',
    means: 'fido2',
    factors: e.operatorFactors,
    person: e.operator,
    details: { credentialId: e.credentialId, subjectPerson: e.subject },
    time: e.at,
  };
}
