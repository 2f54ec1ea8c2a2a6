/**
 * The client side of the control channel (CLI `tessera status`, Electron shell, local
 * applications): connects to the agent's socket, sends requests with increasing ids, matches
 * answers, and hands streamed events to listeners. Everything the agent sends is validated.
 */
import { connect, type Socket } from 'node:net';
import { ControlError } from './control-error.js';
import {
  encodeLine,
  parseServerLine,
  type AgentStatus,
  type ControlEvent,
  type ControlEventName,
  type ControlMethod,
  type ParamsByMethod,
  type ResultByMethod,
} from './protocol.js';

/** Longest line accepted from the agent (events can carry a full status). */
const MAX_SERVER_LINE = 1 << 20;

interface Pending {
  readonly method: ControlMethod;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: ControlError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface ControlClientOptions {
  /** Per request and for connecting (default 5 s). */
  readonly timeoutMs?: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the shape of a `status` answer. */
export function isAgentStatus(v: unknown): v is AgentStatus {
  if (!isRecord(v) || typeof v['state'] !== 'string' || typeof v['degraded'] !== 'boolean' || !Array.isArray(v['readers'])) return false;
  if (!v['readers'].every((r: unknown) => isRecord(r) && typeof r['name'] === 'string' && typeof r['card'] === 'boolean')) return false;
  const sso = v['sso'];
  if (sso !== undefined && !(isRecord(sso) && typeof sso['provider'] === 'string' && typeof sso['signedIn'] === 'boolean')) return false;
  const s = v['session'];
  if (s === undefined) return true;
  return (
    isRecord(s) &&
    typeof s['person'] === 'string' &&
    typeof s['means'] === 'string' &&
    Array.isArray(s['factors']) &&
    s['factors'].every((f: unknown) => typeof f === 'string') &&
    typeof s['windowLeftMs'] === 'number' &&
    typeof s['locked'] === 'boolean'
  );
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(e: ControlEvent) => void>();
  private buffer = '';
  private failure: ControlError | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new ControlError('control_protocol', `connection error: ${e.message}`, { path, cause: e })));
    socket.on('close', () => this.fail(new ControlError('control_protocol', 'the agent closed the connection', { path })));
  }

  /** Connects; no agent → `agent_not_running`; another user's socket → `control_refused`. */
  static connect(path: string, opts: ControlClientOptions = {}): Promise<ControlClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ControlError('control_timeout', `no answer from ${path} within ${timeoutMs} ms`, { path }));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket, path, timeoutMs));
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'ENOTDIR') reject(new ControlError('agent_not_running', `no agent listens on ${path} (${e.code})`, { path, cause: e }));
        else if (e.code === 'EACCES' || e.code === 'EPERM') reject(new ControlError('control_refused', `not allowed to connect to ${path} (${e.code})`, { path, cause: e }));
        else reject(new ControlError('control_protocol', `cannot connect to ${path}: ${e.code ?? e.message}`, { path, cause: e }));
      });
    });
  }

  request<M extends ControlMethod>(method: M, params?: ParamsByMethod[M]): Promise<ResultByMethod[M]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<ResultByMethod[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ControlError('control_timeout', `${method}: no answer within ${this.timeoutMs} ms`, { path: this.path }));
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(encodeLine({ id, method, params: params ?? {} } as Parameters<typeof encodeLine>[0]));
    });
  }

  async status(): Promise<AgentStatus> {
    const r = await this.request('status');
    if (!isAgentStatus(r)) throw new ControlError('control_protocol', 'status: answer does not match the contract', { path: this.path });
    return r;
  }

  /** Subscribes, then calls `listener` for every `{ event, data }` the agent streams. */
  async subscribe(listener: (e: ControlEvent) => void, events?: readonly ControlEventName[]): Promise<readonly ControlEventName[]> {
    this.listeners.add(listener);
    const r = await this.request('subscribe', events ? { events } : {});
    return r.subscribed;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
    }
    if (this.buffer.length > MAX_SERVER_LINE) {
      this.fail(new ControlError('control_protocol', 'line from the agent too long', { path: this.path }));
      this.socket.destroy();
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const parsed = parseServerLine(line);
    if (!parsed) {
      this.fail(new ControlError('control_protocol', 'a line from the agent is outside the protocol', { path: this.path }));
      this.socket.destroy();
      return;
    }
    if (parsed.kind === 'event') {
      for (const l of this.listeners) l(parsed.event);
      return;
    }
    const r = parsed.response;
    const p = typeof r.id === 'number' ? this.pending.get(r.id) : undefined;
    if (!p) {
      // An answer to no request (e.g. an error about a line the agent could not read): the connection is unusable.
      if (!r.ok) this.fail(new ControlError('control_remote_error', `${r.error.code}: ${r.error.message}`, { remoteCode: r.error.code, path: this.path }));
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(r.id as number);
    if (r.ok) p.resolve(r.result);
    else p.reject(new ControlError('control_remote_error', `${p.method}: ${r.error.code}: ${r.error.message}`, { remoteCode: r.error.code, path: this.path }));
  }

  private fail(e: ControlError): void {
    if (!this.failure) this.failure = e;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(e);
    }
  }
}
