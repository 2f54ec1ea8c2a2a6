/**
 * A `CtapTransport` that calls a device-side `CtapCborHandler` directly: the protocol and means
 * tests run against the simulator with no framing in between. Keepalives reach `onKeepalive`;
 * the caller's `signal` and `timeoutMs` abort the handler's signal like CTAPHID_CANCEL would.
 */
import type { CtapRequestOptions, CtapTransport } from '../../../src/main/transports/ctap/ctap-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import type { CtapCborHandler } from './ctaphid-device.js';

export class InProcessCtapTransport implements CtapTransport {
  readonly uri = 'inprocess:simulator';
  private closed = false;
  /** Requests and answers seen, for tests that inspect the wire bytes. */
  readonly log: Array<{ request: Buffer; answer: Buffer }> = [];

  constructor(private readonly handler: CtapCborHandler) {}

  async cbor(request: Buffer, opts: CtapRequestOptions = {}): Promise<Buffer> {
    if (this.closed) throw new CtapTransportError('closed', 'transport closed');
    const abort = new AbortController();
    const onAbort = (): void => abort.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs !== undefined ? setTimeout(onAbort, opts.timeoutMs) : undefined;
    const copy = Buffer.from(request);
    try {
      const answer = await this.handler(copy, { keepalive: (s) => opts.onKeepalive?.(s), signal: abort.signal });
      if (abort.signal.aborted) {
        throw opts.signal?.aborted ? new CtapTransportError('cancelled', 'request cancelled') : new CtapTransportError('timeout', 'request timed out');
      }
      this.log.push({ request: copy, answer });
      return answer;
    } finally {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
