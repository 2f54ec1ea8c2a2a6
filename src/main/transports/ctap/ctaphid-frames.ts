/**
 * CTAPHID packet framing (CTAP 2.1 §11.2.4), pure: no I/O, no timers.
 *
 * A message travels as one initialisation packet (CID 4 | CMD 1 with bit 7 set | BCNT 2 | 57 data
 * bytes) followed by continuation packets (CID 4 | SEQ 1, 0..127 | 59 data bytes), each one
 * 64-byte HID report. The largest message is therefore 57 + 128 × 59 = 7609 bytes.
 */
import { CtapTransportError } from './ctap-error.js';

export const HID_REPORT_SIZE = 64;
export const INIT_HEADER_SIZE = 7;
export const CONT_HEADER_SIZE = 5;
export const INIT_PAYLOAD_SIZE = HID_REPORT_SIZE - INIT_HEADER_SIZE; // 57
export const CONT_PAYLOAD_SIZE = HID_REPORT_SIZE - CONT_HEADER_SIZE; // 59
export const MAX_SEQ = 0x7f;
export const MAX_MESSAGE_SIZE = INIT_PAYLOAD_SIZE + (MAX_SEQ + 1) * CONT_PAYLOAD_SIZE; // 7609
export const BROADCAST_CID = 0xffffffff;

/** CTAPHID commands (CTAP 2.1 §11.2.9), without the TYPE_INIT bit 0x80. */
export const CTAPHID_CMD = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

/** CTAPHID_INIT capability flags (CTAP 2.1 §11.2.9.1.3). */
export const CAPABILITY = { WINK: 0x01, CBOR: 0x04, NMSG: 0x08 } as const;

/** CTAPHID_KEEPALIVE status bytes (CTAP 2.1 §11.2.9.2.1). */
export const KEEPALIVE_STATUS = { PROCESSING: 0x01, UPNEEDED: 0x02 } as const;

export type HidPacket =
  | { readonly kind: 'init'; readonly cid: number; readonly cmd: number; readonly bcnt: number; readonly data: Buffer }
  | { readonly kind: 'cont'; readonly cid: number; readonly seq: number; readonly data: Buffer };

function frameError(message: string): CtapTransportError {
  return new CtapTransportError('invalid_frame', message);
}

/** Splits one message into 64-byte reports (zero-padded). Rejects messages over 7609 bytes. */
export function encodeMessage(cid: number, cmd: number, data: Buffer): Buffer[] {
  if (!Number.isInteger(cid) || cid < 0 || cid > 0xffffffff) throw new RangeError(`invalid channel id ${cid}`);
  if (!Number.isInteger(cmd) || cmd < 0 || cmd > 0x7f) throw new RangeError(`invalid CTAPHID command ${cmd}`);
  if (data.length > MAX_MESSAGE_SIZE) {
    throw new CtapTransportError('message_too_long', `CTAPHID message of ${data.length} bytes exceeds ${MAX_MESSAGE_SIZE}`);
  }
  const reports: Buffer[] = [];
  const first = Buffer.alloc(HID_REPORT_SIZE);
  first.writeUInt32BE(cid, 0);
  first[4] = 0x80 | cmd;
  first.writeUInt16BE(data.length, 5);
  data.copy(first, INIT_HEADER_SIZE, 0, Math.min(INIT_PAYLOAD_SIZE, data.length));
  reports.push(first);
  let offset = INIT_PAYLOAD_SIZE;
  for (let seq = 0; offset < data.length; seq++) {
    const cont = Buffer.alloc(HID_REPORT_SIZE);
    cont.writeUInt32BE(cid, 0);
    cont[4] = seq;
    data.copy(cont, CONT_HEADER_SIZE, offset, Math.min(offset + CONT_PAYLOAD_SIZE, data.length));
    reports.push(cont);
    offset += CONT_PAYLOAD_SIZE;
  }
  return reports;
}

/** Reads the header of one 64-byte report. `data` is the whole payload area (padding included). */
export function parsePacket(report: Buffer): HidPacket {
  if (report.length !== HID_REPORT_SIZE) throw frameError(`HID report of ${report.length} bytes, expected ${HID_REPORT_SIZE}`);
  const cid = report.readUInt32BE(0);
  const b4 = report[4] ?? 0;
  if (b4 & 0x80) {
    return { kind: 'init', cid, cmd: b4 & 0x7f, bcnt: report.readUInt16BE(5), data: report.subarray(INIT_HEADER_SIZE) };
  }
  return { kind: 'cont', cid, seq: b4, data: report.subarray(CONT_HEADER_SIZE) };
}

export type AssembleResult =
  /** The report belongs to another channel: not ours to read (CTAP 2.1 §11.2.5). */
  | { readonly kind: 'other_channel'; readonly cid: number }
  /** A continuation packet with no message in progress: ignored. */
  | { readonly kind: 'spurious' }
  | { readonly kind: 'partial' }
  | { readonly kind: 'message'; readonly cmd: number; readonly data: Buffer };

/**
 * Reassembles the messages of one channel from its reports. Out-of-order or duplicate sequence
 * numbers, a new initialisation packet in the middle of a message and announced lengths over
 * 7609 bytes are framing errors (`invalid_frame`, `message_too_long`); after one, the assembler
 * is reset and ready for the next message.
 */
export class MessageAssembler {
  private cmd = 0;
  private total = 0;
  private received = 0;
  private nextSeq = 0;
  private chunks: Buffer[] = [];
  private active = false;

  constructor(readonly cid: number) {}

  get inProgress(): boolean {
    return this.active;
  }

  reset(): void {
    this.active = false;
    this.chunks = [];
    this.received = 0;
    this.total = 0;
    this.nextSeq = 0;
  }

  push(report: Buffer): AssembleResult {
    const packet = parsePacket(report);
    if (packet.cid !== this.cid) return { kind: 'other_channel', cid: packet.cid };
    if (packet.kind === 'init') {
      if (this.active) {
        this.reset();
        throw frameError(`initialisation packet (command 0x${packet.cmd.toString(16)}) in the middle of a message`);
      }
      if (packet.bcnt > MAX_MESSAGE_SIZE) {
        throw new CtapTransportError('message_too_long', `device announced a ${packet.bcnt}-byte message, over ${MAX_MESSAGE_SIZE}`);
      }
      const take = Math.min(packet.bcnt, INIT_PAYLOAD_SIZE);
      if (take === packet.bcnt) return { kind: 'message', cmd: packet.cmd, data: Buffer.from(packet.data.subarray(0, take)) };
      this.active = true;
      this.cmd = packet.cmd;
      this.total = packet.bcnt;
      this.chunks = [Buffer.from(packet.data.subarray(0, take))];
      this.received = take;
      this.nextSeq = 0;
      return { kind: 'partial' };
    }
    if (!this.active) return { kind: 'spurious' };
    if (packet.seq !== this.nextSeq) {
      const expected = this.nextSeq;
      this.reset();
      throw frameError(`continuation packet with sequence ${packet.seq}, expected ${expected}`);
    }
    const take = Math.min(CONT_PAYLOAD_SIZE, this.total - this.received);
    this.chunks.push(Buffer.from(packet.data.subarray(0, take)));
    this.received += take;
    this.nextSeq++;
    if (this.received < this.total) return { kind: 'partial' };
    const message = { kind: 'message' as const, cmd: this.cmd, data: Buffer.concat(this.chunks) };
    for (const chunk of this.chunks) chunk.fill(0);
    this.reset();
    return message;
  }
}

/** The payload of a CTAPHID_INIT response (CTAP 2.1 §11.2.9.1.3). */
export interface InitResponse {
  readonly nonce: Buffer;
  readonly cid: number;
  readonly protocolVersion: number;
  readonly deviceVersion: readonly [number, number, number];
  readonly capabilities: number;
}

export function encodeInitRequest(nonce: Buffer): Buffer[] {
  if (nonce.length !== 8) throw new RangeError('CTAPHID_INIT nonce must be 8 bytes');
  return encodeMessage(BROADCAST_CID, CTAPHID_CMD.INIT, nonce);
}

export function parseInitResponse(data: Buffer): InitResponse {
  if (data.length < 17) throw frameError(`CTAPHID_INIT response of ${data.length} bytes, expected 17`);
  return {
    nonce: Buffer.from(data.subarray(0, 8)),
    cid: data.readUInt32BE(8),
    protocolVersion: data[12] ?? 0,
    deviceVersion: [data[13] ?? 0, data[14] ?? 0, data[15] ?? 0],
    capabilities: data[16] ?? 0,
  };
}
