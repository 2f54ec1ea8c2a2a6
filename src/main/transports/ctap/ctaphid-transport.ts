/**
 * CTAPHID (CTAP 2.1 §11.2) over any source of 64-byte HID reports: USB through `node-hid` in
 * production, UDP for simulators, in-memory fakes in tests.
 *
 * One transaction at a time per transport. A transaction writes the request's packets, then
 * reads the reports of its channel until the answer: keepalives go to `onKeepalive`, reports of
 * other channels are ignored, CTAPHID_ERROR becomes a typed error (CHANNEL_BUSY is retried with
 * back-off inside the time budget). Aborting or running out of time sends CTAPHID_CANCEL and
 * drains the device's late answer so the next transaction starts clean.
 */
import { randomBytes } from 'node:crypto';
import type { CtapKeepaliveStatus, CtapRequestOptions, CtapTransport } from './ctap-transport.js';
import { CtapTransportError, fromHidError } from './ctap-error.js';
import {
  BROADCAST_CID,
  CAPABILITY,
  CTAPHID_CMD,
  encodeMessage,
  KEEPALIVE_STATUS,
  MessageAssembler,
  parseInitResponse,
  type InitResponse,
} from './ctaphid-frames.js';

/** What the CTAPHID transport needs of a HID device: 64-byte reports in and out. */
export interface HidReportDevice {
  /** Sends one 64-byte output report (without any report-ID byte: the device adds it if needed). */
  write(report: Buffer): Promise<void>;
  /** Subscribes to 64-byte input reports; returns the unsubscribe function. */
  onReport(cb: (report: Buffer) => void): () => void;
  /**
   * Subscribes to device failures (unplugged, OS read error), reported as `CtapTransportError`
   * (`device_removed`, `io_error`); returns the unsubscribe function.
   */
  onError?(cb: (error: CtapTransportError) => void): () => void;
  close(): Promise<void>;
}

export interface CtapHidTransportOptions {
  readonly uri: string;
  /** Time allowed for CTAPHID_INIT when opening (default 3000 ms). */
  readonly initTimeoutMs?: number;
  /** Default time budget of a CBOR/MSG request when the caller gives none (default 30 s: user presence). */
  readonly defaultTimeoutMs?: number;
  /** Default time budget of PING and WINK (default 5 s). */
  readonly shortTimeoutMs?: number;
  /** How many times a request refused with CHANNEL_BUSY is sent again (default 5). */
  readonly busyRetries?: number;
  /** First back-off after CHANNEL_BUSY, doubled each time (default 20 ms). */
  readonly busyBackoffMs?: number;
  /** How long to wait for the device's answer after CTAPHID_CANCEL before giving up on it (default 1000 ms). */
  readonly cancelDrainMs?: number;
  /** Nonce source, for tests (default crypto random). */
  readonly nonce?: () => Buffer;
}

interface Waiter<T> {
  readonly promise: Promise<T>;
  stop(error: CtapTransportError): void;
}

type MessageDecision<T> = { done: T } | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CtapHidTransport implements CtapTransport {
  readonly uri: string;
  private readonly listeners = new Set<(report: Buffer) => void>();
  private readonly errorListeners = new Set<(error: CtapTransportError) => void>();
  private readonly unsubscribe: Array<() => void> = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private failure: CtapTransportError | undefined;

  private constructor(
    private readonly device: HidReportDevice,
    private readonly opts: CtapHidTransportOptions,
    private cidValue: number,
    readonly info: InitResponse,
  ) {
    this.uri = opts.uri;
  }

  /** The channel id the device allocated. */
  get cid(): number {
    return this.cidValue;
  }

  /** True when the device declared CTAP2 (CBOR) support in CTAPHID_INIT. */
  get supportsCbor(): boolean {
    return (this.info.capabilities & CAPABILITY.CBOR) !== 0;
  }

  get supportsWink(): boolean {
    return (this.info.capabilities & CAPABILITY.WINK) !== 0;
  }

  /** True when the device has no CTAP1/U2F (CTAPHID_MSG) support. */
  get noMsg(): boolean {
    return (this.info.capabilities & CAPABILITY.NMSG) !== 0;
  }

  /**
   * Opens a channel: CTAPHID_INIT on the broadcast channel with a fresh random nonce. Answers
   * with another nonce (meant for another host) are ignored. On failure the device is closed.
   */
  static async open(device: HidReportDevice, opts: CtapHidTransportOptions): Promise<CtapHidTransport> {
    const transport = new CtapHidTransport(device, opts, BROADCAST_CID, {
      nonce: Buffer.alloc(8),
      cid: BROADCAST_CID,
      protocolVersion: 0,
      deviceVersion: [0, 0, 0],
      capabilities: 0,
    });
    try {
      const info = await transport.init(opts.initTimeoutMs ?? 3000);
      return new CtapHidTransport(device, opts, info.cid, info).adopt(transport);
    } catch (e) {
      transport.detach();
      await device.close().catch(() => undefined);
      throw e;
    }
  }

  /** Takes over the subscriptions of the bootstrap instance used for INIT. */
  private adopt(boot: CtapHidTransport): this {
    boot.detach();
    this.attach();
    return this;
  }

  private attach(): void {
    this.unsubscribe.push(this.device.onReport((report) => {
      for (const l of [...this.listeners]) l(report);
    }));
    if (this.device.onError) {
      this.unsubscribe.push(this.device.onError((error) => {
        this.failure ??= error;
        for (const l of [...this.errorListeners]) l(error);
      }));
    }
  }

  private detach(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  private async init(timeoutMs: number): Promise<InitResponse> {
    this.attach();
    const nonce = this.opts.nonce?.() ?? randomBytes(8);
    const deadline = Date.now() + timeoutMs;
    const waiter = this.waitMessages<InitResponse>(BROADCAST_CID, deadline, undefined, (cmd, data) => {
      if (cmd === CTAPHID_CMD.ERROR) throw fromHidError(data[0] ?? 0, 'CTAPHID_INIT');
      if (cmd !== CTAPHID_CMD.INIT || data.length < 17) return undefined;
      const info = parseInitResponse(data);
      if (!info.nonce.equals(nonce)) return undefined; // another host's INIT
      if (info.cid === 0 || info.cid === BROADCAST_CID) {
        throw new CtapTransportError('invalid_channel', `device allocated the reserved channel 0x${info.cid.toString(16)}`);
      }
      return { done: info };
    });
    try {
      await this.writeMessage(BROADCAST_CID, CTAPHID_CMD.INIT, nonce);
    } catch (e) {
      waiter.stop(asTransportError(e));
    }
    try {
      return await waiter.promise;
    } catch (e) {
      if (e instanceof CtapTransportError && (e.code === 'timeout' || e.code === 'device_removed')) {
        throw new CtapTransportError('device_not_found', `no CTAPHID_INIT answer from ${this.uri} within ${timeoutMs} ms`, { cause: e });
      }
      throw e;
    }
  }

  cbor(request: Buffer, opts: CtapRequestOptions = {}): Promise<Buffer> {
    if (request.length === 0) return Promise.reject(new RangeError('empty CTAP2 request'));
    if (!this.supportsCbor) {
      return Promise.reject(new CtapTransportError('not_supported', `${this.uri} declares no CTAP2 (CBOR) support`));
    }
    return this.transaction(CTAPHID_CMD.CBOR, request, opts, this.opts.defaultTimeoutMs ?? 30_000).then((answer) => {
      if (answer.length === 0) throw new CtapTransportError('invalid_frame', 'empty CTAPHID_CBOR answer (no status byte)');
      return answer;
    });
  }

  /** CTAP1/U2F APDU through CTAPHID_MSG. */
  msg(apdu: Buffer, opts: CtapRequestOptions = {}): Promise<Buffer> {
    if (this.noMsg) return Promise.reject(new CtapTransportError('not_supported', `${this.uri} has no CTAP1/U2F (NMSG)`));
    return this.transaction(CTAPHID_CMD.MSG, apdu, opts, this.opts.defaultTimeoutMs ?? 30_000);
  }

  async ping(data: Buffer, opts: CtapRequestOptions = {}): Promise<Buffer> {
    const echo = await this.transaction(CTAPHID_CMD.PING, data, opts, this.opts.shortTimeoutMs ?? 5000);
    if (!echo.equals(data)) throw new CtapTransportError('invalid_frame', `CTAPHID_PING echo differs (${echo.length} bytes for ${data.length})`);
    return echo;
  }

  async wink(): Promise<void> {
    if (!this.supportsWink) throw new CtapTransportError('not_supported', `${this.uri} declares no CTAPHID_WINK`);
    await this.transaction(CTAPHID_CMD.WINK, Buffer.alloc(0), {}, this.opts.shortTimeoutMs ?? 5000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new CtapTransportError('closed', `${this.uri} closed`);
    for (const l of [...this.errorListeners]) l(error);
    this.detach();
    await this.device.close();
  }

  private transaction(cmd: number, data: Buffer, opts: CtapRequestOptions, defaultTimeoutMs: number): Promise<Buffer> {
    const run = this.queue.then(() => this.transact(cmd, data, opts, Date.now() + (opts.timeoutMs ?? defaultTimeoutMs)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transact(cmd: number, data: Buffer, opts: CtapRequestOptions, deadline: number): Promise<Buffer> {
    const retries = this.opts.busyRetries ?? 5;
    let backoff = this.opts.busyBackoffMs ?? 20;
    for (let attempt = 0; ; attempt++) {
      this.checkUsable(opts.signal);
      try {
        return await this.attempt(cmd, data, opts, deadline);
      } catch (e) {
        const busy = e instanceof CtapTransportError && e.code === 'channel_busy';
        if (!busy || attempt >= retries) throw e;
        const left = deadline - Date.now();
        if (left <= 0) throw new CtapTransportError('timeout', `${this.uri} stayed busy until the time budget ran out`, { cause: e });
        await this.pause(Math.min(backoff, left), opts.signal);
        backoff *= 2;
      }
    }
  }

  private checkUsable(signal: AbortSignal | undefined): void {
    if (this.closed) throw new CtapTransportError('closed', `${this.uri} closed`);
    if (this.failure) throw new CtapTransportError(this.failure.code, this.failure.message, { cause: this.failure });
    if (signal?.aborted) throw new CtapTransportError('cancelled', 'request cancelled before it was sent');
  }

  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return sleep(ms);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new CtapTransportError('cancelled', 'request cancelled while waiting for a busy device'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async attempt(cmd: number, data: Buffer, opts: CtapRequestOptions, deadline: number): Promise<Buffer> {
    const cid = this.cidValue;
    const onKeepalive = opts.onKeepalive;
    const waiter = this.waitMessages<Buffer>(cid, deadline, opts.signal, (answerCmd, answer) => {
      if (answerCmd === CTAPHID_CMD.KEEPALIVE) {
        const status = keepaliveStatus(answer[0]);
        if (status && onKeepalive) onKeepalive(status);
        return undefined;
      }
      if (answerCmd === CTAPHID_CMD.ERROR) {
        if (answer.length < 1) throw new CtapTransportError('invalid_frame', 'CTAPHID_ERROR without a code');
        throw fromHidError(answer[0] ?? 0, `command 0x${cmd.toString(16)}`);
      }
      if (answerCmd === cmd) return { done: answer };
      throw new CtapTransportError('invalid_frame', `answer with command 0x${answerCmd.toString(16)} to command 0x${cmd.toString(16)}`);
    });
    try {
      await this.writeMessage(cid, cmd, data);
    } catch (e) {
      waiter.stop(asTransportError(e));
    }
    try {
      return await waiter.promise;
    } catch (e) {
      const stopped = e instanceof CtapTransportError && (e.code === 'cancelled' || (e.code === 'timeout' && e.hidError === undefined));
      if (stopped && (cmd === CTAPHID_CMD.CBOR || cmd === CTAPHID_CMD.MSG)) await this.cancelAndDrain(cid, cmd);
      throw e;
    }
  }

  /** CTAPHID_CANCEL, then wait briefly for the device's final answer so it cannot be read as the next one's. */
  private async cancelAndDrain(cid: number, cmd: number): Promise<void> {
    const drain = this.waitMessages<true>(cid, Date.now() + (this.opts.cancelDrainMs ?? 1000), undefined, (answerCmd) =>
      answerCmd === cmd || answerCmd === CTAPHID_CMD.ERROR ? { done: true } : undefined,
    );
    try {
      await this.writeMessage(cid, CTAPHID_CMD.CANCEL, Buffer.alloc(0));
    } catch (e) {
      drain.stop(asTransportError(e));
    }
    await drain.promise.catch(() => undefined);
  }

  /** Writes one message; the report copies are wiped once written (requests carry PIN material). */
  private async writeMessage(cid: number, cmd: number, data: Buffer): Promise<void> {
    const reports = encodeMessage(cid, cmd, data);
    try {
      for (const report of reports) {
        if (this.failure) throw this.failure;
        try {
          await this.device.write(report);
        } catch (e) {
          throw asTransportError(e);
        }
      }
    } finally {
      for (const report of reports) report.fill(0);
    }
  }

  /**
   * Reads the messages of channel `cid` until `decide` returns `{ done }` or throws, the
   * deadline passes, `signal` aborts or the device fails.
   */
  private waitMessages<T>(
    cid: number,
    deadline: number,
    signal: AbortSignal | undefined,
    decide: (cmd: number, data: Buffer) => MessageDecision<T>,
  ): Waiter<T> {
    const assembler = new MessageAssembler(cid);
    let settle: ((outcome: { ok: true; value: T } | { ok: false; error: CtapTransportError }) => void) | undefined;
    const promise = new Promise<T>((resolve, reject) => {
      const onReport = (report: Buffer): void => {
        try {
          const r = assembler.push(report);
          if (r.kind !== 'message') return;
          const decision = decide(r.cmd, r.data);
          if (decision) finish({ ok: true, value: decision.done });
        } catch (e) {
          finish({ ok: false, error: asTransportError(e) });
        }
      };
      const onError = (error: CtapTransportError): void => finish({ ok: false, error });
      const onAbort = (): void =>
        finish({ ok: false, error: new CtapTransportError('cancelled', 'request cancelled by the caller') });
      const finish = (outcome: { ok: true; value: T } | { ok: false; error: CtapTransportError }): void => {
        if (!settle) return;
        settle = undefined;
        clearTimeout(timer);
        this.listeners.delete(onReport);
        this.errorListeners.delete(onError);
        signal?.removeEventListener('abort', onAbort);
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      };
      const timer = setTimeout(
        () => finish({ ok: false, error: new CtapTransportError('timeout', `no answer from ${this.uri} within the time budget`) }),
        Math.max(0, deadline - Date.now()),
      );
      settle = finish;
      this.listeners.add(onReport);
      this.errorListeners.add(onError);
      if (this.failure) return finish({ ok: false, error: this.failure });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return {
      promise,
      stop: (error) => settle?.({ ok: false, error }),
    };
  }
}

function keepaliveStatus(byte: number | undefined): CtapKeepaliveStatus | undefined {
  if (byte === KEEPALIVE_STATUS.PROCESSING) return 'processing';
  if (byte === KEEPALIVE_STATUS.UPNEEDED) return 'user-presence-needed';
  return undefined; // RFU values
}

function asTransportError(e: unknown): CtapTransportError {
  if (e instanceof CtapTransportError) return e;
  return new CtapTransportError('io_error', `HID I/O failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

