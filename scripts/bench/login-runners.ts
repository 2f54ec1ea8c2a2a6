/**
 * The logins the benchmark times.
 *
 * `cliLogin` is the headline: exactly what `tessera cps login` runs inside its monitor
 * (src/main/shells/cli/commands/cps-login.ts), minus process start-up and the PIN prompt.
 *
 * The `whatIf*` runners are prototypes of changes to src/ that the benchmark measures before
 * anyone makes them; they live here only so their gain can be measured in the same run. They
 * send the same APDUs in the same order and make the same checks as `cpsLogin`, except for the
 * one change each names.
 */
import { createHash, randomBytes, verify as verifySignature } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { recognizeCard } from '../../src/main/means/card-recognition.js';
import { parseCardCertificate, type CardCertificate } from '../../src/main/means/cps/certificate.js';
import { CpsError } from '../../src/main/means/cps/cps-error.js';
import { cpsLogin, type CpsLoginResult } from '../../src/main/means/cps/cps-login.js';
import type { TrustStore } from '../../src/main/means/cps/trust-store.js';
import {
  readAuthenticationCertificate,
  readPinStatus,
  selectCpsApplication,
  signChallenge,
  verifyPin,
  type PinStatus,
} from '../../src/main/protocols/iasecc/cps-commands.js';
import { AUTH_CERT_FID, READ_BINARY_MAX } from '../../src/main/protocols/iasecc/cps-profile.js';
import { exchange } from '../../src/main/protocols/iso7816/index.js';
import type { PcscCardChannel } from '../../src/main/transports/pcsc/pcsc-card-channel.js';
import type { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';

export const BENCH_PIN = '1234';

const now = (): number => performance.now();

export interface LoginEnv {
  readonly monitor: ReaderMonitor;
  readonly reader: string;
  readonly trust: TrustStore;
}

export interface CliLoginTiming {
  readonly totalMs: number;
  readonly connectMs: number;
  readonly recognitionMs: number;
  readonly loginMs: number;
  readonly disconnectMs: number;
  readonly result: CpsLoginResult;
}

async function ensureUsableCps(ch: PcscCardChannel, reader: string): Promise<void> {
  const kind = await recognizeCard(ch);
  if (kind.type !== 'cps' || !kind.usable) {
    throw new CpsError('unsupported_card', `card in ${reader} is not a usable CPS (${kind.type}: ${kind.detail})`);
  }
}

/** Headline: `monitor.withCard(reader, ch => recognizeCard(ch) then cpsLogin(ch, ...))`. */
export async function cliLogin(env: LoginEnv): Promise<CliLoginTiming> {
  let tConnected = 0;
  let tRecognised = 0;
  let tLoggedIn = 0;
  const t0 = now();
  const result = await env.monitor.withCard(env.reader, async (ch) => {
    tConnected = now();
    await ensureUsableCps(ch, env.reader);
    tRecognised = now();
    const r = await cpsLogin(ch, { trust: env.trust, pin: async () => Buffer.from(BENCH_PIN, 'ascii') });
    tLoggedIn = now();
    return r;
  });
  const t1 = now();
  if (result.event.factors.length !== 2) throw new Error('login did not yield two factors');
  return {
    totalMs: t1 - t0,
    connectMs: tConnected - t0,
    recognitionMs: tRecognised - tConnected,
    loginMs: tLoggedIn - tRecognised,
    disconnectMs: t1 - tLoggedIn,
    result,
  };
}

interface PrototypeOptions {
  /** The application was selected by recognizeCard just before: do not SELECT it again. */
  readonly skipSelect?: boolean;
  /** Send the PIN-status VERIFY (no PIN, spends no try) while the certificate is being checked. */
  readonly overlapPinStatus?: boolean;
  /**
   * `full`: keep certificates that passed every check, keyed by the SHA-256 of their DER; a
   * card presenting the same DER again skips the parse and the chain verification (validity
   * dates are still checked against the clock).
   * `prefix`: the same cache keyed by the certificate's first READ BINARY chunk (231 bytes,
   * which hold the serial number and the issuer): on a hit the rest of the file is not read.
   */
  readonly certificateCache?: 'full' | 'prefix';
}

interface CachedCertificate {
  readonly cert: CardCertificate;
  /** Intersection of the validity periods of the certificate and its path. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** One cache per kind of key (each what-if fills its own, during the warm-up). */
const fullCache = new Map<string, CachedCertificate>();
const prefixCache = new Map<string, CachedCertificate>();

function checkCertificate(der: Buffer, trust: TrustStore, at: Date): CachedCertificate {
  const cert = parseCardCertificate(der);
  const path = trust.verify(cert.x509, at);
  if (cert.digitalSignature === false) throw new CpsError('untrusted_certificate', 'no digitalSignature', { reason: 'not_for_authentication' });
  if (cert.x509.ca) throw new CpsError('untrusted_certificate', 'CA certificate', { reason: 'not_for_authentication' });
  if (cert.x509.publicKey.asymmetricKeyType !== 'rsa') throw new CpsError('untrusted_certificate', 'not RSA', { reason: 'unsupported_key' });
  const all = [cert.x509, ...path];
  return {
    cert,
    notBefore: Math.max(...all.map((c) => Date.parse(c.validFrom))),
    notAfter: Math.min(...all.map((c) => Date.parse(c.validTo))),
  };
}

function fresh(entry: CachedCertificate | undefined, at: Date): CardCertificate | undefined {
  if (!entry) return undefined;
  const t = at.getTime();
  return t >= entry.notBefore && t <= entry.notAfter ? entry.cert : undefined;
}

/** SELECT the certificate EF and READ BINARY its first chunk (what readAuthenticationCertificate sends first). */
async function readCertificateHead(ch: PcscCardChannel): Promise<Buffer> {
  const sel = await exchange(ch, { cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x04, data: AUTH_CERT_FID, le: 256 });
  if (!sel.ok) throw new CpsError('card_data_invalid', 'SELECT certificate EF failed');
  const head = await exchange(ch, { cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: READ_BINARY_MAX });
  if (!head.ok) throw new CpsError('card_data_invalid', 'READ BINARY failed');
  return head.data;
}

/**
 * `cpsLogin` re-stated with the optional changes. Same commands, same checks, same order of
 * what matters for security: the PIN itself is still sent only after the certificate passed,
 * and the card must still sign a fresh challenge with the key of that certificate.
 */
async function prototypeLogin(ch: PcscCardChannel, trust: TrustStore, opts: PrototypeOptions): Promise<void> {
  if (!opts.skipSelect && !(await selectCpsApplication(ch))) throw new CpsError('unsupported_card', 'no CPS application');
  const at = new Date();
  let cert: CardCertificate | undefined;
  let der: Buffer | undefined;
  let prefixKey: string | undefined;
  if (opts.certificateCache === 'prefix') {
    prefixKey = (await readCertificateHead(ch)).toString('hex');
    cert = fresh(prefixCache.get(prefixKey), at);
  }
  if (!cert) {
    der = await readAuthenticationCertificate(ch);
    if (opts.certificateCache === 'full') cert = fresh(fullCache.get(createHash('sha256').update(der).digest('hex')), at);
  }
  let pendingStatus: Promise<PinStatus> | undefined;
  if (!cert && opts.overlapPinStatus) {
    pendingStatus = readPinStatus(ch);
    pendingStatus.catch(() => undefined);
    // One microtask turn: the channel's queue hands the APDU to the addon (thread pool) before
    // the synchronous certificate checks below occupy the main thread.
    await Promise.resolve();
  }
  if (!cert && der) {
    const checked = checkCertificate(der, trust, at);
    cert = checked.cert;
    if (opts.certificateCache === 'full') fullCache.set(createHash('sha256').update(der).digest('hex'), checked);
    if (opts.certificateCache === 'prefix' && prefixKey !== undefined) prefixCache.set(prefixKey, checked);
  }
  if (!cert) throw new Error('unreachable: no certificate');
  const status = await (pendingStatus ?? readPinStatus(ch));
  if (status.status === 'blocked') throw new CpsError('pin_blocked', 'the card PIN is blocked');
  const pin = Buffer.from(BENCH_PIN, 'ascii');
  try {
    const result = await verifyPin(ch, pin);
    if (result.status !== 'ok') throw new CpsError('wrong_pin', 'PIN refused');
  } finally {
    pin.fill(0);
  }
  const challenge = randomBytes(32);
  const signature = await signChallenge(ch, challenge);
  if (!verifySignature('sha256', challenge, cert.x509.publicKey, signature)) throw new CpsError('bad_signature', 'bad signature');
}

export interface WhatIf {
  readonly name: string;
  readonly change: string;
  run(env: LoginEnv): Promise<number>;
}

/** Connect, recognise, log in; the clock stops at the login result, before or after the release. */
async function timedPrototype(env: LoginEnv, opts: PrototypeOptions, releaseOffClock: boolean): Promise<number> {
  const t0 = now();
  const ch = await env.monitor.connect(env.reader);
  let t1: number;
  try {
    await ensureUsableCps(ch, env.reader);
    await prototypeLogin(ch, env.trust, opts);
  } finally {
    t1 = now();
    await ch.close('reset');
  }
  return (releaseOffClock ? t1 : now()) - t0;
}

export const WHAT_IFS: readonly WhatIf[] = [
  {
    name: 'prototypeAsIs',
    change: 'control: cpsLogin re-stated in the bench with no change (should match the headline)',
    run: (env) => timedPrototype(env, {}, false),
  },
  {
    name: 'reuseRecognitionSelect',
    change: 'cpsLogin does not SELECT the application again right after recognizeCard selected it (one APDU less)',
    run: (env) => timedPrototype(env, { skipSelect: true }, false),
  },
  {
    name: 'overlapPinStatusWithCertCheck',
    change: 'the PIN-status VERIFY (no PIN, spends no try) is in flight while the certificate is parsed and its chain verified',
    run: (env) => timedPrototype(env, { overlapPinStatus: true }, false),
  },
  {
    name: 'cacheVerifiedCertificate',
    change: 'certificates that passed every check are cached by SHA-256 of their DER (dates re-checked each time): no parse, no chain verification for a known card',
    run: (env) => timedPrototype(env, { certificateCache: 'full' }, false),
  },
  {
    name: 'releaseOffCriticalPath',
    change: 'the login result is handed back before the reset-on-release completes (the next use of the reader still waits for it)',
    run: (env) => timedPrototype(env, {}, true),
  },
  {
    name: 'combinedSafe',
    change: 'reuseRecognitionSelect + cacheVerifiedCertificate + releaseOffCriticalPath (+ overlap on a cache miss)',
    run: (env) => timedPrototype(env, { skipSelect: true, certificateCache: 'full', overlapPinStatus: true }, true),
  },
  {
    name: 'certificatePrefixCache',
    change:
      'needs a security review: a known card is recognised by the first 231 bytes of its certificate (serial + issuer) and the other 4 READ BINARY are skipped; ' +
      'the card must still sign the fresh challenge with the cached certificate key',
    run: (env) => timedPrototype(env, { certificateCache: 'prefix' }, false),
  },
];
