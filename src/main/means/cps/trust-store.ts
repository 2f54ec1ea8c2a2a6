/**
 * Trust anchors for card certificates: the PEM files IT configures (IGC-Santé roots and issuing
 * CAs in production, the generated test PKI in tests). A card certificate is accepted only when
 * a path of configured CA certificates, each valid at the time of use and each verifying the
 * signature below it, leads from it to a configured self-signed root.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CpsError } from './cps-error.js';

const MAX_PATH = 6;

export class TrustStoreError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'TrustStoreError';
  }
}

export class TrustStore {
  private constructor(readonly certificates: readonly X509Certificate[]) {}

  static fromCertificates(certs: readonly X509Certificate[]): TrustStore {
    return new TrustStore([...certs]);
  }

  /** Reads every `CERTIFICATE` block of each file; a file with none, or a bad block, is an error. */
  static fromPemFiles(paths: readonly string[]): TrustStore {
    const certs: X509Certificate[] = [];
    for (const path of paths) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new TrustStoreError(path, `cannot read trust anchor file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) throw new TrustStoreError(path, `no PEM certificate in trust anchor file ${path}`);
      const begins = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
      if (begins !== blocks.length) throw new TrustStoreError(path, `truncated PEM certificate block in trust anchor file ${path}`);
      for (const block of blocks) {
        try {
          certs.push(new X509Certificate(block));
        } catch (e) {
          throw new TrustStoreError(path, `invalid certificate in ${path}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    return new TrustStore(certs);
  }

  /** Returns the path from `leaf` (excluded) to the root, or throws `untrusted_certificate`. */
  verify(leaf: X509Certificate, at: Date): X509Certificate[] {
    if (this.certificates.length === 0) {
      throw new CpsError('untrusted_certificate', 'no trust anchor is configured', { reason: 'no_trust_anchor' });
    }
    checkDates(leaf, at, 'card certificate');
    const path: X509Certificate[] = [];
    let current = leaf;
    for (let depth = 0; depth < MAX_PATH; depth++) {
      const candidates = this.certificates.filter((c) => c.subject === current.issuer);
      if (candidates.length === 0) {
        throw new CpsError('untrusted_certificate', `issuer not among the trust anchors: ${current.issuer.replace(/\n/g, ', ')}`, { reason: 'unknown_issuer' });
      }
      const issuer = candidates.find((c) => current.verify(c.publicKey));
      if (!issuer) {
        throw new CpsError('untrusted_certificate', `signature of ${current.subject.replace(/\n/g, ', ')} does not verify with its issuer's key`, { reason: 'bad_chain_signature' });
      }
      if (!issuer.ca) throw new CpsError('untrusted_certificate', `issuer is not a CA: ${issuer.subject.replace(/\n/g, ', ')}`, { reason: 'issuer_not_ca' });
      checkDates(issuer, at, 'issuing CA');
      path.push(issuer);
      if (issuer.subject === issuer.issuer && issuer.verify(issuer.publicKey)) return path;
      current = issuer;
    }
    throw new CpsError('untrusted_certificate', `certificate path longer than ${MAX_PATH}`, { reason: 'chain_too_long' });
  }
}

function checkDates(cert: X509Certificate, at: Date, what: string): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    // Comparisons with an invalid date are all false: refuse instead of failing open.
    throw new CpsError('untrusted_certificate', `${what} has an unreadable validity period`, { reason: 'invalid_validity' });
  }
  if (at < from) throw new CpsError('untrusted_certificate', `${what} not valid before ${from.toISOString()}`, { reason: 'not_yet_valid' });
  if (at > to) throw new CpsError('untrusted_certificate', `${what} expired on ${to.toISOString()}`, { reason: 'expired' });
}
