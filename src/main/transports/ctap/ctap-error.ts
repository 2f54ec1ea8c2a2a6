/**
 * The error family of the CTAP transports (CTAPHID over USB HID or UDP, CTAP over PC/SC).
 *
 * These say what went wrong carrying a message, never what the authenticator thought of it: a
 * CTAP2 status byte (wrong PIN, operation denied...) is part of a successful answer and belongs
 * to the protocol layer. The FIDO2 means maps these codes to what a person reads.
 */
import { TesseraError } from '../../errors.js';

export type CtapTransportErrorCode =
  /** No authenticator at that URI (no such HID path, no card in the reader, nothing on UDP). */
  | 'device_not_found'
  /** The key was unplugged or lifted off the reader during an operation. */
  | 'device_removed'
  /** The request's time budget ran out. */
  | 'timeout'
  /** The caller aborted the request (CTAPHID_CANCEL was sent where the transport has one). */
  | 'cancelled'
  /** The device stayed busy with another channel after every retry. */
  | 'channel_busy'
  /** A report or APDU that does not follow the framing (bad sequence, bad length, truncated). */
  | 'invalid_frame'
  /** The device answered on, or refused, our channel (ERR_INVALID_CHANNEL, INIT failure). */
  | 'invalid_channel'
  /** A message longer than the transport can carry (7609 bytes for CTAPHID). */
  | 'message_too_long'
  /** The device answered CTAPHID_ERROR with another code (see `hidError`). */
  | 'ctaphid_error'
  /** The card did not accept SELECT of the FIDO AID: not a FIDO authenticator. */
  | 'nfc_select_failed'
  /** The card answered a CTAP APDU with an unexpected status word (see `sw`). */
  | 'nfc_status'
  /** The device does not implement this command (e.g. CTAPHID_WINK without the capability). */
  | 'not_supported'
  /** The transport was used after close(). */
  | 'closed'
  /** A device URI that cannot be parsed. */
  | 'invalid_uri'
  /** Operating-system level failure to open, read or write the device. */
  | 'io_error';

export interface CtapTransportErrorDetails {
  /** CTAPHID_ERROR code (CTAP 2.1 §11.2.9.1.6) when the device sent one. */
  readonly hidError?: number;
  /** ISO 7816 status word when a card sent one. */
  readonly sw?: number;
  readonly cause?: unknown;
}

/** CTAPHID_ERROR codes, verbatim from CTAP 2.1 §11.2.9.1.6. */
export const CTAPHID_ERR = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;

const HID_ERROR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(CTAPHID_ERR).map(([name, code]) => [code, `ERR_${name}`]),
);

/** `ERR_INVALID_SEQ` for 0x04; `ERR_0x42` for codes the spec does not name. */
export function hidErrorName(code: number): string {
  return HID_ERROR_NAMES[code] ?? `ERR_0x${code.toString(16).padStart(2, '0')}`;
}

export class CtapTransportError extends TesseraError<CtapTransportErrorCode> {
  readonly layer = 'transport' as const;
  readonly hidError: number | undefined;
  readonly sw: number | undefined;

  constructor(code: CtapTransportErrorCode, message: string, details: CtapTransportErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.hidError = details.hidError;
    this.sw = details.sw;
  }
}

export function isCtapTransportError(e: unknown): e is CtapTransportError {
  return e instanceof CtapTransportError;
}

/** Maps a CTAPHID_ERROR frame to the transport error that says it best. */
export function fromHidError(code: number, context: string): CtapTransportError {
  const name = hidErrorName(code);
  const message = `${context}: device answered CTAPHID_ERROR ${name}`;
  switch (code) {
    case CTAPHID_ERR.CHANNEL_BUSY:
      return new CtapTransportError('channel_busy', message, { hidError: code });
    case CTAPHID_ERR.INVALID_CHANNEL:
      return new CtapTransportError('invalid_channel', message, { hidError: code });
    case CTAPHID_ERR.MSG_TIMEOUT:
      return new CtapTransportError('timeout', message, { hidError: code });
    case CTAPHID_ERR.INVALID_CMD:
      return new CtapTransportError('not_supported', message, { hidError: code });
    default:
      return new CtapTransportError('ctaphid_error', message, { hidError: code });
  }
}
