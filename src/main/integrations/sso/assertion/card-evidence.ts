/**
 * The CPS certificate chain of each person's last card login, kept so that proofs of CPS
 * sessions carry it as evidence (docs/agent-assertion-protocol.md §4). It is taken where the
 * login itself checks it: the trust store handed to the CPS login is wrapped, and every leaf that
 * passes `verify` is remembered with the CA path it verified through (the self-signed root, an
 * anchor the provider has, is left out). Public data only; at most `max` persons are kept.
 */
import type { X509Certificate } from 'node:crypto';
import type { Subject } from '../../../means/auth-event.js';
import { parseCardCertificate } from '../../../means/cps/certificate.js';
import type { TrustStore } from '../../../means/cps/trust-store.js';
import { MAX_EVIDENCE_CERTS } from './protocol.js';

export interface CardEvidence {
  /** The trust store to give the CPS login (same anchors, same answers). */
  readonly trust: TrustStore;
  /** Leaf first, then the issuing CAs, as DER; undefined when no card of that person was checked. */
  chainFor(person: Subject): readonly Buffer[] | undefined;
}

export function recordCardEvidence(trust: TrustStore, max = 64): CardEvidence {
  const chains = new Map<string, Buffer[]>();
  const remember = (leaf: X509Certificate, path: readonly X509Certificate[]): void => {
    let id: string;
    try {
      id = parseCardCertificate(leaf.raw).holder.id;
    } catch {
      return; // the login refuses it anyway
    }
    const cas = path.filter((c) => !(c.subject === c.issuer && c.verify(c.publicKey)));
    chains.delete(id);
    chains.set(id, [leaf.raw, ...cas.map((c) => c.raw)].slice(0, MAX_EVIDENCE_CERTS));
    while (chains.size > max) {
      const oldest = chains.keys().next().value;
      if (oldest === undefined) break;
      chains.delete(oldest);
    }
  };
  const wrapped = new Proxy(trust, {
    get(target, prop) {
      if (prop === 'verify') {
        return (leaf: X509Certificate, at: Date): X509Certificate[] => {
          const path = target.verify(leaf, at);
          remember(leaf, path);
          return path;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { trust: wrapped, chainFor: (person) => chains.get(person.id) };
}
