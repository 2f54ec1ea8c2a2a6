/**
 * The loopback redirect of a native OpenID Connect client (RFC 8252 §7.3): a one-shot HTTP
 * listener on 127.0.0.1 only, at `http://127.0.0.1:{port}/callback`.
 *
 * Rules, each answered without ending the pending sign-in (a stray or hostile request must not
 * kill it): a `Host` header other than exactly `127.0.0.1:{port}` → 400; a method other than
 * GET → 405; another path → 404; a missing, repeated or wrong `state` → 400; a request after the
 * valid callback → 410. The first callback that carries this attempt's `state` ends the
 * attempt: with the provider's `error` it fails with `sso_provider_error` (shown on the page),
 * otherwise it is handed to the caller, who says how the sign-in ended (`finish`) so the browser
 * page tells the truth. The listener then closes. No valid callback before the deadline →
 * `sso_timeout` (or `sso_state_mismatch` when the only callbacks that came carried a wrong
 * `state`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { message, type Lang } from '../../../i18n/messages.js';
import { SsoError } from '../sso-error.js';
import { sendPage } from './callback-page.js';

export const LOOPBACK_HOST = '127.0.0.1';
export const CALLBACK_PATH = '/callback';
/** How long the browser's request is held while the code is exchanged before it is answered anyway. */
const FINISH_GRACE_MS = 60_000;
/** Rejections kept for diagnostics (a local flood must not grow memory). */
const MAX_REJECTIONS_KEPT = 64;

export interface LoopbackListenerOptions {
  /** A fixed port (for providers that match redirect URIs exactly); absent or 0: an ephemeral port. */
  readonly port?: number | undefined;
  /** Language of the page shown in the browser (default French). */
  readonly lang?: Lang | undefined;
}

export interface CallbackWait {
  /** The `state` this attempt sent; compared in constant time. */
  readonly state: string;
  /** Deadline for the person to finish signing in. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export type CallbackOutcome = { readonly ok: true } | { readonly ok: false; readonly error: SsoError };

/** The valid callback: its full URL (code, state, iss...) and how to answer the browser. */
export interface Callback {
  readonly url: URL;
  /** Answers the browser (done / failed page) and closes the listener. Idempotent. */
  finish(outcome: CallbackOutcome): void;
}

/** Why a request was turned away (kept for diagnostics; never carries the query). */
export type RejectedReason = 'host' | 'method' | 'path' | 'state' | 'used';

export class LoopbackListener {
  readonly port: number;
  readonly redirectUri: string;
  private readonly rejections: RejectedReason[] = [];
  private sawWrongState = false;
  private readonly sockets = new Set<Socket>();
  private waiting: { state: Buffer; resolve: (c: Callback) => void; reject: (e: SsoError) => void } | undefined;
  private used = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly lang: Lang,
  ) {
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    this.redirectUri = `http://${LOOPBACK_HOST}:${this.port}${CALLBACK_PATH}`;
  }

  /** Binds 127.0.0.1 (never another interface). A fixed port already taken → `sso_port_in_use`. */
  static async open(options: LoopbackListenerOptions = {}): Promise<LoopbackListener> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SsoError('sso_config_invalid', `loopback port out of range: ${port}`, { reason: 'loopback_port' });
    const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000, maxHeaderSize: 16_384 });
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.off('listening', onListening);
        if (e.code === 'EADDRINUSE') reject(new SsoError('sso_port_in_use', `${LOOPBACK_HOST}:${port} is already in use`, { reason: `${LOOPBACK_HOST}:${port}`, cause: e }));
        else reject(new SsoError('sso_config_invalid', `cannot listen on ${LOOPBACK_HOST}:${port}: ${e.code ?? e.message}`, { reason: 'loopback_port', cause: e }));
      };
      const onListening = (): void => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host: LOOPBACK_HOST, port, exclusive: true });
    });
    const listener = new LoopbackListener(server, options.lang ?? 'fr');
    server.on('connection', (s: Socket) => {
      listener.sockets.add(s);
      s.once('close', () => listener.sockets.delete(s));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => listener.handle(req, res));
    return listener;
  }

  /** Requests turned away so far, in order (the first 64). */
  get rejected(): readonly RejectedReason[] {
    return [...this.rejections];
  }

  /**
   * Waits for the callback carrying `state`. Call once per listener (one attempt); the listener
   * closes when the attempt ends, whichever way.
   */
  waitForCallback(wait: CallbackWait): Promise<Callback> {
    if (this.waiting || this.used || this.closed) return Promise.reject(new SsoError('sso_cancelled', 'this loopback listener was already used'));
    return new Promise<Callback>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        wait.signal?.removeEventListener('abort', onAbort);
        this.waiting = undefined;
      };
      const timer = setTimeout(() => {
        cleanup();
        void this.close();
        reject(
          this.sawWrongState
            ? new SsoError('sso_state_mismatch', 'the only callbacks received carried a wrong or missing state', { reason: 'state' })
            : new SsoError('sso_timeout', `no sign-in callback within ${wait.timeoutMs} ms`),
        );
      }, wait.timeoutMs);
      const onAbort = (): void => {
        cleanup();
        void this.close();
        reject(new SsoError('sso_cancelled', 'sign-in cancelled by the caller', { cause: wait.signal?.reason }));
      };
      if (wait.signal?.aborted) {
        onAbort();
        return;
      }
      wait.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting = {
        state: Buffer.from(wait.state, 'utf8'),
        resolve: (c) => {
          cleanup();
          resolve(c);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
    });
  }

  /** Stops listening and drops every connection. Idempotent. A pending wait ends with `sso_cancelled`. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.waiting?.reject(new SsoError('sso_cancelled', 'loopback listener closed'));
    this.closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Idle keep-alive sockets (browsers open spare ones) would hold the server open.
      for (const s of this.sockets) s.destroySoon();
    });
    return this.closing;
  }

  private reject(res: ServerResponse, reason: RejectedReason, status: number, headers: Readonly<Record<string, string>> = {}): void {
    if (this.rejections.length < MAX_REJECTIONS_KEPT) this.rejections.push(reason);
    if (reason === 'state') this.sawWrongState = true;
    sendPage(res, status, this.lang, message('sso_page_rejected', this.lang), headers);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers.host !== `${LOOPBACK_HOST}:${this.port}`) return this.reject(res, 'host', 400);
    if (req.method !== 'GET') return this.reject(res, 'method', 405, { Allow: 'GET' });
    const raw = req.url ?? '';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    if (path !== CALLBACK_PATH) return this.reject(res, 'path', 404);
    if (this.used) return this.reject(res, 'used', 410);
    const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
    const waiting = this.waiting;
    const states = query.getAll('state');
    const state = states.length === 1 && states[0] !== undefined ? Buffer.from(states[0], 'utf8') : undefined;
    if (!waiting || !state || state.length !== waiting.state.length || !timingSafeEqual(state, waiting.state)) return this.reject(res, 'state', 400);

    this.used = true;
    const url = new URL(this.redirectUri);
    url.search = query.toString();
    const providerError = query.get('error');
    if (providerError !== null) {
      const description = query.get('error_description') ?? undefined;
      const error = new SsoError('sso_provider_error', `the provider answered ${providerError}${description ? `: ${description}` : ''}`, {
        reason: description ? `${providerError} (${description})` : providerError,
        providerError,
        ...(description !== undefined ? { providerErrorDescription: description } : {}),
      });
      waiting.reject(error);
      this.answer(res, { ok: false, error });
      return;
    }
    let finished = false;
    const grace = setTimeout(() => finish({ ok: false, error: new SsoError('sso_timeout', 'the sign-in was not finished in time') }), FINISH_GRACE_MS);
    const finish = (outcome: CallbackOutcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(grace);
      this.answer(res, outcome);
    };
    // The browser gave up (tab closed): nothing to answer, but the attempt goes on.
    res.once('close', () => clearTimeout(grace));
    waiting.resolve({ url, finish });
  }

  /** The final answer: the page, then the listener closes. */
  private answer(res: ServerResponse, outcome: CallbackOutcome): void {
    const text = outcome.ok ? message('sso_page_done', this.lang) : message('sso_page_failed', this.lang, { reason: message(outcome.error.code, this.lang, { reason: outcome.error.reason ?? '' }) });
    if (!res.writableEnded && !res.destroyed) sendPage(res, outcome.ok ? 200 : 400, this.lang, text, { Connection: 'close' });
    void this.close();
  }
}
