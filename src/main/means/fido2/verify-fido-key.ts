/**
 * Verification of a person's enrolled FIDO2 key → `AuthEvent` (means `fido2`). The key must
 * verify the user (PIN → knowledge, biometrics → inherence); the assertion is checked against
 * the enrolled public key (signature, rpIdHash, UP and UV flags, counter). A counter that goes
 * backwards is recorded on the enrolment and refused as a possible clone.
 */
import type { CtapTransport } from '../../transports/ctap/ctap-transport.js';
import { Ctap2Device, type Ctap2CallOptions } from '../../protocols/ctap2/ctap2-client.js';
import { getInfo } from '../../protocols/ctap2/get-info.js';
import { PERMISSION } from '../../protocols/ctap2/client-pin.js';
import { getAssertion } from '../../protocols/ctap2/get-assertion.js';
import { verifyAssertion } from '../../protocols/ctap2/assertion-verify.js';
import { parseCoseKey } from '../../protocols/ctap2/cose-key.js';
import { decodeCbor, asMap } from '../../protocols/ctap2/cbor.js';
import type { AuthEvent } from '../auth-event.js';
import { FidoError, toFidoError } from './fido-error.js';
import type { FidoEnrolment, FidoEnrolmentStore } from './enrolment-store.js';
import { obtainToken, type UserVerification } from './user-verification.js';
import { makeClientData } from './client-data.js';
import { DEFAULT_RP_ID } from './enroll-fido-key.js';

export interface VerifyFidoKeyInput {
  readonly personId: string;
  readonly rpId?: string;
  readonly verification: UserVerification;
  readonly store: FidoEnrolmentStore;
  /** The key stands in for the person's missing card: audited as a fallback. */
  readonly fallback?: boolean;
  readonly now?: () => Date;
  readonly callOptions?: Ctap2CallOptions;
}

export interface VerifyFidoKeyResult {
  readonly event: AuthEvent;
  readonly enrolment: FidoEnrolment;
}

export async function verifyFidoKey(transport: CtapTransport, input: VerifyFidoKeyInput): Promise<VerifyFidoKeyResult> {
  const now = input.now ?? (() => new Date());
  const rpId = input.rpId ?? DEFAULT_RP_ID;
  const enrolled = await input.store.list({ personId: input.personId, rpId });
  if (enrolled.length === 0) throw new FidoError('not_enrolled', `no FIDO2 key enrolled for ${input.personId} (rpId ${rpId})`);
  const active = enrolled.filter((r) => !r.revoked);
  if (active.length === 0) throw new FidoError('revoked', `every FIDO2 key of ${input.personId} is revoked`);
  const device = new Ctap2Device(transport, input.callOptions);
  let record: FidoEnrolment | undefined;
  try {
    const info = await getInfo(device);
    const { token, factor } = await obtainToken(device, info, input.verification, PERMISSION.ga, rpId);
    const clientData = makeClientData('webauthn.get', rpId);
    let assertion: Awaited<ReturnType<typeof getAssertion>>;
    try {
      assertion = await getAssertion(device, {
        rpId,
        clientDataHash: clientData.hash,
        allowList: active.map((r) => Buffer.from(r.credentialId, 'base64url')),
        options: { up: true },
        pinUvAuth: token,
      });
    } finally {
      token.token.fill(0);
    }
    const id = assertion.credentialId?.toString('base64url');
    record = active.find((r) => r.credentialId === id);
    if (!record) {
      throw new FidoError(enrolled.some((r) => r.credentialId === id) ? 'revoked' : 'not_enrolled', 'the key answered with a credential that is not an active enrolment of this person');
    }
    const key = parseCoseKey(asMap(decodeCbor(Buffer.from(record.publicKeyCose, 'base64url')), 'enrolled COSE key'));
    const ad = verifyAssertion({
      authData: assertion.authData,
      signature: assertion.signature,
      clientDataHash: clientData.hash,
      rpId,
      credentialKey: key,
      storedSignCount: record.signCount,
    });
    const at = now();
    const updated = await input.store.update(record.credentialId, { signCount: ad.signCount, lastUsedAt: at.toISOString() });
    const event: AuthEvent = {
      means: 'fido2',
      factors: ['possession', factor],
      subject: { id: input.personId, name: record.displayName ?? input.personId },
      proof: { kind: 'fido2-assertion', credentialId: record.credentialId, rpId, signCount: ad.signCount, userVerified: ad.flags.uv, aaguid: record.aaguid },
      ...(input.fallback ? { fallback: true } : {}),
      at,
    };
    return { event, enrolment: updated };
  } catch (e) {
    const err = toFidoError(e);
    if (err.code === 'possible_clone' && record) {
      await input.store.update(record.credentialId, { cloneSuspectedAt: now().toISOString() }).catch(() => undefined);
    }
    throw err;
  }
}
