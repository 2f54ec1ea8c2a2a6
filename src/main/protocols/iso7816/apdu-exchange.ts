/**
 * One command/response exchange with a card, including the two transmission-level retries of
 * ISO/IEC 7816-4 (5.1.3):
 *   - `61xx`: the card holds xx more response bytes (00 means 256); they are fetched with
 *     GET RESPONSE (`CLA C0 00 00 xx`, same CLA as the command) and appended, as many times as
 *     the card asks, up to `maxGetResponse` commands;
 *   - `6Cxx`: the Le was wrong and xx (00 means 256) is the exact length; the same command is
 *     sent once more with that Le.
 * Any other status word ends the exchange and is returned, not thrown: callers decide what a
 * status word means for them, or call `expectOk`.
 */
import type { CardChannel } from '../../transports/card-channel.js';
import { encodeCommandApdu, type CommandApdu, type ExtendedMode } from './command-apdu.js';
import { Iso7816Error } from './iso7816-error.js';
import { createResponseApdu, parseResponseApdu, type ResponseApdu } from './response-apdu.js';
import { bytesAvailableFrom61xx, exactLengthFrom6Cxx, formatStatusWord } from './status-words.js';

export const INS_GET_RESPONSE = 0xc0;
export const DEFAULT_MAX_GET_RESPONSE = 32;

export interface ExchangeOptions {
  /** Most GET RESPONSE commands sent for one exchange (default 32); a card asking for more is refused. */
  readonly maxGetResponse?: number;
  /** Length field form for the command (default `auto`). GET RESPONSE always uses a short Le. */
  readonly extended?: ExtendedMode;
}

/** Encode, send, parse. The encoded command is wiped once sent (it may carry a PIN). */
async function transmitOnce(channel: CardChannel, cmd: CommandApdu, extended: ExtendedMode): Promise<ResponseApdu> {
  const apdu = encodeCommandApdu(cmd, { extended });
  try {
    const raw = await channel.transmit(apdu);
    return parseResponseApdu(raw);
  } finally {
    apdu.fill(0);
  }
}

/**
 * Send `cmd` and return the card's final response, with the data of all GET RESPONSE rounds
 * concatenated. Throws `too_many_get_response` (card chains past `maxGetResponse`),
 * `wrong_le_repeated` (second `6Cxx`), `malformed_response`, `apdu_encoding`; transport
 * errors pass through unchanged.
 */
export async function exchange(channel: CardChannel, cmd: CommandApdu, opts: ExchangeOptions = {}): Promise<ResponseApdu> {
  const maxGetResponse = opts.maxGetResponse ?? DEFAULT_MAX_GET_RESPONSE;
  if (!Number.isInteger(maxGetResponse) || maxGetResponse < 0) {
    throw new RangeError(`maxGetResponse must be a non-negative integer, got ${String(maxGetResponse)}`);
  }
  const extended = opts.extended ?? 'auto';

  let resp = await transmitOnce(channel, cmd, extended);
  const exactLe = exactLengthFrom6Cxx(resp.sw);
  if (exactLe !== undefined) {
    resp = await transmitOnce(channel, { ...cmd, le: exactLe }, extended);
    if (exactLengthFrom6Cxx(resp.sw) !== undefined) {
      throw new Iso7816Error(
        'wrong_le_repeated',
        `card answered ${formatStatusWord(resp.sw)} again after the command was re-sent with Le=${exactLe}`,
        { sw: resp.sw, ins: cmd.ins },
      );
    }
  }

  let available = bytesAvailableFrom61xx(resp.sw);
  if (available === undefined) return resp;

  const chunks: Buffer[] = [resp.data];
  let rounds = 0;
  while (available !== undefined) {
    if (rounds >= maxGetResponse) {
      throw new Iso7816Error(
        'too_many_get_response',
        `card still answers ${formatStatusWord(resp.sw)} after ${rounds} GET RESPONSE commands (limit ${maxGetResponse})`,
        { sw: resp.sw, ins: cmd.ins },
      );
    }
    rounds += 1;
    resp = await transmitOnce(
      channel,
      { cla: cmd.cla, ins: INS_GET_RESPONSE, p1: 0x00, p2: 0x00, le: available },
      'never',
    );
    chunks.push(resp.data);
    available = bytesAvailableFrom61xx(resp.sw);
  }
  return createResponseApdu(Buffer.concat(chunks), resp.sw);
}

/**
 * `resp` when its status word is 9000; otherwise throws `Iso7816Error('status_word')` carrying
 * the status word and `cmd.ins` (never the command data).
 */
export function expectOk(resp: ResponseApdu, cmd: CommandApdu): ResponseApdu {
  if (!resp.ok) throw Iso7816Error.statusWord(resp.sw, cmd.ins);
  return resp;
}
