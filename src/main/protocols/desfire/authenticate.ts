/**
 * The two AES mutual authentications (three-pass challenge-response).
 *
 * EV1 AuthenticateAES (0xAA), MIFARE DESFire EV1 datasheet; libfreefare `authenticate()`:
 *   PCD → AA KeyNo                              PICC → E(K, RndB)                     91AF
 *   PCD → AF E(K, RndA ‖ RndB')                 PICC → E(K, RndA')                    9100
 *   AES-CBC with one running IV that starts at zero: each decryption or encryption uses the
 *   last ciphertext block seen as its IV. RndX' = RndX rotated left by one byte.
 *
 * EV2 AuthenticateEV2First (0x71), EV2 datasheet §9.1.5; AN12343 §5.1:
 *   PCD → 71 KeyNo LenCap PCDcap2               PICC → E(K, RndB)                     91AF
 *   PCD → AF E(K, RndA ‖ RndB')                 PICC → E(K, TI ‖ RndA' ‖ PDcap2 ‖ PCDcap2) 9100
 *   AES-CBC with a zero IV for every cryptogram.
 *
 * Both check RndA' (the card proved it knows K) or fail with `authentication_error`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { CardChannel } from '../../transports/card-channel.js';
import { AES_BLOCK } from '../crypto/aes-cmac.js';
import { Aes128Key } from '../crypto/aes-key.js';
import { CMD, STATUS } from './constants.js';
import { DesfireError } from './desfire-error.js';
import { transceiveFrame, type FrameResponse } from './frames.js';
import { Ev1SecureChannel, Ev2SecureChannel } from './secure-messaging.js';
import { ev1SessionKey, ev2SessionKeys, rotateLeft } from './session-keys.js';
import { statusError } from './status.js';

const SW_OK = 0x9100;
const SW_AF = 0x9100 | STATUS.ADDITIONAL_FRAME;
const ZERO_IV = Buffer.alloc(AES_BLOCK);

/** Source of RndA; tests may inject a fixed one to replay published exchanges. */
export type RandomSource = (n: number) => Buffer;

function expectFrame(resp: FrameResponse, sw: number, length: number, cmd: number): Buffer {
  if (resp.sw !== sw) {
    if (resp.sw === SW_OK || resp.sw === SW_AF) {
      throw new DesfireError('card_data_invalid', `authentication step answered SW=${resp.sw.toString(16)} out of sequence`, { cmd, sw: resp.sw });
    }
    throw statusError(resp.sw, cmd);
  }
  if (resp.data.length !== length) {
    throw new DesfireError('card_data_invalid', `authentication step answered ${resp.data.length} bytes, expected ${length}`, { cmd, sw: resp.sw });
  }
  return resp.data;
}

function checkKeyNo(keyNo: number): void {
  if (!Number.isInteger(keyNo) || keyNo < 0 || keyNo > 0x0d) throw new DesfireError('invalid_argument', `key number ${keyNo} out of range 0..13`);
}

function checkKeyBytes(key: Buffer): void {
  if (key.length !== 16) throw new DesfireError('invalid_argument', 'AES key must be 16 bytes');
}

/**
 * The key of an authentication: its bytes, or a function that fetches them (the KMS). A fetch
 * is started only once the first frame is on its way, so the key's diversification runs while
 * the card prepares RndB; the caller still owns (and wipes) the Buffer either way.
 */
export type AuthKey = Buffer | (() => Promise<Buffer>);

interface FirstStep {
  readonly resp: FrameResponse;
  /** The authentication key with its contexts ready; the caller disposes it. */
  readonly cipher: Aes128Key;
  readonly rndA: Buffer;
}

/**
 * Sends the first frame, and while the card computes its answer obtains the key, readies its
 * AES contexts and draws RndA. A key that cannot be had waits for the card's answer before
 * failing (the channel stays in order).
 */
async function firstFrame(channel: CardChannel, cmd: number, data: Buffer, key: AuthKey, random: RandomSource): Promise<FirstStep> {
  if (Buffer.isBuffer(key)) checkKeyBytes(key);
  const answer = transceiveFrame(channel, cmd, data);
  answer.catch(() => undefined); // awaited below, after the key
  let cipher: Aes128Key | undefined;
  let rndA: Buffer;
  try {
    let bytes: Buffer;
    if (Buffer.isBuffer(key)) bytes = key;
    else checkKeyBytes((bytes = await key()));
    cipher = new Aes128Key(bytes).prepare();
    rndA = random(AES_BLOCK);
  } catch (e) {
    cipher?.dispose();
    await answer.catch(() => undefined);
    throw e;
  }
  try {
    return { resp: await answer, cipher, rndA };
  } catch (e) {
    cipher.dispose();
    rndA.fill(0);
    throw e;
  }
}

function checkRndA(expected: Buffer, got: Buffer, cmd: number): void {
  if (!timingSafeEqual(expected, got)) {
    throw new DesfireError('authentication_error', 'card did not return RndA\' (mutual authentication failed)', { cmd });
  }
}

export interface Ev1AuthResult {
  readonly channel: Ev1SecureChannel;
}

export async function authenticateAesEv1(
  channel: CardChannel,
  keyNo: number,
  key: AuthKey,
  random: RandomSource = randomBytes,
): Promise<Ev1AuthResult> {
  checkKeyNo(keyNo);
  const cmd = CMD.AUTHENTICATE_AES;
  const { resp, cipher: k, rndA } = await firstFrame(channel, cmd, Buffer.of(keyNo), key, random);
  let rndB: Buffer | undefined;
  let plain: Buffer | undefined;
  try {
    const ekRndB = expectFrame(resp, SW_AF, AES_BLOCK, cmd);
    rndB = k.cbcDecrypt(ZERO_IV, ekRndB);
    plain = Buffer.concat([rndA, rotateLeft(rndB)]);
    const token = k.cbcEncrypt(ekRndB, plain);
    const ekRndA = expectFrame(await transceiveFrame(channel, CMD.ADDITIONAL_FRAME, token), SW_OK, AES_BLOCK, cmd);
    const rndARot = k.cbcDecrypt(token.subarray(token.length - AES_BLOCK), ekRndA);
    try {
      checkRndA(rotateLeft(rndA), rndARot, cmd);
    } finally {
      rndARot.fill(0);
    }
    return { channel: new Ev1SecureChannel(ev1SessionKey(rndA, rndB)) };
  } finally {
    k.dispose();
    rndA.fill(0);
    rndB?.fill(0);
    plain?.fill(0);
  }
}

export interface Ev2AuthResult {
  readonly channel: Ev2SecureChannel;
  /** Transaction identifier chosen by the card. */
  readonly ti: Buffer;
  /** PICC capabilities (6 bytes) as returned. */
  readonly pdCap2: Buffer;
  /** PCD capabilities (6 bytes) as echoed by the card. */
  readonly pcdCap2: Buffer;
}

export async function authenticateEv2First(
  channel: CardChannel,
  keyNo: number,
  key: AuthKey,
  options: { pcdCap2?: Buffer; random?: RandomSource } = {},
): Promise<Ev2AuthResult> {
  checkKeyNo(keyNo);
  const cmd = CMD.AUTHENTICATE_EV2_FIRST;
  const pcdCap2 = options.pcdCap2 ?? Buffer.alloc(0);
  if (pcdCap2.length > 6) throw new DesfireError('invalid_argument', 'PCDcap2 is at most 6 bytes');
  const first = Buffer.concat([Buffer.of(keyNo, pcdCap2.length), pcdCap2]);
  const { resp, cipher: k, rndA } = await firstFrame(channel, cmd, first, key, options.random ?? randomBytes);
  let rndB: Buffer | undefined;
  let plain: Buffer | undefined;
  try {
    const ekRndB = expectFrame(resp, SW_AF, AES_BLOCK, cmd);
    rndB = k.cbcDecrypt(ZERO_IV, ekRndB);
    plain = Buffer.concat([rndA, rotateLeft(rndB)]);
    const token = k.cbcEncrypt(ZERO_IV, plain);
    const answer = expectFrame(await transceiveFrame(channel, CMD.ADDITIONAL_FRAME, token), SW_OK, 2 * AES_BLOCK, cmd);
    const decoded = k.cbcDecrypt(ZERO_IV, answer);
    try {
      checkRndA(rotateLeft(rndA), decoded.subarray(4, 20), cmd);
      const ti = Buffer.from(decoded.subarray(0, 4));
      const keys = ev2SessionKeys(k, rndA, rndB);
      return {
        channel: new Ev2SecureChannel(keys.enc, keys.mac, ti),
        ti,
        pdCap2: Buffer.from(decoded.subarray(20, 26)),
        pcdCap2: Buffer.from(decoded.subarray(26, 32)),
      };
    } finally {
      decoded.fill(0);
    }
  } finally {
    k.dispose();
    rndA.fill(0);
    rndB?.fill(0);
    plain?.fill(0);
  }
}
