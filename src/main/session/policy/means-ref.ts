/**
 * "The same MIE": which registered means did an authentication, and what the register says of it.
 *
 * A `MeansRef` names one registered means: a CPS by the SHA-256 of its authentication
 * certificate, a badge by its enrolment id, a FIDO2 key by its credential id. A badge event
 * without an enrolment id names no registered means (it is never a re-identification factor).
 */
import type { AuthEvent, MeansKind } from '../../means/auth-event.js';
import type { EnrolmentRegister } from '../../means/desfire/enrolment-register.js';

export interface MeansRef {
  readonly kind: MeansKind;
  readonly id: string;
}

export function meansRefOf(event: AuthEvent): MeansRef | undefined {
  const p = event.proof;
  switch (p.kind) {
    case 'card-signature':
      return p.certificateSha256 ? { kind: 'cps', id: p.certificateSha256.toLowerCase() } : undefined;
    case 'desfire-mutual-auth':
      return p.enrolmentId ? { kind: 'desfire', id: p.enrolmentId.toUpperCase() } : undefined;
    case 'fido2-assertion':
      return p.credentialId ? { kind: 'fido2', id: p.credentialId } : undefined;
  }
}

export function sameMeansRef(a: MeansRef | undefined, b: MeansRef | undefined): boolean {
  return a !== undefined && b !== undefined && a.kind === b.kind && a.id === b.id;
}

/**
 * What the register says of a means used as a single factor. `boundTo` lists the two-factor
 * means whose authentication the means may stand in for (the 2FA event of its enrolment): an
 * entry with an `id` names one means (a certificate, an enrolment), an entry without `id` any
 * means of that kind of the same person (registers that record only the kind of the proof).
 */
export type MeansStatus =
  | { readonly state: 'active'; readonly personId: string; readonly boundTo: readonly { readonly kind: MeansKind; readonly id?: string }[] }
  | { readonly state: 'revoked' }
  | { readonly state: 'unknown' };

export interface MeansRegistry {
  status(ref: MeansRef): MeansStatus;
}

/** In-memory registry (tests, benchmarks, the demo). */
export class StaticMeansRegistry implements MeansRegistry {
  private readonly entries = new Map<string, MeansStatus>();

  private static key(ref: MeansRef): string {
    return `${ref.kind}:${ref.id}`;
  }

  enrol(ref: MeansRef, personId: string, boundTo: readonly { readonly kind: MeansKind; readonly id?: string }[]): this {
    this.entries.set(StaticMeansRegistry.key(ref), { state: 'active', personId, boundTo });
    return this;
  }

  revoke(ref: MeansRef): this {
    this.entries.set(StaticMeansRegistry.key(ref), { state: 'revoked' });
    return this;
  }

  status(ref: MeansRef): MeansStatus {
    return this.entries.get(StaticMeansRegistry.key(ref)) ?? { state: 'unknown' };
  }
}

const MEANS_KINDS: readonly MeansKind[] = ['cps', 'desfire', 'fido2'];

/**
 * The DESFire enrolment register as a `MeansRegistry`: a badge is bound to the kind of means
 * whose two-factor event authorised its enrolment (`proofMeans`), and to itself (badge + PIN).
 * Any other kind of means answers `unknown`. A register that cannot be read answers `unknown`
 * (fail closed: the person does a full two-factor authentication).
 */
export function enrolmentRegisterRegistry(register: EnrolmentRegister): MeansRegistry {
  return {
    status(ref: MeansRef): MeansStatus {
      if (ref.kind !== 'desfire') return { state: 'unknown' };
      try {
        if (register.isRevoked(ref.id)) return { state: 'revoked' };
        const rec = register.find(ref.id);
        if (!rec) return { state: 'unknown' };
        const proofKind = MEANS_KINDS.find((k) => k === rec.proofMeans);
        const boundTo: { kind: MeansKind; id?: string }[] = [{ kind: 'desfire', id: ref.id }];
        if (proofKind && proofKind !== 'desfire') boundTo.push({ kind: proofKind });
        return { state: 'active', personId: rec.personId, boundTo };
      } catch {
        return { state: 'unknown' };
      }
    },
  };
}
