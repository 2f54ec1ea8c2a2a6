/**
 * Parsed card certificates, remembered by the SHA-256 of their DER for each trust store, so the
 * ward's cards are not re-parsed at every login (measured: 0.4 ms of a ~3 ms login). Only the
 * parsing is cached: every login still checks the chain and the validity dates against the
 * clock, and the card still signs a fresh challenge verified with the certificate's key.
 */
import { createHash } from 'node:crypto';
import { parseCardCertificate, type CardCertificate } from './certificate.js';
import type { TrustStore } from './trust-store.js';

const MAX_ENTRIES = 64;

class CertificateCache {
  private readonly byStore = new WeakMap<TrustStore, Map<string, CardCertificate>>();

  parse(store: TrustStore, der: Buffer): CardCertificate {
    let entries = this.byStore.get(store);
    if (!entries) {
      entries = new Map();
      this.byStore.set(store, entries);
    }
    const key = createHash('sha256').update(der).digest('hex');
    const hit = entries.get(key);
    if (hit) {
      // Most recently used last, so the oldest is evicted first.
      entries.delete(key);
      entries.set(key, hit);
      return hit;
    }
    const parsed = parseCardCertificate(der);
    entries.set(key, parsed);
    if (entries.size > MAX_ENTRIES) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    return parsed;
  }
}

export const checkedCertificates = new CertificateCache();
