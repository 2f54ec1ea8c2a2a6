/**
 * Is the identity provider reachable? `GET {issuer}/.well-known/openid-configuration` (OpenID
 * Connect Discovery 1.0 §4) with a short timeout; the provider is up when it answers 200 with a
 * JSON document whose `issuer` is the configured one. While up the check repeats every
 * `intervalMs`; after a failure it retries with an exponential back-off (`backoff.initialMs`
 * doubling up to `backoff.maxMs`) and reports the provider up again on the first good answer.
 *
 * Only changes are reported (`onChange`), with a code the agent turns into a degraded reason:
 * `network_down` when the host has no route or no name resolution, `idp_unreachable` for
 * everything else (refused, timed out, HTTP error, not the expected document). The answer body is
 * read up to `MAX_DISCOVERY_BYTES` only: a provider that sends more is treated as broken.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HealthError } from './health-error.js';

export const MAX_DISCOVERY_BYTES = 256 * 1024;

export type ProbeState = 'unknown' | 'up' | 'down';

export interface ProbeResult {
  readonly state: 'up' | 'down';
  /** For `down`: `network_down` or `idp_unreachable`. */
  readonly code?: 'network_down' | 'idp_unreachable';
  /** For `down`: what failed (`ECONNREFUSED`, `timeout`, `http_503`, `issuer_mismatch`, …). */
  readonly detail?: string;
}

export interface ConnectivityProbeOptions {
  /** The configured issuer (`sso.issuerUrl`). */
  readonly issuerUrl: string;
  /** Time allowed for one check, connection and body included (default 3000 ms). */
  readonly timeoutMs?: number;
  /** Pause between checks while the provider is up (default 30 s). */
  readonly intervalMs?: number;
  /** Retry pauses while it is down (default 1 s doubling to 60 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Called when the state changes (first result included). */
  readonly onChange?: (result: ProbeResult) => void;
}

/** Error codes that say the machine itself cannot reach the network, not that the provider is down. */
const NETWORK_CODES = new Set(['ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

/** `{issuer}/.well-known/openid-configuration`, the issuer's path kept (Discovery §4.1). */
export function discoveryUrl(issuerUrl: string): URL {
  let u: URL;
  try {
    u = new URL(issuerUrl);
  } catch (e) {
    throw new HealthError('probe_invalid_url', `not a URL: ${issuerUrl}`, { cause: e });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new HealthError('probe_invalid_url', `not an http(s) URL: ${u.protocol}`);
  return new URL(`${u.origin}${u.pathname.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

/** One check, never throws: the result says up or down and why. */
export function checkDiscovery(issuerUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const url = discoveryUrl(issuerUrl);
  const expectedIssuer = issuerUrl.replace(/\/+$/, '');
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const down = (code: 'network_down' | 'idp_unreachable', detail: string): void => done({ state: 'down', code, detail });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', agent: false, headers: { accept: 'application/json' } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        down('idp_unreachable', `http_${res.statusCode ?? 0}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_DISCOVERY_BYTES) {
          down('idp_unreachable', 'discovery_too_large');
          return;
        }
        chunks.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) => down('idp_unreachable', e.code ?? 'response_error'));
      res.on('end', () => {
        let doc: unknown;
        try {
          doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          down('idp_unreachable', 'discovery_not_json');
          return;
        }
        const issuer = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>)['issuer'] : undefined;
        if (typeof issuer !== 'string' || issuer.replace(/\/+$/, '') !== expectedIssuer) {
          down('idp_unreachable', 'issuer_mismatch');
          return;
        }
        done({ state: 'up' });
      });
    });
    const timer = setTimeout(() => down('idp_unreachable', 'timeout'), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'request_error';
      down(NETWORK_CODES.has(code) ? 'network_down' : 'idp_unreachable', code);
    });
    req.end();
  });
}

/** Periodic checks with back-off; reports changes only. Timers never keep the process alive. */
export class ConnectivityProbe {
  private current: ProbeResult | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private stopped = true;

  constructor(private readonly opts: ConnectivityProbeOptions) {
    discoveryUrl(opts.issuerUrl);
  }

  state(): ProbeState {
    return this.current?.state ?? 'unknown';
  }

  /** The last result (undefined before the first check ends). */
  last(): ProbeResult | undefined {
    return this.current;
  }

  /** Starts the checks; the first runs at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs one check now (outside the schedule) and returns its result. */
  async checkNow(): Promise<ProbeResult> {
    const r = await checkDiscovery(this.opts.issuerUrl, this.opts.timeoutMs ?? 3000);
    this.record(r);
    return r;
  }

  /** Stops the checks and waits for one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.checkNow().then(
        (r) => this.schedule(this.nextDelay(r)),
        () => this.schedule(this.nextDelay({ state: 'down' })),
      );
    }, ms);
    this.timer.unref();
  }

  private nextDelay(r: ProbeResult): number {
    if (r.state === 'up') {
      this.failures = 0;
      return this.opts.intervalMs ?? 30_000;
    }
    const b = this.opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
    const delay = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  private record(r: ProbeResult): void {
    const prev = this.current;
    this.current = r;
    if (prev?.state === r.state && prev.code === r.code) return;
    try {
      this.opts.onChange?.(r);
    } catch {
      // a failing listener never stops the probe
    }
  }
}
