/**
 * Enrolment of a badge or a FIDO2 key from the UI, inside a two-factor session: the request,
 * and the progress the core pushes until an outcome. Pure data and validators.
 */
import { enrolKinds, isEnrolKind, type EnrolKind } from './status-view.js';
import { hasOnlyKeys, isOneOf, isPlain, isToken } from './validate.js';

export { enrolKinds, type EnrolKind };

export interface EnrolRequest {
  kind: EnrolKind;
}

/**
 * Steps, in order. `present`: present the badge / touch the key; `writing`: keys written to
 * the badge or the credential being made; `registering`: recorded in the enrolment register;
 * then exactly one of `done` or `failed`.
 */
export const enrolSteps = ['present', 'writing', 'registering', 'done', 'failed'] as const;
export type EnrolStep = (typeof enrolSteps)[number];

export const enrolFailures = [
  /** The session is not a two-factor session (or has expired). */
  'needs_two_factor',
  'already_enrolled',
  /** No badge or key came in time, or the key was not touched in time. */
  'timeout',
  /** The key's PIN was wrong. */
  'wrong_pin',
  /** The key's PIN (or its fingerprint) is blocked. */
  'pin_blocked',
  /** The key can verify nobody: no PIN set and no fingerprint (touch-only keys are not a second factor). */
  'no_uv',
  'cancelled',
  /** The badge or key answered something unexpected. */
  'device_error',
  /** The register refused it (revoked means, policy). */
  'refused',
] as const;
export type EnrolFailure = (typeof enrolFailures)[number];

export type EnrolProgress =
  | { enrolmentId: string; kind: EnrolKind; step: 'present' | 'writing' | 'registering' }
  | { enrolmentId: string; kind: EnrolKind; step: 'done' }
  | { enrolmentId: string; kind: EnrolKind; step: 'failed'; failure: EnrolFailure };

/** What enrol() answers: the id its progress events carry. */
export interface EnrolStarted {
  enrolmentId: string;
}

export function isEnrolRequest(x: unknown): x is EnrolRequest {
  return isPlain(x) && hasOnlyKeys(x, ['kind']) && isEnrolKind(x.kind);
}

export function isEnrolStarted(x: unknown): x is EnrolStarted {
  return isPlain(x) && hasOnlyKeys(x, ['enrolmentId']) && isToken(x.enrolmentId);
}

export function isEnrolProgress(x: unknown): x is EnrolProgress {
  if (!isPlain(x) || !isToken(x.enrolmentId) || !isEnrolKind(x.kind)) return false;
  if (x.step === 'failed') return hasOnlyKeys(x, ['enrolmentId', 'kind', 'step', 'failure']) && isOneOf(enrolFailures, x.failure);
  return hasOnlyKeys(x, ['enrolmentId', 'kind', 'step']) && isOneOf(enrolSteps, x.step);
}
