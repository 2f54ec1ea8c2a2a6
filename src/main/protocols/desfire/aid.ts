/** Tessera writes AIDs as 3 bytes in wire order (LSB first, as SelectApplication sends them), e.g. "F51230". */
import { DesfireError } from './desfire-error.js';

export function aidFromHex(text: string): Buffer {
  if (!/^[0-9a-fA-F]{6}$/.test(text)) {
    throw new DesfireError('invalid_argument', `AID must be 6 hex digits, got ${JSON.stringify(text.slice(0, 16))}`);
  }
  return Buffer.from(text, 'hex');
}
