/**
 * CPS contact card + PIN: the two-factor login (docs/cps-profile.md §3, DOMAIN.md).
 *
 * Order matters: the certificate is checked against the trust anchors BEFORE the PIN is sent
 * (no try is spent on an untrusted card), the try counter is read first (a blocked PIN is
 * never presented), and only a fresh challenge signed by the card and verified with the
 * certificate's key turns possession into a factor. The PIN Buffer handed over is wiped here.
 */
import { randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CardChannel } from '../../transports/card-channel.js';
import {
  isWellFormedPin,
  readAuthenticationCertificate,
  readPinStatus,
  selectCpsApplication,
  signChallenge,
  verifyPin,
} from '../../protocols/iasecc/cps-commands.js';
import type { AuthEvent, CardSignatureProof, Subject } from '../auth-event.js';

/** The event a CPS login yields: always a card signature proof. */
export type CpsAuthEvent = AuthEvent & { readonly means: 'cps'; readonly proof: CardSignatureProof };
import { type CertificateSummary } from './certificate.js';
import { checkedCertificates } from './certificate-cache.js';
import { CpsError, toCpsError } from './cps-error.js';
import type { TrustStore } from './trust-store.js';

export const CHALLENGE_LENGTH = 32;

export interface PinRequest {
  /** Who the card says it belongs to (from a certificate that already passed the chain check). */
  readonly holder: Subject;
  readonly retriesLeft: number;
}

/** Supplies the PIN once the holder is known. Ownership of the returned Buffer passes to the login, which wipes it. */
export type PinProvider = (request: PinRequest) => Promise<Buffer>;

export interface CpsLoginOptions {
  readonly trust: TrustStore;
  /**
   * The caller has just selected the CPS application on this connection (card recognition
   * does): skip the login's own SELECT.
   */
  readonly applicationSelected?: boolean;
  readonly pin: PinProvider;
  readonly now?: () => Date;
  readonly random?: (n: number) => Buffer;
}

export type CpsStep = 'select' | 'readCertificate' | 'checkCertificate' | 'pinStatus' | 'pinProvider' | 'verifyPin' | 'sign' | 'verifySignature';

export interface CpsLoginResult {
  readonly event: CpsAuthEvent;
  readonly certificate: CertificateSummary;
  /** The certificate's public key, which verified the card's signature (for later signatures on the same connection). */
  readonly publicKey: KeyObject;
  /** Milliseconds spent in each step (for the benchmark and diagnostics). */
  readonly steps: Readonly<Record<CpsStep, number>>;
}

export async function cpsLogin(channel: CardChannel, opts: CpsLoginOptions): Promise<CpsLoginResult> {
  const now = opts.now ?? (() => new Date());
  const random = opts.random ?? randomBytes;
  const steps: Record<CpsStep, number> = {
    select: 0, readCertificate: 0, checkCertificate: 0, pinStatus: 0, pinProvider: 0, verifyPin: 0, sign: 0, verifySignature: 0,
  };
  const timed = async <T>(step: CpsStep, fn: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      steps[step] += performance.now() - t0;
    }
  };

  try {
    const isCps = opts.applicationSelected === true || (await timed('select', () => selectCpsApplication(channel)));
    if (!isCps) throw new CpsError('unsupported_card', `the card in ${channel.readerName} has no CPS application`);

    const der = await timed('readCertificate', () => readAuthenticationCertificate(channel));
    const cert = await timed('checkCertificate', () => {
      const parsed = checkedCertificates.parse(opts.trust, der);
      opts.trust.verify(parsed.x509, now());
      if (parsed.digitalSignature === false) {
        throw new CpsError('untrusted_certificate', 'certificate key usage does not allow digital signature', { reason: 'not_for_authentication' });
      }
      if (parsed.x509.ca) throw new CpsError('untrusted_certificate', 'card certificate is a CA certificate', { reason: 'not_for_authentication' });
      if (parsed.x509.publicKey.asymmetricKeyType !== 'rsa') {
        throw new CpsError('untrusted_certificate', `card key type ${parsed.x509.publicKey.asymmetricKeyType ?? 'unknown'} is not RSA`, { reason: 'unsupported_key' });
      }
      return parsed;
    });

    const status = await timed('pinStatus', () => readPinStatus(channel));
    if (status.status === 'blocked') throw new CpsError('pin_blocked', 'the card PIN is blocked');
    const retriesLeft = status.status === 'needed' ? status.retriesLeft : 3;

    const pin = await timed('pinProvider', async () => {
      try {
        return await opts.pin({ holder: cert.holder, retriesLeft });
      } catch (e) {
        // No PIN came (cancelled, superseded, the pad failed): the person's or the pad's doing,
        // not the card's; nothing was presented, the try counter is untouched.
        throw new CpsError('pin_entry_cancelled', `no PIN was entered: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    });
    try {
      if (!isWellFormedPin(pin)) throw new CpsError('invalid_pin_format', 'a CPS PIN is 4 digits');
      const result = await timed('verifyPin', () => verifyPin(channel, pin));
      if (result.status === 'blocked') throw new CpsError('pin_blocked', 'the card PIN is blocked');
      if (result.status === 'wrong') {
        throw new CpsError('wrong_pin', `wrong PIN, ${result.retriesLeft} tries left`, { retriesLeft: result.retriesLeft });
      }
    } finally {
      pin.fill(0);
    }

    const challenge = random(CHALLENGE_LENGTH);
    const signature = await timed('sign', () => signChallenge(channel, challenge));
    const valid = await timed('verifySignature', () => {
      try {
        return verifySignature('sha256', challenge, cert.x509.publicKey, signature);
      } catch {
        return false;
      }
    });
    if (!valid) throw new CpsError('bad_signature', 'the card signature does not verify with its certificate key');

    return {
      event: {
        means: 'cps',
        factors: ['possession', 'knowledge'],
        subject: cert.holder,
        proof: { kind: 'card-signature', challenge: challenge.toString('hex'), certificateSha256: cert.summary.sha256 },
        at: now(),
        reader: channel.readerName,
      },
      certificate: cert.summary,
      publicKey: cert.x509.publicKey,
      steps,
    };
  } catch (e) {
    throw toCpsError(e);
  }
}
