/**
 * The one error family of the ISO 7816-4 protocol layer.
 *
 * Every failure this folder raises on purpose is an `Iso7816Error` with a stable `code`.
 * Messages are for logs: they may carry a status word (`SW=6982`) and an instruction byte
 * (`INS=20`), never the data field of a command or a response, so a PIN sent by VERIFY can
 * never leak through an error. Transport failures from the `CardChannel` are not wrapped here:
 * they keep their own family and are translated once, above.
 */
import { TesseraError } from '../../errors.js';
import { describeStatusWord, formatStatusWord } from './status-words.js';

export type Iso7816ErrorCode =
  /** The card answered fewer than the two status bytes. */
  | 'malformed_response'
  /** The card answered with a status word the caller does not accept (see `expectOk`). */
  | 'status_word'
  /** The card kept answering `61xx` beyond the allowed number of GET RESPONSE commands. */
  | 'too_many_get_response'
  /** The card answered `6Cxx` again to a command already re-sent with the Le it asked for. */
  | 'wrong_le_repeated'
  /** A command APDU could not be encoded (field out of range, Lc/Le over their limits). */
  | 'apdu_encoding'
  /** A hexadecimal string could not be decoded. */
  | 'hex_malformed'
  /** BER-TLV input is not well formed (truncated tag or length, indefinite length, invalid tag, trailing bytes). */
  | 'tlv_malformed'
  /** BER-TLV constructed objects are nested deeper than allowed. */
  | 'tlv_too_deep'
  /** A BER-TLV tag or length is longer than supported, or a length overruns the available bytes. */
  | 'tlv_too_long'
  /** BER-TLV input holds more data objects than allowed. */
  | 'tlv_too_many_nodes'
  /** A BER-TLV object cannot be encoded (invalid tag number). */
  | 'tlv_encoding';

export interface Iso7816ErrorDetails {
  /** Status word returned by the card, when the error is about one. */
  readonly sw?: number;
  /** Instruction byte of the command the error is about. */
  readonly ins?: number;
  readonly cause?: unknown;
}

export class Iso7816Error extends TesseraError<Iso7816ErrorCode> {
  override readonly layer = 'protocol' as const;
  /** Status word returned by the card (set for `status_word`, `too_many_get_response`, `wrong_le_repeated`). */
  readonly sw: number | undefined;
  /** Instruction byte of the command concerned, when known. */
  readonly ins: number | undefined;

  constructor(code: Iso7816ErrorCode, message: string, details: Iso7816ErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.sw = details.sw;
    this.ins = details.ins;
  }

  /**
   * The error `expectOk` raises: the card refused command `ins` with `sw`.
   * Message shape: `INS=20 failed with SW=63C2 (sw.counter: ...)`.
   */
  static statusWord(sw: number, ins: number): Iso7816Error {
    const info = describeStatusWord(sw);
    return new Iso7816Error(
      'status_word',
      `INS=${formatByte(ins)} failed with ${formatStatusWord(sw)} (${info.code}: ${info.description})`,
      { sw, ins },
    );
  }
}

/**
 * A command APDU could not be encoded. Same family (`Iso7816Error`, code `apdu_encoding`);
 * the subclass only lets callers and tests match it with `instanceof`.
 */
export class ApduEncodingError extends Iso7816Error {
  constructor(message: string, details: Iso7816ErrorDetails = {}) {
    super('apdu_encoding', message, details);
  }
}

/** True when `e` is an `Iso7816Error`, and, if `code` is given, carries that code. */
export function isIso7816Error(e: unknown, code?: Iso7816ErrorCode): e is Iso7816Error {
  return e instanceof Iso7816Error && (code === undefined || e.code === code);
}

/** Two upper-case hexadecimal digits, for bytes in messages (`INS=A4`). */
export function formatByte(b: number): string {
  return (b & 0xff).toString(16).toUpperCase().padStart(2, '0');
}
