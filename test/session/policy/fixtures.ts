/**
 * Events and persons shared by the policy and engine tests. Hex values are plausible shapes of
 * what the means produce (SHA-256 of a certificate, 32-hex enrolment ids, base64url credential ids).
 */
import type { AuthEvent, Factor, Subject } from '../../../src/main/means/auth-event.js';
import { StaticMeansRegistry } from '../../../src/main/session/policy/means-ref.js';
import type { Presentation } from '../../../src/main/session/policy/presentation.js';

export const T0 = Date.UTC(2026, 2, 2, 7, 0, 0);
export const SEC = 1000;
export const MIN = 60_000;
export const HOUR = 3600_000;

export const CPS_READER = 'Lecteur CPS 00 00';
export const NFC_READER = 'Lecteur sans contact 00 01';

export const ALICE: Subject = { id: 'rpps:10001234567', rpps: '10001234567', name: 'Alice DURAND' };
export const BOB: Subject = { id: 'rpps:10009999999', rpps: '10009999999', name: 'Bob PETIT' };
export const CAROL: Subject = { id: 'local:carol', name: 'Carol MARTIN' };

export const CERT: Record<string, string> = {
  [ALICE.id]: 'a1'.repeat(32),
  [BOB.id]: 'b1'.repeat(32),
  [CAROL.id]: 'c1'.repeat(32),
};
export const BADGE: Record<string, string> = {
  [ALICE.id]: 'A'.repeat(31) + '1',
  [BOB.id]: 'B'.repeat(31) + '1',
  [CAROL.id]: 'C'.repeat(31) + '1',
};
export const SECOND_BADGE_ALICE = 'A'.repeat(31) + '2';
export const FIDO_CRED: Record<string, string> = {
  [ALICE.id]: 'YWxpY2UtY3JlZGVudGlhbA',
  [BOB.id]: 'Ym9iLWNyZWRlbnRpYWw',
  [CAROL.id]: 'Y2Fyb2wtY3JlZGVudGlhbA',
};

const cert = (s: Subject): string => CERT[s.id] ?? 'ff'.repeat(32);
const badgeId = (s: Subject): string => BADGE[s.id] ?? 'F'.repeat(32);
const cred = (s: Subject): string => FIDO_CRED[s.id] ?? 'dW5rbm93bg';

export function cpsPin(subject: Subject, at: number, reader = CPS_READER): AuthEvent {
  return {
    means: 'cps',
    factors: ['possession', 'knowledge'],
    subject,
    proof: { kind: 'card-signature', challenge: '5a'.repeat(32), certificateSha256: cert(subject) },
    at: new Date(at),
    reader,
  };
}

export function badgeEvent(subject: Subject, at: number, factors: Factor[], enrolmentId: string | null = badgeId(subject)): AuthEvent {
  return {
    means: 'desfire',
    factors,
    subject,
    proof: { kind: 'desfire-mutual-auth', uid: '04A1B2C3D4E5F6', aid: 'F51230', keyNo: 1, keyVersion: 1, ...(enrolmentId ? { enrolmentId } : {}) },
    at: new Date(at),
    reader: NFC_READER,
  };
}

export const badgePin = (subject: Subject, at: number, enrolmentId?: string): AuthEvent => badgeEvent(subject, at, ['possession', 'knowledge'], enrolmentId);
export const tap = (subject: Subject, at: number, enrolmentId?: string | null): AuthEvent => badgeEvent(subject, at, ['possession'], enrolmentId);

export function fido(subject: Subject, at: number, factors: Factor[], userVerified: boolean, fallback = false): AuthEvent {
  return {
    means: 'fido2',
    factors,
    subject,
    proof: { kind: 'fido2-assertion', credentialId: cred(subject), rpId: 'tessera.local', signCount: 7, userVerified },
    at: new Date(at),
    ...(fallback ? { fallback: true } : {}),
  };
}

/** A contactless card whose UID only was read, with a PIN or password typed beside it. */
export function uidOnly(subject: Subject, at: number, verification: Presentation['verification']): Presentation {
  return { means: 'desfire', possession: 'badge_uid_only', verification, factors: ['possession', 'knowledge'], subject, at: new Date(at), reader: NFC_READER };
}

/** Every person's badge enrolled after a CPS 2FA (the usual process), and Alice's second badge after a FIDO2 2FA. */
export function registry(): StaticMeansRegistry {
  const r = new StaticMeansRegistry();
  for (const s of [ALICE, BOB, CAROL]) r.enrol({ kind: 'desfire', id: badgeId(s) }, s.id, [{ kind: 'desfire', id: badgeId(s) }, { kind: 'cps' }]);
  r.enrol({ kind: 'desfire', id: SECOND_BADGE_ALICE }, ALICE.id, [{ kind: 'desfire', id: SECOND_BADGE_ALICE }, { kind: 'fido2', id: cred(ALICE) }]);
  return r;
}
