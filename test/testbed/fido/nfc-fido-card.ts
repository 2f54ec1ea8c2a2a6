/**
 * A FIDO2 authenticator as a contactless card in a vpcd reader: CTAP over ISO 7816-4 APDUs per
 * the CTAP 2.1 NFC binding (§11.3).
 *
 * - SELECT of the FIDO AID `A0000006472F0001` answers the version string `FIDO_2_0`.
 * - NFCCTAP_MSG (`80 10 P1 00`) carries one CTAP message (command byte + CBOR). Long requests
 *   arrive either in one extended-length APDU or in a chain of short APDUs with CLA `90` for every
 *   block but the last (each answered `9000`).
 * - The answer (status byte + CBOR) goes back in one response when the command's Ne allows it,
 *   otherwise in blocks with `61xx` and ISO GET RESPONSE (`00 C0 00 00 Le`).
 * - When P1 has bit `0x80` (the client supports NFCCTAP_GETRESPONSE) and the handler does not
 *   answer within the poll window, the card answers `9100` with one status byte (01 processing,
 *   02 user presence needed); the client then polls with NFCCTAP_GETRESPONSE (`80 11 00 00`).
 * - Power-off or reset aborts a running handler (its signal), as lifting the key off the reader does.
 */
import type { VirtualCard } from '../virtual-card.js';
import type { CtapCborHandler } from './ctaphid-device.js';

export const FIDO_AID = Buffer.from('A0000006472F0001', 'hex');
export const FIDO_VERSION = Buffer.from('FIDO_2_0', 'ascii');

const SW_OK = 0x9000;
const SW_STATUS_UPDATE = 0x9100;
const SW_WRONG_LENGTH = 0x6700;
const SW_CONDITIONS = 0x6985;
const SW_FILE_NOT_FOUND = 0x6a82;
const SW_WRONG_P1P2 = 0x6a86;
const SW_INS_NOT_SUPPORTED = 0x6d00;
const SW_CLA_NOT_SUPPORTED = 0x6e00;
const SW_MEMORY = 0x6a84;
const CTAP1_ERR_OTHER = 0x7f;
const CTAP2_ERR_KEEPALIVE_CANCEL = 0x2d;
/** Largest CTAP message the card accepts in one request (a chain included). */
const MAX_REQUEST = 7609;

export interface NfcFidoCardOptions {
  handler: CtapCborHandler;
  /** Accept extended-length APDUs (default true). Without it, long messages need chaining. */
  extendedLength?: boolean;
  /** How long the card waits for the handler before answering a `9100` status update (default 100 ms). */
  pollWindowMs?: number;
  /** ATR to present (default: a PC/SC contactless-style ATR). */
  atr?: Buffer;
}

interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Buffer;
  /** Expected response length; 0 when absent. */
  ne: number;
  extended: boolean;
}

interface Running {
  abort: AbortController;
  status: number;
  done: boolean;
  result: Buffer | undefined;
  settled: Promise<void>;
}

/** ISO 7816-4 §5.1 command APDU cases 1, 2S/2E, 3S/3E, 4S/4E; undefined when inconsistent. */
function parseCommand(apdu: Buffer): Command | undefined {
  if (apdu.length < 4) return undefined;
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = apdu;
  const base = { cla, ins, p1, p2 };
  if (apdu.length === 4) return { ...base, data: Buffer.alloc(0), ne: 0, extended: false };
  const b4 = apdu[4] ?? 0;
  if (apdu.length === 5) return { ...base, data: Buffer.alloc(0), ne: b4 === 0 ? 256 : b4, extended: false };
  if (b4 !== 0) {
    if (apdu.length === 5 + b4) return { ...base, data: apdu.subarray(5), ne: 0, extended: false };
    if (apdu.length === 6 + b4) {
      const le = apdu[5 + b4] ?? 0;
      return { ...base, data: apdu.subarray(5, 5 + b4), ne: le === 0 ? 256 : le, extended: false };
    }
    return undefined;
  }
  // Extended length: 00 followed by two bytes.
  if (apdu.length < 7) return undefined;
  const n = apdu.readUInt16BE(5);
  if (apdu.length === 7) return { ...base, data: Buffer.alloc(0), ne: n === 0 ? 65536 : n, extended: true };
  if (n === 0) return undefined;
  if (apdu.length === 7 + n) return { ...base, data: apdu.subarray(7), ne: 0, extended: true };
  if (apdu.length === 9 + n) {
    const le = apdu.readUInt16BE(7 + n);
    return { ...base, data: apdu.subarray(7, 7 + n), ne: le === 0 ? 65536 : le, extended: true };
  }
  return undefined;
}

function sw(code: number, data?: Buffer): Buffer {
  const out = Buffer.alloc((data?.length ?? 0) + 2);
  data?.copy(out, 0);
  out.writeUInt16BE(code, out.length - 2);
  return out;
}

export class NfcFidoCard implements VirtualCard {
  readonly atr: Buffer;
  private selected = false;
  private chain: Buffer[] = [];
  private chainLength = 0;
  private pending: Buffer | undefined;
  private running: Running | undefined;
  /** Every command APDU received, for tests that check the host's framing. */
  readonly log: Buffer[] = [];

  constructor(private readonly opts: NfcFidoCardOptions) {
    this.atr = opts.atr ?? Buffer.from('3B8F8001804F0CA0000003060300030000000068', 'hex');
  }

  powerOn(): void {
    this.clear();
  }

  powerOff(): void {
    this.clear();
  }

  reset(): void {
    this.clear();
  }

  private clear(): void {
    this.selected = false;
    this.chain = [];
    this.chainLength = 0;
    this.pending = undefined;
    if (this.running) {
      this.running.abort.abort();
      this.running = undefined;
    }
  }

  processApdu(apdu: Buffer): Buffer | Promise<Buffer> {
    this.log.push(Buffer.from(apdu));
    const cmd = parseCommand(apdu);
    if (!cmd) return sw(SW_WRONG_LENGTH);
    if (cmd.extended && this.opts.extendedLength === false) return sw(SW_WRONG_LENGTH);
    if (cmd.cla === 0x00 && cmd.ins === 0xa4) return this.select(cmd);
    if (cmd.cla === 0x00 && cmd.ins === 0xc0) return this.getResponse(cmd);
    if (cmd.cla !== 0x80 && cmd.cla !== 0x90) return sw(cmd.cla === 0x00 ? SW_INS_NOT_SUPPORTED : SW_CLA_NOT_SUPPORTED);
    if (!this.selected) return sw(SW_CONDITIONS);
    if (cmd.ins === 0x10) return this.ctapMsg(cmd);
    if (cmd.ins === 0x11 && cmd.cla === 0x80) return this.ctapGetResponse(cmd);
    return sw(SW_INS_NOT_SUPPORTED);
  }

  private select(cmd: Command): Buffer {
    if (cmd.p1 !== 0x04) return sw(SW_WRONG_P1P2);
    this.clear();
    if (!cmd.data.equals(FIDO_AID)) return sw(SW_FILE_NOT_FOUND);
    this.selected = true;
    return sw(SW_OK, FIDO_VERSION);
  }

  private getResponse(cmd: Command): Buffer {
    if (!this.pending) return sw(SW_CONDITIONS);
    return this.deliver(this.pending, cmd.ne || 256);
  }

  /** Sends `data` within `ne` bytes, keeping the rest for GET RESPONSE. */
  private deliver(data: Buffer, ne: number): Buffer {
    if (data.length <= ne) {
      this.pending = undefined;
      return sw(SW_OK, data);
    }
    const rest = data.subarray(ne);
    this.pending = rest;
    return sw(0x6100 | (rest.length >= 256 ? 0 : rest.length), data.subarray(0, ne));
  }

  private ctapMsg(cmd: Command): Buffer | Promise<Buffer> {
    if (this.running) return sw(SW_CONDITIONS);
    this.pending = undefined;
    if (this.chainLength + cmd.data.length > MAX_REQUEST) {
      this.chain = [];
      this.chainLength = 0;
      return sw(SW_MEMORY);
    }
    this.chain.push(Buffer.from(cmd.data));
    this.chainLength += cmd.data.length;
    if (cmd.cla === 0x90) return sw(SW_OK);
    const request = Buffer.concat(this.chain);
    this.chain = [];
    this.chainLength = 0;
    if (request.length === 0) return sw(SW_WRONG_LENGTH);
    const running = this.start(request);
    const ne = cmd.ne || 256;
    if (cmd.p1 & 0x80) return this.answerOrStatus(running, ne);
    return running.settled.then(() => this.finish(running, ne));
  }

  private ctapGetResponse(cmd: Command): Buffer | Promise<Buffer> {
    const running = this.running;
    if (!running) return sw(SW_CONDITIONS);
    return this.answerOrStatus(running, cmd.ne || 256);
  }

  private start(request: Buffer): Running {
    const abort = new AbortController();
    const running: Running = { abort, status: 0x01, done: false, result: undefined, settled: Promise.resolve() };
    const ctx = {
      keepalive: (status: 'processing' | 'user-presence-needed'): void => {
        running.status = status === 'processing' ? 0x01 : 0x02;
      },
      signal: abort.signal,
    };
    let answer: Promise<Buffer>;
    try {
      answer = this.opts.handler(request, ctx);
    } catch (e) {
      answer = Promise.reject(e);
    }
    running.settled = answer.then(
      (r) => {
        running.result = r.length > 0 ? r : Buffer.from([CTAP1_ERR_OTHER]);
        running.done = true;
      },
      () => {
        running.result = Buffer.from([abort.signal.aborted ? CTAP2_ERR_KEEPALIVE_CANCEL : CTAP1_ERR_OTHER]);
        running.done = true;
      },
    );
    this.running = running;
    return running;
  }

  private async answerOrStatus(running: Running, ne: number): Promise<Buffer> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      running.settled,
      new Promise<void>((resolve) => { timer = setTimeout(resolve, this.opts.pollWindowMs ?? 100); }),
    ]);
    clearTimeout(timer);
    if (this.running !== running) return sw(SW_CONDITIONS); // reset meanwhile
    if (!running.done) return sw(SW_STATUS_UPDATE, Buffer.from([running.status]));
    return this.finish(running, ne);
  }

  private finish(running: Running, ne: number): Buffer {
    if (this.running !== running) return sw(SW_CONDITIONS);
    this.running = undefined;
    return this.deliver(running.result ?? Buffer.from([CTAP1_ERR_OTHER]), ne);
  }
}
