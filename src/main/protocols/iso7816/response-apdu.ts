/**
 * Response APDUs (ISO/IEC 7816-4, 5.1): an optional response data field followed by the two
 * status bytes SW1 SW2.
 */
import { Iso7816Error } from './iso7816-error.js';
import { SW } from './status-words.js';

export interface ResponseApdu {
  /** Response data field (a copy owned by this object; may be empty). */
  readonly data: Buffer;
  /** SW1 * 256 + SW2. */
  readonly sw: number;
  readonly sw1: number;
  readonly sw2: number;
  /** True when `sw` is 9000. */
  readonly ok: boolean;
}

/** A response from its parts; `data` is copied. */
export function createResponseApdu(data: Uint8Array, sw: number): ResponseApdu {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new RangeError(`status word must be in 0..0xFFFF, got ${String(sw)}`);
  }
  return { data: Buffer.from(data), sw, sw1: sw >> 8, sw2: sw & 0xff, ok: sw === SW.NO_ERROR };
}

/**
 * Split a raw response into data and status word. Throws `Iso7816Error('malformed_response')`
 * when fewer than two bytes were received. The data is copied, so `raw` may be wiped afterwards.
 */
export function parseResponseApdu(raw: Buffer): ResponseApdu {
  if (raw.length < 2) {
    throw new Iso7816Error(
      'malformed_response',
      `response of ${raw.length} byte${raw.length === 1 ? '' : 's'} has no status word (need at least 2)`,
    );
  }
  const end = raw.length;
  return createResponseApdu(raw.subarray(0, end - 2), raw.readUInt16BE(end - 2));
}
