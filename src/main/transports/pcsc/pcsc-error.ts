import { TesseraError } from '../../errors.js';

/** Stable codes of the PC/SC transport. */
export type PcscErrorCode =
  | 'daemon_unavailable'
  | 'reader_unavailable'
  | 'reader_busy'
  | 'no_card'
  | 'card_removed'
  | 'card_reset'
  | 'card_unresponsive'
  | 'timeout'
  | 'cancelled'
  | 'transmit_failed'
  | 'not_connected';

export class PcscError extends TesseraError<PcscErrorCode> {
  readonly layer = 'transport' as const;
  constructor(code: PcscErrorCode, message: string, readonly scardCode?: number, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** pcsc-lite return codes (winscard.h / pcsclite.h) that the transport tells apart. */
export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  F_COMM_ERROR: 0x80100013,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

const CODE_MAP: ReadonlyMap<number, PcscErrorCode> = new Map<number, PcscErrorCode>([
  [SCARD.E_CANCELLED, 'cancelled'],
  [SCARD.E_UNKNOWN_READER, 'reader_unavailable'],
  [SCARD.E_READER_UNAVAILABLE, 'reader_unavailable'],
  [SCARD.E_NO_READERS_AVAILABLE, 'reader_unavailable'],
  [SCARD.E_TIMEOUT, 'timeout'],
  [SCARD.E_SHARING_VIOLATION, 'reader_busy'],
  [SCARD.E_NO_SMARTCARD, 'no_card'],
  [SCARD.W_REMOVED_CARD, 'card_removed'],
  [SCARD.W_RESET_CARD, 'card_reset'],
  [SCARD.W_UNRESPONSIVE_CARD, 'card_unresponsive'],
  [SCARD.W_UNPOWERED_CARD, 'card_unresponsive'],
  [SCARD.F_COMM_ERROR, 'daemon_unavailable'],
  [SCARD.E_NO_SERVICE, 'daemon_unavailable'],
  [SCARD.E_SERVICE_STOPPED, 'daemon_unavailable'],
  [SCARD.E_NOT_TRANSACTED, 'transmit_failed'],
]);

/** The addon reports failures as `Error("SCardX error: text.(0x8010xxxx)")`. */
export function scardCodeOf(e: unknown): number | undefined {
  const text = e instanceof Error ? e.message : String(e);
  const m = /\(0x([0-9a-fA-F]{8})\)/.exec(text);
  return m?.[1] ? Number.parseInt(m[1], 16) : undefined;
}

/** Translate an addon error into the transport's error family (the only place this is done). */
export function toPcscError(e: unknown, context: string): PcscError {
  if (e instanceof PcscError) return e;
  const scard = scardCodeOf(e);
  const code = (scard !== undefined ? CODE_MAP.get(scard) : undefined) ?? 'transmit_failed';
  const detail = e instanceof Error ? e.message : String(e);
  return new PcscError(code, `${context}: ${detail}`, scard, { cause: e });
}
