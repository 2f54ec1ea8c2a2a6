/**
 * CTAP over ISO 7816-4 APDUs, the NFC binding of CTAP 2.1 (§11.3), on any `CardChannel`
 * (a contactless key on the same PC/SC reader as the badges).
 *
 * - Open: SELECT of the FIDO AID `A0000006472F0001`; the key answers its version string
 *   (`FIDO_2_0`, or `U2F_V2` for CTAP1-only keys).
 * - One CTAP message = NFCCTAP_MSG (`80 10 80 00`, P1 bit 0x80: "this client polls with
 *   NFCCTAP_GETRESPONSE"). Short APDUs by default: 255-byte blocks chained with CLA `90` for all
 *   but the last; extended length (one APDU, Le 65536) on request.
 * - Answers: `9000` done; `61xx` more data, fetched with GET RESPONSE (`00 C0 00 00 xx`);
 *   `9100` a status update whose one data byte is the keepalive status (01 processing,
 *   02 user presence needed), answered with NFCCTAP_GETRESPONSE (`80 11 00 00`) until done.
 * - NFC has no CANCEL: an aborted or timed-out request stops polling and rejects; the next
 *   request first SELECTs the applet again, which ends the abandoned operation, and the
 *   connection's owner resets the card on release (`ReaderMonitor.withCard`).
 *
 * APDUs are built here rather than through the ISO 7816 protocol layer, which sits above the
 * transports; the subset is small (no secure messaging, fixed CLA/INS).
 */
import type { CardChannel } from '../card-channel.js';
import type { CtapKeepaliveStatus, CtapRequestOptions, CtapTransport } from './ctap-transport.js';
import { CtapTransportError } from './ctap-error.js';
import { isTesseraError } from '../../errors.js';

export const FIDO_AID = Buffer.from('A0000006472F0001', 'hex');

const CLA_CTAP = 0x80;
const CLA_CTAP_CHAINED = 0x90;
const INS_NFCCTAP_MSG = 0x10;
const INS_NFCCTAP_GETRESPONSE = 0x11;
const P1_GETRESPONSE_SUPPORTED = 0x80;
const SW_OK = 0x9000;
const SW_STATUS_UPDATE = 0x9100;
const SHORT_BLOCK = 255;
/** Largest CTAP request sent (extended Lc bound); authenticators announce their own maxMsgSize. */
export const MAX_NFC_REQUEST = 0xffff;
/** Largest answer collected across GET RESPONSE blocks before the card is deemed faulty. */
const MAX_NFC_RESPONSE = 0x10000;

export interface CtapNfcTransportOptions {
  readonly uri?: string;
  /** One extended-length APDU per message instead of short-APDU chaining (default false). */
  readonly extendedLength?: boolean;
  /** Default time budget of a request when the caller gives none (default 30 s). */
  readonly defaultTimeoutMs?: number;
  /** Pause between NFCCTAP_GETRESPONSE polls (default 0: the card holds each poll itself). */
  readonly pollIntervalMs?: number;
  /** Called once on close(), e.g. to release the exclusive PC/SC connection. */
  readonly onClose?: () => Promise<void> | void;
}

interface Response {
  readonly data: Buffer;
  readonly sw: number;
}

const PCSC_GONE = new Set(['card_removed', 'no_card', 'card_reset', 'reader_unavailable', 'not_connected', 'daemon_unavailable']);

function toTransportError(e: unknown, what: string): CtapTransportError {
  if (e instanceof CtapTransportError) return e;
  if (isTesseraError(e) && PCSC_GONE.has(e.code)) {
    return new CtapTransportError('device_removed', `${what}: the key left the reader (${e.code})`, { cause: e });
  }
  if (isTesseraError(e) && e.code === 'timeout') return new CtapTransportError('timeout', `${what}: the card did not answer`, { cause: e });
  return new CtapTransportError('io_error', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

export class CtapNfcTransport implements CtapTransport {
  readonly uri: string;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private broken: CtapTransportError | undefined;
  private reselect = false;

  private constructor(private readonly channel: CardChannel, readonly version: string, private readonly opts: CtapNfcTransportOptions) {
    this.uri = opts.uri ?? `pcsc:${channel.readerName}`;
  }

  /** SELECTs the FIDO applet; a card without it is `nfc_select_failed`. */
  static async open(channel: CardChannel, opts: CtapNfcTransportOptions = {}): Promise<CtapNfcTransport> {
    let r: Response;
    try {
      r = splitResponse(await channel.transmit(selectApdu()));
    } catch (e) {
      throw toTransportError(e, 'SELECT FIDO');
    }
    if (r.sw !== SW_OK) {
      throw new CtapTransportError('nfc_select_failed', `SELECT of the FIDO AID refused on ${channel.readerName}: SW=${swHex(r.sw)}`, { sw: r.sw });
    }
    const version = r.data.toString('latin1');
    if (!/^(FIDO_2_0|U2F_V2|FIDO_2_1[A-Z_]*)$/.test(version)) {
      throw new CtapTransportError('nfc_select_failed', `FIDO applet answered an unknown version ${JSON.stringify(version.slice(0, 32))}`, { sw: r.sw });
    }
    return new CtapNfcTransport(channel, version, opts);
  }

  cbor(request: Buffer, opts: CtapRequestOptions = {}): Promise<Buffer> {
    const run = this.queue.then(() => this.exchange(request, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opts.onClose?.();
  }

  private async exchange(request: Buffer, opts: CtapRequestOptions): Promise<Buffer> {
    if (this.closed) throw new CtapTransportError('closed', `${this.uri} closed`);
    if (this.broken) throw new CtapTransportError(this.broken.code, this.broken.message, { cause: this.broken });
    if (request.length === 0) throw new RangeError('empty CTAP2 request');
    if (request.length > MAX_NFC_REQUEST) {
      throw new CtapTransportError('message_too_long', `CTAP message of ${request.length} bytes exceeds ${MAX_NFC_REQUEST}`);
    }
    if (opts.signal?.aborted) throw new CtapTransportError('cancelled', 'request cancelled before it was sent');
    const deadline = Date.now() + (opts.timeoutMs ?? this.opts.defaultTimeoutMs ?? 30_000);
    try {
      if (this.reselect) {
        // The previous request was abandoned mid-operation: selecting the applet again ends it.
        const r = await this.transmit(selectApdu(), opts.signal, deadline);
        if (r.sw !== SW_OK) throw new CtapTransportError('nfc_select_failed', `SELECT of the FIDO AID refused on re-selection: SW=${swHex(r.sw)}`, { sw: r.sw });
        this.reselect = false;
      }
      return await this.run(request, opts, deadline);
    } catch (e) {
      if (e instanceof CtapTransportError && (e.code === 'cancelled' || e.code === 'timeout')) this.reselect = true;
      throw e;
    }
  }

  private async run(request: Buffer, opts: CtapRequestOptions, deadline: number): Promise<Buffer> {
    let r = await this.sendMessage(request, opts.signal, deadline);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      if (r.sw === SW_STATUS_UPDATE) {
        const status = keepaliveStatus(r.data[0]);
        if (status) opts.onKeepalive?.(status);
        if (this.opts.pollIntervalMs) await this.pause(this.opts.pollIntervalMs, opts.signal, deadline);
        r = await this.transmit(Buffer.from([CLA_CTAP, INS_NFCCTAP_GETRESPONSE, 0x00, 0x00, ...this.le()]), opts.signal, deadline);
        continue;
      }
      if (r.sw === SW_OK || (r.sw & 0xff00) === 0x6100) {
        total += r.data.length;
        if (total > MAX_NFC_RESPONSE) throw this.fail(new CtapTransportError('invalid_frame', `answer longer than ${MAX_NFC_RESPONSE} bytes`));
        parts.push(r.data);
        if (r.sw === SW_OK) break;
        r = await this.transmit(Buffer.from([0x00, 0xc0, 0x00, 0x00, r.sw & 0xff]), opts.signal, deadline);
        continue;
      }
      throw new CtapTransportError('nfc_status', `CTAP APDU answered SW=${swHex(r.sw)}`, { sw: r.sw });
    }
    const answer = Buffer.concat(parts);
    if (answer.length === 0) throw new CtapTransportError('invalid_frame', 'empty CTAP answer (no status byte)');
    return answer;
  }

  private le(): number[] {
    return this.opts.extendedLength ? [0x00, 0x00, 0x00] : [0x00];
  }

  private async sendMessage(request: Buffer, signal: AbortSignal | undefined, deadline: number): Promise<Response> {
    const header = [INS_NFCCTAP_MSG, P1_GETRESPONSE_SUPPORTED, 0x00];
    if (this.opts.extendedLength) {
      const apdu = Buffer.concat([
        Buffer.from([CLA_CTAP, ...header, 0x00, request.length >> 8, request.length & 0xff]),
        request,
        Buffer.from([0x00, 0x00]),
      ]);
      return this.transmit(apdu, signal, deadline);
    }
    for (let offset = 0; ; offset += SHORT_BLOCK) {
      const block = request.subarray(offset, offset + SHORT_BLOCK);
      const last = offset + SHORT_BLOCK >= request.length;
      const apdu = Buffer.concat([
        Buffer.from([last ? CLA_CTAP : CLA_CTAP_CHAINED, ...header, block.length]),
        block,
        Buffer.from(last ? [0x00] : []),
      ]);
      const r = await this.transmit(apdu, signal, deadline);
      if (last) return r;
      if (r.sw !== SW_OK) throw new CtapTransportError('nfc_status', `chained CTAP block refused: SW=${swHex(r.sw)}`, { sw: r.sw });
    }
  }

  /** One APDU, raced against the caller's abort and the time budget. */
  private async transmit(apdu: Buffer, signal: AbortSignal | undefined, deadline: number): Promise<Response> {
    if (signal?.aborted) throw new CtapTransportError('cancelled', 'request cancelled by the caller');
    const left = deadline - Date.now();
    if (left <= 0) throw new CtapTransportError('timeout', `no answer from ${this.uri} within the time budget`);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new CtapTransportError('timeout', `no answer from ${this.uri} within the time budget`)), left);
      onAbort = () => reject(new CtapTransportError('cancelled', 'request cancelled by the caller'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const sent = this.channel.transmit(apdu).then(splitResponse, (e: unknown) => {
      throw toTransportError(e, 'CTAP APDU');
    });
    try {
      return await Promise.race([sent, stop]);
    } catch (e) {
      const err = toTransportError(e, 'CTAP APDU');
      // An APDU still in flight leaves the card mid-command: this connection cannot be reused.
      if (err.code === 'timeout' || err.code === 'cancelled') {
        // The APDU stays in flight; the channel serialises commands, so the re-selection that
        // starts the next request waits for (or times out on) its answer.
        sent.catch(() => undefined);
      } else if (err.code === 'device_removed') {
        this.fail(err);
      }
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private pause(ms: number, signal: AbortSignal | undefined, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new CtapTransportError('cancelled', 'request cancelled by the caller'));
      const wait = Math.min(ms, Math.max(0, deadline - Date.now()));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new CtapTransportError('cancelled', 'request cancelled by the caller'));
      };
      const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, wait);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private fail(e: CtapTransportError): CtapTransportError {
    this.broken ??= e;
    return e;
  }
}

function selectApdu(): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0xa4, 0x04, 0x00, FIDO_AID.length]), FIDO_AID, Buffer.from([0x00])]);
}

function splitResponse(raw: Buffer): Response {
  if (raw.length < 2) throw new CtapTransportError('invalid_frame', `response APDU of ${raw.length} bytes (no status word)`);
  return { data: raw.subarray(0, raw.length - 2), sw: raw.readUInt16BE(raw.length - 2) };
}

function keepaliveStatus(byte: number | undefined): CtapKeepaliveStatus | undefined {
  if (byte === 0x01) return 'processing';
  if (byte === 0x02) return 'user-presence-needed';
  return undefined;
}
