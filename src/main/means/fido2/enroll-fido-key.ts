/**
 * Enrolment of a FIDO2 key for a person (issue 4, "Means and enrolment"): allowed only inside a
 * valid two-factor session of that same person (CPS + PIN, or another enrolled FIDO key with
 * UV), passed in as its `AuthEvent`. The key creates an ES256 (or EdDSA) credential under a
 * pinUvAuthToken (`mc` permission, bound to the rpId); the attestation is checked; the record
 * keeps the public key, AAGUID, person, date and the event that allowed it.
 */
import { createHash } from 'node:crypto';
import type { CtapTransport } from '../../transports/ctap/ctap-transport.js';
import { Ctap2Device, type Ctap2CallOptions } from '../../protocols/ctap2/ctap2-client.js';
import { getInfo } from '../../protocols/ctap2/get-info.js';
import { PERMISSION } from '../../protocols/ctap2/client-pin.js';
import { makeCredential } from '../../protocols/ctap2/make-credential.js';
import { parseAuthenticatorData } from '../../protocols/ctap2/auth-data.js';
import { parseCoseKey } from '../../protocols/ctap2/cose-key.js';
import { verifyAttestation } from '../../protocols/ctap2/attestation.js';
import { rpIdHash } from '../../protocols/ctap2/assertion-verify.js';
import type { AuthEvent } from '../auth-event.js';
import { FidoError, toFidoError } from './fido-error.js';
import type { FidoEnrolment, FidoEnrolmentStore } from './enrolment-store.js';
import { obtainToken, type UserVerification } from './user-verification.js';
import { makeClientData } from './client-data.js';

export const DEFAULT_RP_ID = 'tessera.local';
/** How old the two-factor event may be when the enrolment starts (default 10 minutes). */
export const DEFAULT_MAX_EVENT_AGE_MS = 10 * 60 * 1000;

export interface EnrollFidoKeyInput {
  /** Proof that the person authenticated with two factors just before. */
  readonly personEvent: AuthEvent;
  readonly personId: string;
  readonly rpId?: string;
  readonly verification: UserVerification;
  readonly store: FidoEnrolmentStore;
  readonly now?: () => Date;
  readonly maxEventAgeMs?: number;
  readonly callOptions?: Ctap2CallOptions;
}

export interface EnrollFidoKeyResult {
  readonly enrolment: FidoEnrolment;
}

/** Refuses unless `event` is a recent two-factor authentication of `personId`. */
export function checkEnrolmentPrecondition(event: AuthEvent, personId: string, now: Date, maxAgeMs: number): void {
  if (event.subject.id !== personId) throw new FidoError('enrolment_refused', `the two-factor session belongs to ${event.subject.id}, not ${personId}`, { reason: 'other_person' });
  const factors = new Set(event.factors);
  if (factors.size < 2 || !factors.has('possession') || !(factors.has('knowledge') || factors.has('inherence'))) {
    throw new FidoError('enrolment_refused', 'enrolment needs a two-factor authentication (possession + knowledge or inherence)', { reason: 'not_two_factor' });
  }
  const age = now.getTime() - event.at.getTime();
  if (age < -60_000 || age > maxAgeMs) throw new FidoError('enrolment_refused', `the two-factor authentication is ${Math.round(age / 1000)} s old`, { reason: 'too_old' });
}

/** user.id sent to the key: a hash of the person id, so no personal data is written on the key. */
export function userHandle(personId: string): Buffer {
  return createHash('sha256').update(`tessera-user:${personId}`, 'utf8').digest();
}

export function formatAaguid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function enrollFidoKey(transport: CtapTransport, input: EnrollFidoKeyInput): Promise<EnrollFidoKeyResult> {
  const now = input.now ?? (() => new Date());
  const rpId = input.rpId ?? DEFAULT_RP_ID;
  checkEnrolmentPrecondition(input.personEvent, input.personId, now(), input.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS);
  const device = new Ctap2Device(transport, input.callOptions);
  const existing = await input.store.list({ personId: input.personId, rpId });
  let record: FidoEnrolment;
  try {
    const info = await getInfo(device);
    const { token, factor } = await obtainToken(device, info, input.verification, PERMISSION.mc, rpId);
    const clientData = makeClientData('webauthn.create', rpId);
    let mc: Awaited<ReturnType<typeof makeCredential>>;
    try {
      mc = await makeCredential(device, {
        clientDataHash: clientData.hash,
        rp: { id: rpId, name: 'Tessera' },
        user: { id: userHandle(input.personId), name: input.personId, displayName: input.personEvent.subject.name },
        algorithms: [-7, -8],
        excludeList: existing.map((r) => Buffer.from(r.credentialId, 'base64url')),
        options: { rk: false },
        pinUvAuth: token,
      });
    } finally {
      token.token.fill(0);
    }
    const ad = parseAuthenticatorData(mc.authData);
    const acd = ad.attestedCredentialData;
    if (!acd) throw new FidoError('device_error', 'makeCredential answer without attested credential data');
    if (!ad.rpIdHash.equals(rpIdHash(rpId))) throw new FidoError('assertion_invalid', 'credential created for another rpId', { reason: 'rp_id_mismatch' });
    if (!ad.flags.up || !ad.flags.uv) throw new FidoError('assertion_invalid', `credential created without ${ad.flags.uv ? 'user presence' : 'user verification'}`, { reason: ad.flags.uv ? 'user_presence_missing' : 'user_verification_missing' });
    const key = parseCoseKey(acd.publicKey);
    const attestation = verifyAttestation(mc.fmt, mc.attStmt, ad, clientData.hash, key);
    record = {
      credentialId: acd.credentialId.toString('base64url'),
      publicKeyCose: acd.publicKeyCbor.toString('base64url'),
      alg: key.alg,
      aaguid: formatAaguid(acd.aaguid),
      personId: input.personId,
      displayName: input.personEvent.subject.name,
      rpId,
      enrolledAt: now().toISOString(),
      signCount: ad.signCount,
      revoked: false,
      attestation: { fmt: attestation.fmt, type: attestation.type },
      enrolledWith: { means: input.personEvent.means, at: input.personEvent.at.toISOString(), proof: `${input.personEvent.proof.kind}+${factor}` },
    };
  } catch (e) {
    throw toFidoError(e);
  }
  await input.store.add(record);
  return { enrolment: record };
}

/** Marks an enrolment revoked; its key is refused from then on. */
export async function revokeFidoKey(store: FidoEnrolmentStore, credentialId: string, now: Date = new Date()): Promise<FidoEnrolment> {
  return store.update(credentialId, { revoked: true, revokedAt: now.toISOString() });
}
