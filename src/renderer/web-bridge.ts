/**
 * `TesseraApi` in a plain browser: the contract carried over the web shell's WebSocket
 * (src/main/shells/web/web-shell.ts) instead of Electron IPC. Every answer and push is checked
 * by the shared client (`createTesseraApi`), exactly as over IPC.
 *
 * The connection comes back on its own (backoff 250 ms → 5 s). While it is down, requests answer
 * `unavailable` and the last status is pushed again with `agent: 'error'` so the screens say the
 * agent is unreachable; once it is back, the status and the prompt are read again and pushed.
 * "Retry the connection" (`retryConnection`) while it is down reconnects at once.
 * The page's cookie (set by the launch URL) authenticates the socket: nothing secret here.
 */
import { createTesseraApi, type BridgeTransport } from '../shared/bridge.js';
import { IpcChannel, type EventChannel, type InvokeChannel, type TesseraApi } from '../shared/ipc-contract.js';
import { isStatusView, type StatusView } from '../shared/status-view.js';
import { bridgePath, parseServerFrame } from '../main/shells/web/wire.js';

export interface WebBridgeOptions {
  /** Default: ws(s)://<this page's host>/bridge. */
  readonly url?: string;
  /** A request not answered by then fails (default 15 s; a PIN pad answer is quick). */
  readonly requestTimeoutMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

interface Pending {
  readonly resolve: (x: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The WebSocket transport; `close()` stops it for good. */
export class WebSocketTransport implements BridgeTransport {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly openWaiters = new Set<() => void>();
  private delay: number;
  private closed = false;
  private everOpened = false;
  private lastStatus: StatusView | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: Required<Pick<WebBridgeOptions, 'url' | 'requestTimeoutMs' | 'backoff'>>) {
    this.delay = opts.backoff.initialMs;
    this.connect();
  }

  invoke(channel: InvokeChannel, args: readonly unknown[]): Promise<unknown> {
    // "Retry the connection" while the socket is down: try now rather than at the next backoff.
    if (channel === IpcChannel.retryConnection && this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.delay = this.opts.backoff.initialMs;
      this.connect();
    }
    return new Promise<unknown>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${channel}: no answer`));
      }, this.opts.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const send = (): void => {
        if (!this.pending.has(id)) return;
        if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ t: 'invoke', id, channel, args }));
        else this.fail(id, new Error(`${channel}: the agent is unreachable`));
      };
      if (this.socket?.readyState === WebSocket.CONNECTING && (!this.everOpened || channel === IpcChannel.retryConnection)) {
        // A connection is on its way (the first one, or the retry just started): wait for it.
        this.openWaiters.add(send);
      } else {
        send();
      }
    });
  }

  listen(channel: EventChannel, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.close();
    for (const id of [...this.pending.keys()]) this.fail(id, new Error('bridge closed'));
  }

  private fail(id: number, e: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(e);
  }

  private emit(channel: string, payload: unknown): void {
    if (channel === IpcChannel.statusChanged && isStatusView(payload)) this.lastStatus = payload;
    for (const l of [...(this.listeners.get(channel) ?? [])]) l(payload);
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.opts.url);
    this.socket = ws;
    ws.onopen = () => {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.delay = this.opts.backoff.initialMs;
      for (const w of [...this.openWaiters]) w();
      this.openWaiters.clear();
      if (reconnected) void this.resync();
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      const frame = parseServerFrame(event.data);
      if (!frame) return;
      if (frame.t === 'event') {
        this.emit(frame.channel, frame.payload);
        return;
      }
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      p.resolve(frame.result);
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      for (const id of [...this.pending.keys()]) this.fail(id, new Error('connection lost'));
      for (const w of [...this.openWaiters]) w();
      this.openWaiters.clear();
      if (this.lastStatus && this.lastStatus.agent !== 'error') this.emit(IpcChannel.statusChanged, { ...this.lastStatus, agent: 'error' });
      if (this.closed) return;
      const wait = this.delay;
      this.delay = Math.min(this.opts.backoff.maxMs, this.delay * 2);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.connect();
      }, wait);
    };
  }

  /** After a reconnection: what changed while the socket was down is read and pushed. */
  private async resync(): Promise<void> {
    for (const [get, push] of [
      [IpcChannel.getStatus, IpcChannel.statusChanged],
      [IpcChannel.getPrompt, IpcChannel.promptChanged],
    ] as const) {
      try {
        const answer = (await this.invoke(get, [])) as { ok?: unknown; value?: unknown };
        if (answer.ok === true) this.emit(push, answer.value);
      } catch {
        // the next reconnection tries again
      }
    }
  }
}

/** The API over the web shell's WebSocket, or null when this page was not served over HTTP(S). */
export function connectWebBridge(opts: WebBridgeOptions = {}): TesseraApi | null {
  const { protocol, host } = window.location;
  if (protocol !== 'http:' && protocol !== 'https:') return null;
  const transport = new WebSocketTransport({
    url: opts.url ?? `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${bridgePath}`,
    requestTimeoutMs: opts.requestTimeoutMs ?? 15_000,
    backoff: opts.backoff ?? { initialMs: 250, maxMs: 5_000 },
  });
  return createTesseraApi(transport);
}
