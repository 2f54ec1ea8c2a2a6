/** DESFire badge means: tap (possession), badge + PIN (two factors), enrolment, re-keying, register. */
export { BadgeError, toBadgeError, type BadgeErrorCode } from './badge-error.js';
export {
  authenticateBadge,
  authenticateKey,
  checkEnrolment,
  discoverUid,
  readIdentity,
  tapBadge,
  type AuthMode,
  type BadgeAuthentication,
  type BadgeKeySource,
  type BadgeOptions,
  type TapOptions,
  type TapResult,
} from './badge-auth.js';
export { badgePinLogin, checkPinFormat, newPinRecord, pinVerifier } from './badge-pin.js';
export { checkEnrolmentProof, enrolBlankBadge, rekeyBadge, revokeBadge, ENROLMENT_PROOF_MAX_AGE_MS, type EnrolmentOptions, type RekeyOptions, type RevokeOptions } from './enrolment.js';
export { operatorOf, REVOCATION_REASONS, type EnrolmentAudit, type EnrolmentAuditEntry, type EnrolmentAuditKind, type RevocationReason } from './enrolment-audit.js';
export { JsonEnrolmentRegister, type EnrolmentRecord, type EnrolmentRegister, type RevocationList, type RevocationRecord } from './enrolment-register.js';
export * from './badge-profile.js';
