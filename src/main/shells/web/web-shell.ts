/**
 * The development/demo web shell: the renderer build served on 127.0.0.1 and the Electron IPC
 * contract carried over a local WebSocket, so the real screens run in a browser against the
 * real core.
 *
 * What keeps other local pages and processes out:
 * - it listens on 127.0.0.1 only, and every request must name exactly `127.0.0.1:<port>` in
 *   `Host` (a DNS-rebound name is refused);
 * - a per-launch random token: the launch URL carries it once, the server answers with an
 *   HttpOnly, SameSite=Strict cookie and a redirect that drops it from the address; every later
 *   request (files and WebSocket) must carry that cookie;
 * - the WebSocket handshake must come from the page's own origin (`Origin` checked);
 * - every invoke goes through the contract's host dispatch (`dispatchInvoke`: channel and
 *   arguments validated before the host runs, the PIN turned into bytes, errors as `Result`s),
 *   as the Electron IPC does, and every push is checked against the contract's event
 *   validator before it is sent;
 * - the pages get the Electron window's Content-Security-Policy as a response header.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { dispatchInvoke, forwardHostEvents, type TesseraHost } from '../../../shared/bridge.js';
import { eventValidators, isInvokeChannel } from '../../../shared/ipc-contract.js';
import type { Result } from '../../../shared/result.js';
import { contentSecurityPolicy } from '../../electron/secure-window-policy.js';
import { resolveStaticFile } from './static-files.js';
import { bridgePath, frameId, maxFrameBytes, maxPendingPerConnection, parseInvokeFrame, simulatorPath, tokenParam } from './wire.js';

/** Where pushes come from: called with each event channel and its payload. */
export type EventSubscription = (push: (channel: string, payload: unknown) => void) => () => void;

/** A set of invoke channels and a push source, reachable at one WebSocket path. */
export interface BridgeEndpoint {
  /** Undefined when the channel is not one of this endpoint's. */
  invoke(channel: string, args: readonly unknown[]): Promise<Result<unknown>> | undefined;
  subscribe: EventSubscription;
}

export interface WebShellOptions {
  /** The Vite build of the renderer (`build/renderer`). */
  readonly root: string;
  /** The agent core as the UI sees it (the UI core). */
  readonly host: TesseraHost;
  /** The demo's simulator control panel endpoint; its page is served only when given. */
  readonly simulator?: BridgeEndpoint;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default: a fresh random token. */
  readonly token?: string;
  readonly log?: (message: string, cause?: unknown) => void;
}

export interface WebShell {
  /** The launch URL (with the token): open it once; the page then lives at `origin`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  /** URL of the simulator control panel (with the token), when there is one. */
  readonly simulatorUrl: string | undefined;
  close(): Promise<void>;
}

/** Response headers of every page and file. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The contract's channels, answered by the host as the Electron main process answers them. */
function contractEndpoint(host: TesseraHost, log: (m: string, c?: unknown) => void): BridgeEndpoint {
  return {
    invoke: (channel, args) => (isInvokeChannel(channel) ? dispatchInvoke(host, channel, args, { log }) : undefined),
    subscribe: (push) =>
      forwardHostEvents(host, (channel, payload) => {
        const valid: (x: unknown) => boolean = eventValidators[channel];
        if (valid(payload)) push(channel, payload);
        else log(`web shell: push on ${channel} dropped, it does not match the contract`);
      }),
  };
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Starts the web shell on 127.0.0.1. */
export async function startWebShell(opts: WebShellOptions): Promise<WebShell> {
  const log = opts.log ?? (() => undefined);
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('web shell: no TCP address');
  const port = address.port;
  const host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;
  const cookieName = `tessera-${port}`;
  const endpoints = new Map<string, BridgeEndpoint>([[bridgePath, contractEndpoint(opts.host, log)]]);
  if (opts.simulator) endpoints.set(simulatorPath, opts.simulator);

  const hasCookie = (req: IncomingMessage): boolean => {
    const got = cookieValue(req.headers.cookie, cookieName);
    return got !== undefined && sameSecret(got, token);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res).catch((e: unknown) => {
      log('web shell: request failed', e);
      if (!res.headersSent) refuse(res, 500, 'Internal error');
      else res.destroy();
    });
  });

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.host !== host) return refuse(res, 421, 'Wrong host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed');
    let url: URL;
    try {
      // Origin-form only: an absolute target could name another host than the one checked.
      if (!req.url?.startsWith('/') || req.url.startsWith('//')) throw new Error('not origin-form');
      url = new URL(req.url, origin);
    } catch {
      return refuse(res, 400, 'Bad request');
    }
    const offered = url.searchParams.get(tokenParam);
    if (offered !== null) {
      if (!sameSecret(offered, token)) return refuse(res, 403, 'Forbidden');
      res.writeHead(303, {
        ...securityHeaders(),
        'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname,
      });
      res.end();
      return;
    }
    if (!hasCookie(req)) return refuse(res, 403, 'Forbidden: open the address the shell printed');
    if (url.pathname.startsWith('/simulator/') && !opts.simulator) return refuse(res, 404, 'Not found');
    const file = await resolveStaticFile(opts.root, url.pathname);
    if (!file && url.pathname === '/favicon.ico') {
      // Browsers ask for it on their own; the build has none: nothing, rather than an error.
      res.writeHead(204, securityHeaders());
      res.end();
      return;
    }
    if (!file) return refuse(res, 404, 'Not found');
    res.writeHead(200, { ...securityHeaders(), 'Content-Type': file.contentType, 'Content-Length': String(file.size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file.path).on('error', () => res.destroy()).pipe(res);
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    let endpoint: BridgeEndpoint | undefined;
    try {
      // Origin-form only: an absolute target could name another host than the one checked.
      if (!req.url?.startsWith('/') || req.url.startsWith('//')) throw new Error('not origin-form');
      endpoint = endpoints.get(new URL(req.url, origin).pathname);
    } catch {
      return refuseUpgrade(socket, '400 Bad Request');
    }
    if (req.headers.host !== host) return refuseUpgrade(socket, '421 Misdirected Request');
    if (req.headers.origin !== origin || !hasCookie(req)) return refuseUpgrade(socket, '403 Forbidden');
    if (!endpoint) return refuseUpgrade(socket, '404 Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, endpoint, log));
  });

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?${tokenParam}=${token}`,
    origin,
    port,
    simulatorUrl: opts.simulator ? `${origin}/simulator/?${tokenParam}=${token}` : undefined,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** One WebSocket connection: pushes out, invokes in, at most `maxPendingPerConnection` at a time. */
function attach(ws: WebSocket, endpoint: BridgeEndpoint, log: (m: string, c?: unknown) => void): void {
  const send = (frame: object): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const unsubscribe = endpoint.subscribe((channel, payload) => send({ t: 'event', channel, payload }));
  let pending = 0;
  ws.on('close', unsubscribe);
  ws.on('error', () => ws.terminate());
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const text = isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : '';
    const frame = parseInvokeFrame(text);
    if (!frame) {
      const id = frameId(text);
      if (id === undefined) {
        ws.close(1008, 'malformed frame');
        return;
      }
      send({ t: 'result', id, result: { ok: false, error: { code: 'invalid-request', message: 'malformed frame' } } });
      return;
    }
    if (pending >= maxPendingPerConnection) {
      ws.close(1008, 'too many requests in progress');
      return;
    }
    const answer = endpoint.invoke(frame.channel, frame.args);
    if (!answer) {
      send({ t: 'result', id: frame.id, result: { ok: false, error: { code: 'invalid-request', message: `unknown channel ${frame.channel}` } } });
      return;
    }
    pending += 1;
    answer.then(
      (result) => send({ t: 'result', id: frame.id, result }),
      (e: unknown) => {
        log(`web shell: ${frame.channel} failed`, e);
        send({ t: 'result', id: frame.id, result: { ok: false, error: { code: 'internal', message: `${frame.channel} failed` } } });
      },
    ).finally(() => {
      pending -= 1;
    });
  });
}
