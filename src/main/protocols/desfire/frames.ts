/**
 * ISO 7816-4 wrapping of native DESFire frames and 91AF chaining in both directions.
 *
 *   command: 90 <cmd> 00 00 [Lc <data>] 00        response: <data> 91 <status>
 *
 * A command whose data field exceeds one frame is sent as `cmd + first part`, then `AF + next
 * part` frames, each answered 91AF with no data. A response longer than a frame arrives as
 * `<part> 91AF`; the reader asks for the rest with `AF` frames. Both directions are bounded:
 * at most `maxFrames` frames and `maxResponseBytes` bytes, otherwise `chaining_limit`.
 */
import type { CardChannel } from '../../transports/card-channel.js';
import { CMD, DESFIRE_CLA, MAX_FRAME_DATA, STATUS } from './constants.js';
import { DesfireError } from './desfire-error.js';
import { statusError } from './status.js';

export interface FrameResponse {
  /** Full status word (0x91xx, or any other SW a non-DESFire answer carried). */
  readonly sw: number;
  readonly data: Buffer;
}

export interface ChainingLimits {
  /** Most frames exchanged for one command in either direction (default 256). */
  readonly maxFrames?: number;
  /** Most response bytes accepted for one command (default 16 KiB). */
  readonly maxResponseBytes?: number;
}

export const DEFAULT_MAX_FRAMES = 256;
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024;

/** `90 cmd 00 00 [Lc data] 00`. */
export function wrapNative(cmd: number, data: Buffer = Buffer.alloc(0)): Buffer {
  if (data.length > 255) throw new DesfireError('invalid_argument', `native frame data of ${data.length} bytes exceeds a short APDU`);
  if (data.length === 0) return Buffer.from([DESFIRE_CLA, cmd, 0x00, 0x00, 0x00]);
  return Buffer.concat([Buffer.from([DESFIRE_CLA, cmd, 0x00, 0x00, data.length]), data, Buffer.from([0x00])]);
}

/** Splits a raw response into data and status word; fewer than 2 bytes is `card_data_invalid`. */
export function parseFrameResponse(raw: Buffer, cmd: number): FrameResponse {
  if (raw.length < 2) {
    throw new DesfireError('card_data_invalid', `response to CMD=${cmd.toString(16)} shorter than a status word`, { cmd });
  }
  const sw = raw.readUInt16BE(raw.length - 2);
  return { sw, data: Buffer.from(raw.subarray(0, raw.length - 2)) };
}

/** One frame out, one frame in; no status check. */
export async function transceiveFrame(channel: CardChannel, cmd: number, data?: Buffer): Promise<FrameResponse> {
  const raw = await channel.transmit(wrapNative(cmd, data));
  return parseFrameResponse(raw, cmd);
}

const SW_OK = 0x9100;
const SW_AF = 0x9100 | STATUS.ADDITIONAL_FRAME;

/**
 * Sends `cmd` with `payload` (split into frames) and returns the whole response data, chained.
 * Throws the mapped `DesfireError` for any final status other than 9100.
 */
export async function exchangeNative(
  channel: CardChannel,
  cmd: number,
  payload: Buffer,
  limits: ChainingLimits = {},
): Promise<Buffer> {
  const maxFrames = limits.maxFrames ?? DEFAULT_MAX_FRAMES;
  const maxBytes = limits.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let frames = 0;
  // Command direction.
  let offset = Math.min(payload.length, MAX_FRAME_DATA);
  let resp = await transceiveFrame(channel, cmd, payload.subarray(0, offset));
  frames++;
  while (offset < payload.length) {
    if (resp.sw !== SW_AF) {
      if (resp.sw === SW_OK) {
        throw new DesfireError('card_data_invalid', `card ended CMD=${cmd.toString(16)} before all ${payload.length} command bytes were sent`, { cmd, sw: resp.sw });
      }
      throw statusError(resp.sw, cmd);
    }
    if (resp.data.length !== 0) {
      throw new DesfireError('card_data_invalid', 'card sent data while receiving a chained command', { cmd, sw: resp.sw });
    }
    if (frames >= maxFrames) throw new DesfireError('chaining_limit', `command chaining exceeded ${maxFrames} frames`, { cmd });
    const next = Math.min(payload.length, offset + MAX_FRAME_DATA);
    resp = await transceiveFrame(channel, CMD.ADDITIONAL_FRAME, payload.subarray(offset, next));
    frames++;
    offset = next;
  }
  // Response direction.
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    if (resp.sw !== SW_OK && resp.sw !== SW_AF) throw statusError(resp.sw, cmd);
    total += resp.data.length;
    if (total > maxBytes) throw new DesfireError('chaining_limit', `response to CMD=${cmd.toString(16)} exceeds ${maxBytes} bytes`, { cmd });
    parts.push(resp.data);
    if (resp.sw === SW_OK) return Buffer.concat(parts);
    if (frames >= maxFrames) throw new DesfireError('chaining_limit', `response chaining exceeded ${maxFrames} frames`, { cmd });
    resp = await transceiveFrame(channel, CMD.ADDITIONAL_FRAME);
    frames++;
  }
}
