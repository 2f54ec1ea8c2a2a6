/**
 * The CPS command set, one function per step of docs/cps-profile.md §3. Each function sends
 * exactly the APDUs the profile lists and maps the status words of its §4 table; anything else
 * is an `IasEccError('unexpected_status')` carrying the SW for the log.
 */
import { createHash } from 'node:crypto';
import type { CardChannel } from '../../transports/card-channel.js';
import { exchange, formatStatusWord, retriesFrom63Cx, SW, type CommandApdu, type ResponseApdu } from '../iso7816/index.js';
import {
  ALGO_RSA_PKCS1,
  AUTH_CERT_FID,
  AUTH_KEY_REFERENCE,
  CPX_IAS_AID,
  MAX_CERTIFICATE_LENGTH,
  PIN_BLOCK_LENGTH,
  PIN_DIGITS,
  PIN_REFERENCE,
  READ_BINARY_MAX,
} from './cps-profile.js';
import { IasEccError } from './iasecc-error.js';

const INS_SELECT = 0xa4;
const INS_READ_BINARY = 0xb0;
const INS_VERIFY = 0x20;
const INS_MSE = 0x22;
const INS_INTERNAL_AUTHENTICATE = 0x88;

function unexpected(step: string, resp: ResponseApdu): IasEccError {
  return new IasEccError('unexpected_status', `${step}: card answered ${formatStatusWord(resp.sw)}`, resp.sw);
}

/** §3.1: SELECT the CPX IAS application. `false` when the card has no such application. */
export async function selectCpsApplication(channel: CardChannel): Promise<boolean> {
  const cmd: CommandApdu = { cla: 0x00, ins: INS_SELECT, p1: 0x04, p2: 0x04, data: CPX_IAS_AID, le: 256 };
  const resp = await exchange(channel, cmd);
  if (resp.sw === SW.FILE_NOT_FOUND || resp.sw === SW.FUNCTION_NOT_SUPPORTED || resp.sw === SW.INS_NOT_SUPPORTED || resp.sw === SW.CLA_NOT_SUPPORTED) return false;
  if (!resp.ok) throw unexpected('SELECT CPX IAS', resp);
  const first = resp.data[0];
  if (resp.data.length > 0 && first !== 0x62 && first !== 0x6f) {
    throw new IasEccError('card_data_invalid', `SELECT CPX IAS returned data starting with ${first?.toString(16)} instead of an FCP/FCI template`);
  }
  return true;
}

/** Total DER length from the first bytes of a SEQUENCE, or undefined when more bytes are needed. */
export function derTotalLength(head: Buffer): number | undefined {
  if (head.length < 2) return undefined;
  if (head[0] !== 0x30) throw new IasEccError('card_data_invalid', 'certificate file does not start with a DER SEQUENCE');
  const l0 = head[1] ?? 0;
  if (l0 < 0x80) return 2 + l0;
  const n = l0 & 0x7f;
  if (n === 0 || n > 2) throw new IasEccError('card_data_invalid', `certificate length uses ${n === 0 ? 'the indefinite form' : `${n} length bytes`}`);
  if (head.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | (head[2 + i] ?? 0);
  return 2 + n + len;
}

/** §3.2: SELECT the authentication certificate EF and read it whole (DER). */
export async function readAuthenticationCertificate(channel: CardChannel): Promise<Buffer> {
  const select: CommandApdu = { cla: 0x00, ins: INS_SELECT, p1: 0x02, p2: 0x04, data: AUTH_CERT_FID, le: 256 };
  const sel = await exchange(channel, select);
  if (sel.sw === SW.FILE_NOT_FOUND) throw new IasEccError('reference_not_found', 'authentication certificate file not found on the card', sel.sw);
  if (!sel.ok) throw unexpected('SELECT certificate EF', sel);

  const chunks: Buffer[] = [];
  let have = 0;
  let total: number | undefined;
  while (total === undefined || have < total) {
    const want = total === undefined ? READ_BINARY_MAX : Math.min(READ_BINARY_MAX, total - have);
    const resp = await exchange(channel, { cla: 0x00, ins: INS_READ_BINARY, p1: (have >> 8) & 0x7f, p2: have & 0xff, le: want });
    const endOfFile = resp.sw === SW.END_OF_FILE_REACHED || resp.sw === SW.WRONG_P1P2;
    if (!resp.ok && !endOfFile) throw unexpected('READ BINARY', resp);
    if (resp.data.length > want) throw new IasEccError('card_data_invalid', `READ BINARY returned ${resp.data.length} bytes for Le=${want}`);
    chunks.push(resp.data);
    have += resp.data.length;
    if (total === undefined) {
      total = derTotalLength(Buffer.concat(chunks));
      if (total !== undefined && total > MAX_CERTIFICATE_LENGTH) {
        throw new IasEccError('card_data_invalid', `certificate announces ${total} bytes (limit ${MAX_CERTIFICATE_LENGTH})`);
      }
    }
    if ((endOfFile || resp.data.length === 0) && (total === undefined || have < total)) {
      throw new IasEccError('card_data_invalid', `certificate file ends after ${have} bytes${total ? ` of ${total}` : ''}`);
    }
  }
  return Buffer.concat(chunks).subarray(0, total);
}

export type PinStatus =
  | { status: 'verified' }
  | { status: 'needed'; retriesLeft: number }
  | { status: 'blocked' };

export type PinResult =
  | { status: 'ok' }
  | { status: 'wrong'; retriesLeft: number }
  | { status: 'blocked' };

/** §3.3 / §4: what a VERIFY answer says, for both forms of the command. */
function verifyOutcome(step: string, resp: ResponseApdu): { status: 'ok' } | { status: 'blocked' } | { status: 'counter'; retriesLeft: number } {
  if (resp.ok) return { status: 'ok' };
  if (resp.sw === SW.AUTH_METHOD_BLOCKED) return { status: 'blocked' };
  const tries = retriesFrom63Cx(resp.sw);
  if (tries !== undefined) return tries === 0 ? { status: 'blocked' } : { status: 'counter', retriesLeft: tries };
  if (resp.sw === SW.REFERENCED_DATA_NOT_FOUND || resp.sw === SW.REFERENCE_DATA_NOT_USABLE) {
    throw new IasEccError('reference_not_found', `PIN reference not found (${formatStatusWord(resp.sw)})`, resp.sw);
  }
  throw unexpected(step, resp);
}

/** §3.3, status form (no data): reads the try counter without spending a try. */
export async function readPinStatus(channel: CardChannel): Promise<PinStatus> {
  const cmd: CommandApdu = { cla: 0x00, ins: INS_VERIFY, p1: 0x00, p2: PIN_REFERENCE };
  const out = verifyOutcome('VERIFY (status)', await exchange(channel, cmd));
  if (out.status === 'ok') return { status: 'verified' };
  return out.status === 'counter' ? { status: 'needed', retriesLeft: out.retriesLeft } : out;
}

/** True when `pin` holds exactly the digits a CPS PIN has. */
export function isWellFormedPin(pin: Buffer): boolean {
  return pin.length === PIN_DIGITS && pin.every((b) => b >= 0x30 && b <= 0x39);
}

/**
 * §3.3: present the PIN. `pin` holds ASCII digits; the padded block built from it is wiped
 * before this returns. The caller wipes `pin` itself.
 */
export async function verifyPin(channel: CardChannel, pin: Buffer): Promise<PinResult> {
  if (!isWellFormedPin(pin)) throw new RangeError(`a CPS PIN is ${PIN_DIGITS} digits`);
  const block = Buffer.alloc(PIN_BLOCK_LENGTH, 0xff);
  try {
    pin.copy(block, 0);
    const out = verifyOutcome('VERIFY', await exchange(channel, { cla: 0x00, ins: INS_VERIFY, p1: 0x00, p2: PIN_REFERENCE, data: block }));
    return out.status === 'counter' ? { status: 'wrong', retriesLeft: out.retriesLeft } : out;
  } finally {
    block.fill(0);
  }
}

/** RFC 8017 §9.2 note 1: DER prefix of a SHA-256 DigestInfo. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export function sha256DigestInfo(message: Buffer): Buffer {
  return Buffer.concat([SHA256_DIGEST_INFO_PREFIX, createHash('sha256').update(message).digest()]);
}

/**
 * §3.4: MSE SET (AT, key 82, algorithm 02) then INTERNAL AUTHENTICATE over the SHA-256
 * DigestInfo of `challenge`. Returns the card's raw PKCS#1 v1.5 signature; checking it is the
 * caller's job (nothing the card says is trusted before that check).
 */
export async function signChallenge(channel: CardChannel, challenge: Buffer): Promise<Buffer> {
  const crt = Buffer.from([0x84, 0x01, AUTH_KEY_REFERENCE, 0x80, 0x01, ALGO_RSA_PKCS1]);
  const mse = await exchange(channel, { cla: 0x00, ins: INS_MSE, p1: 0x41, p2: 0xa4, data: crt });
  if (mse.sw === SW.REFERENCED_DATA_NOT_FOUND) throw new IasEccError('reference_not_found', 'authentication key not found on the card', mse.sw);
  if (!mse.ok) throw unexpected('MSE SET', mse);
  const resp = await exchange(channel, { cla: 0x00, ins: INS_INTERNAL_AUTHENTICATE, p1: 0x00, p2: 0x00, data: sha256DigestInfo(challenge), le: 256 });
  if (resp.sw === SW.SECURITY_STATUS_NOT_SATISFIED) throw new IasEccError('unexpected_status', 'INTERNAL AUTHENTICATE refused: PIN not verified', resp.sw);
  if (!resp.ok) throw unexpected('INTERNAL AUTHENTICATE', resp);
  if (resp.data.length === 0 || resp.data.length > 512) throw new IasEccError('card_data_invalid', `signature of ${resp.data.length} bytes`);
  return resp.data;
}
