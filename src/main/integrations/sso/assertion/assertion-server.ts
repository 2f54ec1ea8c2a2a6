/**
 * The agent's loopback assertion endpoint (docs/agent-assertion-protocol.md §3):
 * `GET http://127.0.0.1:<port>/tessera/assert?nonce=…&iss=…&return_to=…`.
 *
 * Bound to 127.0.0.1 only; a request whose `Host` is not exactly `127.0.0.1:<port>` is refused
 * (DNS rebinding). The proof goes only back to a configured provider: `iss` must be one of the
 * configured issuers and `return_to` must be on that issuer's origin — otherwise any web page could
 * send the browser here and collect a proof. The answer is a redirect to `return_to` with either
 * `proof=<JWS>` or `error=<value>`; nothing is shown to the person.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SsoError } from '../sso-error.js';
import { ASSERT_PATH, NONCE_PATTERN, PROOF_TTL_S, REQUEST_PARAMS, RESPONSE_PARAMS, workstationIssuer, type AssertionErrorValue } from './protocol.js';
import type { AssertionSessionSource } from './session-source.js';
import { signProof } from './sign.js';
import type { WorkstationKey } from './workstation-key.js';

export interface AssertionServerOptions {
  readonly key: WorkstationKey;
  readonly source: AssertionSessionSource;
  /** Issuer identifiers of the providers this agent asserts to. */
  readonly providers: readonly string[];
  /** Workstation name written in `iss` (`tessera:ws:<name>`). */
  readonly workstation: string;
  /** Default 0: an ephemeral port (tests); production configures a fixed one. */
  readonly port?: number;
  readonly proofTtlSeconds?: number;
  readonly now?: () => number;
  /** Told of every answer (for the audit trail / diagnostics); never sees the proof. */
  readonly onAnswer?: (answer: AssertionAnswer) => void;
}

export type AssertionAnswer =
  | { readonly outcome: 'proof'; readonly issuer: string; readonly person: string; readonly sid: string; readonly cardSigned: boolean }
  | { readonly outcome: 'error'; readonly issuer: string; readonly error: AssertionErrorValue }
  | { readonly outcome: 'refused'; readonly status: number; readonly why: string };

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
} as const;

/** The configured issuer `iss` names, when `returnTo` lies on its origin. */
function allowedTarget(providers: readonly string[], iss: string, returnTo: string): URL | undefined {
  if (!providers.includes(iss)) return undefined;
  let target: URL;
  let issuer: URL;
  try {
    target = new URL(returnTo);
    issuer = new URL(iss);
  } catch {
    return undefined;
  }
  if (target.origin !== issuer.origin || target.username !== '' || target.password !== '') return undefined;
  return target;
}

export class AssertionServer {
  private constructor(private readonly server: Server, readonly port: number, private readonly opts: AssertionServerOptions) {}

  /** The endpoint URL to configure at the provider. */
  get url(): string {
    return `http://127.0.0.1:${this.port}${ASSERT_PATH}`;
  }

  static async start(opts: AssertionServerOptions): Promise<AssertionServer> {
    for (const p of opts.providers) {
      try {
        new URL(p);
      } catch {
        throw new SsoError('sso_config_invalid', `assertion provider issuer is not a URL: ${p}`, { reason: 'providers' });
      }
    }
    const holder: { self?: AssertionServer } = {};
    const server = createServer((req, res) => {
      const self = holder.self;
      if (!self) {
        res.writeHead(503).end();
        return;
      }
      self.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, SECURITY_HEADERS).end();
        else res.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        reject(e.code === 'EADDRINUSE' ? new SsoError('sso_port_in_use', `127.0.0.1:${opts.port ?? 0} is in use`, { cause: e }) : e);
      };
      server.once('error', onError);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });
    const self = new AssertionServer(server, (server.address() as AddressInfo).port, opts);
    holder.self = self;
    return self;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private refuse(res: ServerResponse, status: number, why: string): void {
    this.opts.onAnswer?.({ outcome: 'refused', status, why });
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end(`${why}\n`);
  }

  private redirect(res: ServerResponse, target: URL, param: string, value: string): void {
    const to = new URL(target.href);
    to.searchParams.set(param, value);
    res.writeHead(302, { ...SECURITY_HEADERS, Location: to.href }).end();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.host !== `127.0.0.1:${this.port}`) return this.refuse(res, 421, 'wrong Host');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    if (url.pathname !== ASSERT_PATH) return this.refuse(res, 404, 'not found');
    if (req.method !== 'GET') return this.refuse(res, 405, 'method not allowed');
    const q = url.searchParams;
    const iss = q.get(REQUEST_PARAMS.issuer) ?? '';
    const target = allowedTarget(this.opts.providers, iss, q.get(REQUEST_PARAMS.returnTo) ?? '');
    if (!target) return this.refuse(res, 400, 'unknown provider or return address');
    const fail = (error: AssertionErrorValue): void => {
      this.opts.onAnswer?.({ outcome: 'error', issuer: iss, error });
      this.redirect(res, target, RESPONSE_PARAMS.error, error);
    };
    const nonce = q.get(REQUEST_PARAMS.nonce) ?? '';
    if (!NONCE_PATTERN.test(nonce) || q.getAll(REQUEST_PARAMS.nonce).length !== 1) return fail('invalid_request');
    const session = this.opts.source.status();
    if (!session) return fail('no_session');
    let proof: { jws: string; cardSigned: boolean };
    try {
      proof = await signProof(this.opts.key, session, {
        nonce,
        audience: iss,
        issuer: workstationIssuer(this.opts.workstation),
        nowMs: (this.opts.now ?? Date.now)(),
        ttlSeconds: this.opts.proofTtlSeconds ?? PROOF_TTL_S,
      });
    } catch {
      return fail('server_error');
    }
    this.opts.onAnswer?.({ outcome: 'proof', issuer: iss, person: session.person.id, sid: session.sessionId, cardSigned: proof.cardSigned });
    this.redirect(res, target, RESPONSE_PARAMS.proof, proof.jws);
  }
}
