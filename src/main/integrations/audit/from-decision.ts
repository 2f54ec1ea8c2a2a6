/**
 * The audit input for a session engine decision (src/main/session/policy/decision.ts): every
 * field the auditor needs, from typed values only. The registered means is named by its public
 * identifier (certificate SHA-256, badge enrolment id, FIDO2 credential id).
 */
import type { Decision } from '../../session/policy/decision.js';
import type { AuditDetails, AuditInput } from './record.js';

export function auditInputFromDecision(d: Decision): AuditInput {
  const ref = d.meansRef;
  const details: AuditDetails = {
    ...(d.reader !== undefined ? { reader: d.reader } : {}),
    ...(d.fallback ? { fallback: true } : {}),
    ...(d.windowEnd !== undefined ? { windowEndsAt: d.windowEnd.toISOString() } : {}),
    ...(ref?.kind === 'cps' ? { certificateSha256: ref.id } : {}),
    ...(ref?.kind === 'desfire' ? { enrolmentId: ref.id } : {}),
    ...(ref?.kind === 'fido2' ? { credentialId: ref.id } : {}),
    ...(d.classification !== undefined ? { classification: d.classification } : {}),
    ...(d.rule !== undefined ? { rule: d.rule } : {}),
    ...(d.previousPerson !== undefined ? { previousPerson: d.previousPerson } : {}),
    ...(d.detail !== undefined ? { errorCode: d.detail } : {}),
  };
  return {
    event: d.event,
    decision: d.decision,
    reason: d.reason,
    ...(d.means !== undefined ? { means: d.means } : {}),
    ...(d.factors !== undefined ? { factors: d.factors } : {}),
    ...(d.person !== undefined ? { person: d.person } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
    time: d.at,
  };
}
