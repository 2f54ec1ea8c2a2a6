/**
 * Command APDUs (ISO/IEC 7816-4, 5.1): header CLA INS P1 P2, then an optional Lc field with
 * the command data field, then an optional Le field.
 *
 * Four cases, by presence of data (Nc > 0) and of an expected length (Ne > 0):
 *   case 1  header
 *   case 2  header Le
 *   case 3  header Lc data
 *   case 4  header Lc data Le
 * Short fields: Lc is one byte (Nc 1..255), Le is one byte (Ne 1..256, 256 written 00).
 * Extended fields: Lc is 00 followed by two bytes (Nc 1..65535); Le is two bytes (Ne 1..65536,
 * 65536 written 00 00), preceded by 00 when there is no Lc field. Short and extended fields are
 * never mixed in one APDU.
 */
import { ApduEncodingError } from './iso7816-error.js';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data field; absent or empty means no Lc field (Nc = 0). */
  readonly data?: Buffer;
  /** Ne, the maximum number of response bytes expected (1..65536); absent means no Le field. */
  readonly le?: number;
}

/** `auto`: extended fields only when Nc or Ne does not fit short ones. */
export type ExtendedMode = 'auto' | 'never' | 'always';

export interface EncodeCommandOptions {
  readonly extended?: ExtendedMode;
}

export const MAX_SHORT_NC = 255;
export const MAX_SHORT_NE = 256;
export const MAX_EXTENDED_NC = 65535;
export const MAX_EXTENDED_NE = 65536;

function checkByte(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ApduEncodingError(`${field} must be a byte (0..255), got ${String(value)}`);
  }
}

/** True when the command needs extended length fields. Validates Nc and Ne. */
function needsExtended(nc: number, ne: number | undefined): boolean {
  if (nc > MAX_EXTENDED_NC) {
    throw new ApduEncodingError(`command data of ${nc} bytes exceeds the extended Lc limit of ${MAX_EXTENDED_NC}`);
  }
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > MAX_EXTENDED_NE)) {
    throw new ApduEncodingError(
      `le must be an integer in 1..${MAX_EXTENDED_NE} (256 or 65536 for "all available"), got ${String(ne)}`,
    );
  }
  return nc > MAX_SHORT_NC || (ne !== undefined && ne > MAX_SHORT_NE);
}

/**
 * Bytes of a command APDU. Throws `ApduEncodingError` (code `apdu_encoding`) for a header byte
 * outside 0..255, Nc or Ne beyond their limits, or extended fields needed under `extended: 'never'`.
 * The result is a new buffer holding a copy of `cmd.data`: wipe it after use when it carries a secret.
 */
export function encodeCommandApdu(cmd: CommandApdu, opts: EncodeCommandOptions = {}): Buffer {
  const mode: ExtendedMode = opts.extended ?? 'auto';
  checkByte('cla', cmd.cla);
  checkByte('ins', cmd.ins);
  checkByte('p1', cmd.p1);
  checkByte('p2', cmd.p2);
  const data = cmd.data ?? Buffer.alloc(0);
  if (!(data instanceof Uint8Array)) {
    throw new ApduEncodingError('data must be a Buffer', { ins: cmd.ins });
  }
  const nc = data.length;
  const ne = cmd.le;
  const needed = needsExtended(nc, ne);
  if (needed && mode === 'never') {
    throw new ApduEncodingError(
      `Nc=${nc}${ne === undefined ? '' : ` Ne=${ne}`} needs extended length fields, which are disabled`,
      { ins: cmd.ins },
    );
  }
  const extended = needed || mode === 'always';

  const header = [cmd.cla, cmd.ins, cmd.p1, cmd.p2];
  const lc: number[] = nc === 0 ? [] : extended ? [0x00, nc >> 8, nc & 0xff] : [nc];
  let le: number[] = [];
  if (ne !== undefined) {
    if (extended) {
      const wire = ne === MAX_EXTENDED_NE ? 0 : ne;
      le = nc === 0 ? [0x00, wire >> 8, wire & 0xff] : [wire >> 8, wire & 0xff];
    } else {
      le = [ne === MAX_SHORT_NE ? 0 : ne];
    }
  }

  const out = Buffer.alloc(header.length + lc.length + nc + le.length);
  let offset = 0;
  for (const b of header) offset = out.writeUInt8(b, offset);
  for (const b of lc) offset = out.writeUInt8(b, offset);
  out.set(data, offset);
  offset += nc;
  for (const b of le) offset = out.writeUInt8(b, offset);
  return out;
}
