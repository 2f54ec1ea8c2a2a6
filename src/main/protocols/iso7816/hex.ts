/**
 * Hexadecimal helpers for test vectors, logs and diagnostics.
 *
 * `fromHex` accepts the ways people write APDUs by hand: `00A4040007`, `00 A4 04 00 07`,
 * `00:a4:04:00:07`, with any mix of spaces, tabs, newlines and colons between digits.
 * Never pass secrets (PINs, keys) through `hex` into a log.
 */
import { Iso7816Error } from './iso7816-error.js';

/** Upper-case hexadecimal of `bytes`, pairs separated by `separator` (none by default). */
export function hex(bytes: Uint8Array, separator = ''): string {
  const parts: string[] = [];
  for (const b of bytes) parts.push(b.toString(16).toUpperCase().padStart(2, '0'));
  return parts.join(separator);
}

const SEPARATORS = /[\s:]+/;
const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/**
 * Bytes of a hexadecimal string. Spaces and colons may separate groups of digits; each group
 * must hold whole bytes (`"0 0A4"` is rejected rather than guessed). Throws `hex_malformed`.
 */
export function fromHex(text: string): Buffer {
  const groups = text.split(SEPARATORS).filter((g) => g.length > 0);
  for (const group of groups) {
    if (!HEX_DIGITS.test(group)) {
      throw new Iso7816Error('hex_malformed', 'hex string contains a character that is not a hex digit');
    }
    if (group.length % 2 !== 0) {
      throw new Iso7816Error('hex_malformed', `hex group of ${group.length} digits does not hold whole bytes`);
    }
  }
  return Buffer.from(groups.join(''), 'hex');
}
