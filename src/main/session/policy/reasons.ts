/**
 * Every reason code a session decision can carry: the UI and the audit trail show them, tests
 * and auditors rely on them, so they are stable strings in three families:
 *  - `rie.*`   what the RIE policy made of an authentication (one per rule of the table),
 *  - `exi14.*` what the EXI 14 re-identification rule answered to a single factor,
 *  - `session.*` what the state machine did on an OS, reader, idle or user event.
 */
export const RIE_REASONS = [
  'rie.cps_pin',
  'rie.cps_without_pin',
  'rie.badge_crypto_pin',
  'rie.badge_crypto_session_password',
  'rie.badge_crypto_biometrics',
  'rie.badge_crypto_tap',
  'rie.badge_uid_only',
  'rie.fido_pin',
  'rie.fido_biometric',
  'rie.fido_no_uv',
  'rie.fido_touch_only',
  'rie.inconsistent_event',
  'rie.no_matching_rule',
] as const;

export const EXI14_REASONS = [
  /** A single factor of the same enrolled means re-identified its person inside the window. */
  'exi14.reidentified',
  /** No session (and so no two-factor authentication) of that person on this workstation. */
  'exi14.no_session',
  /** The person's window is over: a new two-factor authentication is needed. */
  'exi14.window_expired',
  /** The single factor belongs to a means other than the one that did the two-factor authentication. */
  'exi14.not_same_means',
  /** The means has no enrolment (or no enrolment id) in the register. */
  'exi14.means_not_registered',
  /** The enrolment of the means is revoked. */
  'exi14.means_revoked',
  /** The register binds the means to a person other than the one it presented. */
  'exi14.enrolment_mismatch',
] as const;

export const SESSION_REASONS = [
  'session.user_switch',
  'session.card_removed',
  'session.card_removed_no_action',
  'session.not_session_card',
  'session.os_lock',
  'session.sleep',
  'session.resume',
  'session.os_user_switch',
  'session.idle',
  'session.user_lock',
  'session.user_sign_out',
  'session.already_active',
  'session.already_locked',
  'session.no_session',
  'session.removed_during_authentication',
  'session.authentication_failed',
] as const;

export type RieReason = (typeof RIE_REASONS)[number];
export type Exi14Reason = (typeof EXI14_REASONS)[number];
export type SessionReason = (typeof SESSION_REASONS)[number];
export type ReasonCode = RieReason | Exi14Reason | SessionReason;

export const REASON_CODES: ReadonlySet<string> = new Set<string>([...RIE_REASONS, ...EXI14_REASONS, ...SESSION_REASONS]);

export function isReasonCode(s: string): s is ReasonCode {
  return REASON_CODES.has(s);
}
