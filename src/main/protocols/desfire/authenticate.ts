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
import { AES_BLOCK, aesCbcDecrypt, aesCbcEncrypt } from '../crypto/aes-cmac.js';
import { CMD, STATUS } from './constants.js';
import { DesfireError } from './desfire-error.js';
import { transceiveFrame, type FrameResponse } from './frames.js';
import { Ev1SecureChannel, Ev2SecureChannel } from './secure-messaging.js';
import { ev1SessionKey, ev2SessionKeys, rotateLeft } from './session-keys.js';
import { statusError } from './status.js';

const SW_OK = 0x9100;
const SW_AF = 0x9100 | STATUS.ADDITIONAL_FRAME;

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

function checkKey(keyNo: number, key: Buffer): void {
  if (!Number.isInteger(keyNo) || keyNo < 0 || keyNo > 0x0d) throw new DesfireError('invalid_argument', `key number ${keyNo} out of range 0..13`);
  if (key.length !== 16) throw new DesfireError('invalid_argument', 'AES key must be 16 bytes');
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
  key: Buffer,
  random: RandomSource = randomBytes,
): Promise<Ev1AuthResult> {
  checkKey(keyNo, key);
  const cmd = CMD.AUTHENTICATE_AES;
  const ekRndB = expectFrame(await transceiveFrame(channel, cmd, Buffer.of(keyNo)), SW_AF, AES_BLOCK, cmd);
  const rndB = aesCbcDecrypt(key, Buffer.alloc(AES_BLOCK), ekRndB);
  const rndA = random(AES_BLOCK);
  const plain = Buffer.concat([rndA, rotateLeft(rndB)]);
  try {
    const token = aesCbcEncrypt(key, ekRndB, plain);
    const ekRndA = expectFrame(await transceiveFrame(channel, CMD.ADDITIONAL_FRAME, token), SW_OK, AES_BLOCK, cmd);
    const rndARot = aesCbcDecrypt(key, token.subarray(token.length - AES_BLOCK), ekRndA);
    try {
      checkRndA(rotateLeft(rndA), rndARot, cmd);
    } finally {
      rndARot.fill(0);
    }
    return { channel: new Ev1SecureChannel(ev1SessionKey(rndA, rndB)) };
  } finally {
    rndA.fill(0);
    rndB.fill(0);
    plain.fill(0);
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
  key: Buffer,
  options: { pcdCap2?: Buffer; random?: RandomSource } = {},
): Promise<Ev2AuthResult> {
  checkKey(keyNo, key);
  const cmd = CMD.AUTHENTICATE_EV2_FIRST;
  const pcdCap2 = options.pcdCap2 ?? Buffer.alloc(0);
  if (pcdCap2.length > 6) throw new DesfireError('invalid_argument', 'PCDcap2 is at most 6 bytes');
  const zero = Buffer.alloc(AES_BLOCK);
  const first = Buffer.concat([Buffer.of(keyNo, pcdCap2.length), pcdCap2]);
  const ekRndB = expectFrame(await transceiveFrame(channel, cmd, first), SW_AF, AES_BLOCK, cmd);
  const rndB = aesCbcDecrypt(key, zero, ekRndB);
  const rndA = (options.random ?? randomBytes)(AES_BLOCK);
  const plain = Buffer.concat([rndA, rotateLeft(rndB)]);
  try {
    const token = aesCbcEncrypt(key, zero, plain);
    const answer = expectFrame(await transceiveFrame(channel, CMD.ADDITIONAL_FRAME, token), SW_OK, 2 * AES_BLOCK, cmd);
    const decoded = aesCbcDecrypt(key, zero, answer);
    try {
      checkRndA(rotateLeft(rndA), decoded.subarray(4, 20), cmd);
      const ti = Buffer.from(decoded.subarray(0, 4));
      const keys = ev2SessionKeys(key, rndA, rndB);
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
    rndA.fill(0);
    rndB.fill(0);
    plain.fill(0);
  }
}
