/**
 * The agent side of the control channel: listens on the socket, validates every line, calls the
 * injected handler (the agent wires it to the session engine) and streams events to
 * subscribers. One bad client never disturbs another: a malformed line gets a typed error, an
 * over-long line closes that connection, a subscriber that stops reading is dropped.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { ControlError } from './control-error.js';
import {
  CONTROL_EVENTS,
  MAX_IN_FLIGHT,
  MAX_LINE_BYTES,
  WIRE_REASON,
  encodeLine,
  parseRequestLine,
  type ControlEventName,
  type ControlRequest,
  type ControlResponse,
  type ParamsByMethod,
  type RequestId,
  type ResultByMethod,
} from './protocol.js';
import { isWindowsPipePath, prepareSocketPath, secureListeningSocket } from './socket-path.js';

/** What the agent does for each method. */
export interface ControlHandler {
  status(): ResultByMethod['status'] | Promise<ResultByMethod['status']>;
  lock(): ResultByMethod['lock'] | Promise<ResultByMethod['lock']>;
  signOut(): ResultByMethod['signOut'] | Promise<ResultByMethod['signOut']>;
  /** Absent: the agent has no FIDO2 fallback and the method is answered `unknown_method`. */
  fidoFallback?(params: ParamsByMethod['fidoFallback']): Promise<ResultByMethod['fidoFallback']>;
  /**
   * Absent: no token broker, answered `unknown_method`. Gets the connection itself: the broker
   * identifies the process at its other end before anything else.
   */
  token?(params: ParamsByMethod['token'], connection: Socket): Promise<ResultByMethod['token']>;
}

export interface ControlServerOptions {
  readonly path: string;
  readonly handler: ControlHandler;
  /** Connections beyond this are closed at once (default 1024). */
  readonly maxClients?: number;
  /** A subscriber with more than this many bytes unsent is dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** A line begun and not finished within this time is answered `line_timeout` and the connection closed (default 10 s). */
  readonly lineTimeoutMs?: number;
  /** Handler failures and dropped clients, for the agent's log (never request contents). */
  readonly onWarning?: (code: 'handler_failed' | 'client_dropped', message: string) => void;
}

interface Client {
  readonly socket: Socket;
  events: ReadonlySet<ControlEventName> | undefined;
  /** Refused (over-long line): what it still sends is discarded. */
  closing: boolean;
  /** Requests being carried out. */
  inFlight: number;
}

export class ControlServer {
  private readonly clients = new Set<Client>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly path: string,
    private readonly opts: ControlServerOptions,
  ) {}

  /** Prepares the path (folder 0700, stale socket removed), listens, then checks the socket is 0600. */
  static async start(opts: ControlServerOptions): Promise<ControlServer> {
    const pipe = isWindowsPipePath(opts.path);
    if (!pipe) await prepareSocketPath(opts.path);
    const server = createServer({ allowHalfOpen: false });
    const cs = new ControlServer(server, opts.path, opts);
    server.on('connection', (s) => cs.accept(s));
    await new Promise<void>((resolve, reject) => {
      const fail = (e: NodeJS.ErrnoException): void => reject(new ControlError('control_insecure_path', `${opts.path}: cannot listen (${e.code ?? e.message})`, { path: opts.path, cause: e }));
      server.once('error', fail);
      server.listen(opts.path, () => {
        server.off('error', fail);
        resolve();
      });
    });
    server.on('error', (e) => opts.onWarning?.('client_dropped', `server: ${e.message}`));
    if (!pipe) {
      try {
        secureListeningSocket(opts.path);
      } catch (e) {
        await cs.close();
        throw e;
      }
    }
    return cs;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get subscriberCount(): number {
    let n = 0;
    for (const c of this.clients) if (c.events) n++;
    return n;
  }

  /** Sends `{ event, data }` to every subscriber of `event`. */
  publish(event: ControlEventName, data: unknown): void {
    const line = encodeLine({ event, data });
    for (const c of [...this.clients]) {
      if (c.events?.has(event)) this.send(c, line);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (!isWindowsPipePath(this.path)) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone (server.close removes it on most platforms)
      }
    }
  }

  private accept(socket: Socket): void {
    if (this.closed || this.clients.size >= (this.opts.maxClients ?? 1024)) {
      socket.destroy();
      return;
    }
    const client: Client = { socket, events: undefined, closing: false, inFlight: 0 };
    this.clients.add(client);
    socket.setNoDelay(true);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // half a line then silence would hold the connection (and its buffer) forever
    let lineTimer: NodeJS.Timeout | undefined;
    const stopLineTimer = (): void => {
      if (lineTimer) clearTimeout(lineTimer);
      lineTimer = undefined;
    };
    socket.on('data', (chunk: Buffer) => {
      if (client.closing) return;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        const part = chunk.subarray(start, nl);
        start = nl + 1;
        if (pendingBytes + part.length > MAX_LINE_BYTES) {
          this.tooLong(client);
          return;
        }
        const line = pending.length > 0 ? Buffer.concat([...pending, part]) : part;
        pending = [];
        pendingBytes = 0;
        stopLineTimer();
        this.onLine(client, line.toString('utf8').replace(/\r$/, ''));
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        pendingBytes += rest.length;
        if (pendingBytes > MAX_LINE_BYTES) {
          this.tooLong(client);
          return;
        }
        pending.push(Buffer.from(rest));
        lineTimer ??= setTimeout(() => {
          pending = [];
          this.refuse(client, 'line_timeout', `line not finished within ${this.opts.lineTimeoutMs ?? 10_000} ms: connection closed`);
        }, this.opts.lineTimeoutMs ?? 10_000);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      stopLineTimer();
      this.clients.delete(client);
    });
  }

  private tooLong(client: Client): void {
    this.refuse(client, 'line_too_long', `line longer than ${MAX_LINE_BYTES} bytes: connection closed`);
  }

  /** Answers one last error, stops reading and closes the connection. */
  private refuse(client: Client, code: 'line_too_long' | 'line_timeout', message: string): void {
    client.closing = true;
    client.events = undefined;
    client.socket.end(encodeLine({ id: null, ok: false, error: { code, message } }));
    client.socket.destroySoon();
    this.clients.delete(client);
  }

  private onLine(client: Client, line: string): void {
    if (line.trim() === '') return;
    const parsed = parseRequestLine(line);
    if (!parsed.ok) {
      this.reply(client, { id: parsed.id, ok: false, error: { code: parsed.code, message: parsed.message } });
      return;
    }
    if (client.inFlight >= MAX_IN_FLIGHT) {
      this.reply(client, { id: parsed.request.id, ok: false, error: { code: 'busy', message: `more than ${MAX_IN_FLIGHT} requests in progress on this connection` } });
      return;
    }
    client.inFlight++;
    void this.dispatch(client, parsed.request).finally(() => client.inFlight--);
  }

  private async dispatch(client: Client, req: ControlRequest): Promise<void> {
    const id: RequestId = req.id;
    try {
      let result: unknown;
      switch (req.method) {
        case 'status':
          result = await this.opts.handler.status();
          break;
        case 'lock':
          result = await this.opts.handler.lock();
          break;
        case 'signOut':
          result = await this.opts.handler.signOut();
          break;
        case 'fidoFallback':
          if (!this.opts.handler.fidoFallback) {
            this.reply(client, { id, ok: false, error: { code: 'unknown_method', message: 'fidoFallback: no FIDO2 fallback on this agent' } });
            return;
          }
          result = await this.opts.handler.fidoFallback(req.params);
          break;
        case 'token':
          if (!this.opts.handler.token) {
            this.reply(client, { id, ok: false, error: { code: 'unknown_method', message: 'token: no token broker on this agent' } });
            return;
          }
          result = await this.opts.handler.token(req.params, client.socket);
          break;
        case 'subscribe': {
          const events = new Set<ControlEventName>(req.params.events ?? CONTROL_EVENTS);
          client.events = events;
          result = { subscribed: [...events] } satisfies ResultByMethod['subscribe'];
          break;
        }
      }
      this.reply(client, { id, ok: true, result });
    } catch (e) {
      const code = e instanceof ControlError || (e instanceof Error && 'code' in e && typeof e.code === 'string') ? String((e as { code: string }).code) : 'handler_failed';
      this.opts.onWarning?.('handler_failed', `${req.method}: ${e instanceof Error ? e.message : String(e)}`);
      // A typed error's finer reason (a code, e.g. `session_locked`) goes along; its message stays in the log.
      const reason = e instanceof Error && 'reason' in e && typeof e.reason === 'string' && WIRE_REASON.test(e.reason) ? { reason: e.reason } : {};
      this.reply(client, { id, ok: false, error: { code, message: `${req.method} failed`, ...reason } });
    }
  }

  private reply(client: Client, r: ControlResponse): void {
    this.send(client, encodeLine(r));
  }

  private send(client: Client, line: string): void {
    const s = client.socket;
    if (s.destroyed || !s.writable) return;
    if (s.writableLength > (this.opts.maxBufferedBytes ?? 1 << 20)) {
      this.opts.onWarning?.('client_dropped', 'a client stopped reading: connection closed');
      s.destroy();
      this.clients.delete(client);
      return;
    }
    s.write(line);
  }
}
