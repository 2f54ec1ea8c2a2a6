/**
 * Simulated CPS (IAS-ECC CPx) card, contact interface.
 *
 * Written from docs/cps-profile.md only — it deliberately shares no code with the agent's
 * driver in src/, so a disagreement between the two readings of the document fails a test.
 * It answers the documented commands and nothing else; every other command gets an ISO 7816-4
 * status word. `processApdu` never throws.
 */
import * as crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { VirtualCard } from '../virtual-card.js';

/** Status words (docs/cps-profile.md §4), ISO 7816-4 values. */
export const CpsSw = {
  OK: 0x9000,
  EOF_BEFORE_LE: 0x6282,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_EF: 0x6986,
  INCORRECT_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  INCORRECT_P1P2: 0x6a86,
  REFERENCE_NOT_FOUND: 0x6a88,
  WRONG_PARAMETERS_OFFSET: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  /** SW1 of "SW2 more bytes available" (GET RESPONSE). */
  BYTES_AVAILABLE_SW1: 0x61,
  /** SW1 of "verification failed, SW2 & 0x0F tries left" (SW2 = 0xCx). */
  WRONG_PIN_SW1: 0x63,
} as const;

/** Identifiers and references (docs/cps-profile.md §1–§2). */
export const CpsProfile = {
  /** CPS3 contact ATR, verbatim (OpenSC card-iasecc.c, ANS card-cps.c). */
  CONTACT_ATR: Buffer.from('3BAC00402A001225006480000310009000', 'hex'),
  AID_CPX_IAS: Buffer.from('E828BD080F8025000001FF0010', 'hex'),
  AID_CPX_IAS_CL: Buffer.from('E828BD080F8025000001FF0020', 'hex'),
  /** Authentication certificate EF (ASSUMPTION in the profile). */
  CERT_AUTH_FID: 0xc000,
  PIN_REFERENCE: 0x01,
  PIN_BLOCK_LENGTH: 8,
  PIN_PAD_BYTE: 0xff,
  AUTH_KEY_REFERENCE: 0x82,
  ALGO_RSA_PKCS1: 0x02,
  READ_BINARY_MAX_LE: 0xe7,
  DEFAULT_MAX_TRIES: 3,
} as const;

const CLA = 0x00;
const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  VERIFY: 0x20,
  MSE: 0x22,
  INTERNAL_AUTHENTICATE: 0x88,
  GET_RESPONSE: 0xc0,
} as const;

/** SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1): 19 bytes, followed by the 32-byte hash. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const SHA256_DIGEST_INFO_LENGTH = 51;

const MSE_P1_SET_COMPUTATION = 0x41;
const CRT_TAG_AT = 0xa4;
const CRT_TAG_KEY_REF = 0x84;
const CRT_TAG_ALGO = 0x80;

const SELECT_P1_BY_DF_NAME = 0x04;
const SELECT_P1_EF_UNDER_CURRENT_DF = 0x02;
const SELECT_P2_RETURN_FCP = 0x04;
const SELECT_P2_NO_DATA = 0x0c;

export interface CpsCardOptions {
  certificateDer: Buffer;
  privateKey: KeyObject;
  /** 4 decimal digits. */
  pin: string;
  /** Default 3 (OpenSC PR #2217: CHV tries maximum 03). */
  maxTries?: number;
  /** Default maxTries; 0 means the PIN is already blocked. */
  triesLeft?: number;
  /** Default the CPS3 contact ATR. */
  atr?: Buffer;
  /** Answer every case-4 command with 61xx, so the data must be fetched with GET RESPONSE. */
  forceGetResponse?: boolean;
}

/** ISO 7816-4 short command APDU, after length checks. */
interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data; absent for cases 1 and 2. */
  data: Buffer | undefined;
  /** Ne (1..256); absent for cases 1 and 3. */
  ne: number | undefined;
}

type ParseResult = { ok: true; command: Command } | { ok: false; sw: number };

export class CpsCard implements VirtualCard {
  readonly atr: Buffer;
  readonly certificateDer: Buffer;

  readonly #privateKey: KeyObject;
  readonly #pinBlock: Buffer;
  readonly #maxTries: number;
  readonly #forceGetResponse: boolean;

  // Non-volatile.
  #triesLeft: number;
  #apduCount = 0;

  // Volatile: reset by power off / power on / reset.
  #applicationSelected = false;
  #certificateSelected = false;
  #pinVerified = false;
  #mseAuthenticationReady = false;
  #pendingResponse: Buffer | undefined;

  constructor(options: CpsCardOptions) {
    if (!/^[0-9]{4}$/.test(options.pin)) {
      throw new Error('CpsCard: pin must be 4 decimal digits');
    }
    const maxTries = options.maxTries ?? CpsProfile.DEFAULT_MAX_TRIES;
    if (!Number.isInteger(maxTries) || maxTries < 1 || maxTries > 15) {
      throw new Error('CpsCard: maxTries must be an integer in 1..15');
    }
    const triesLeft = options.triesLeft ?? maxTries;
    if (!Number.isInteger(triesLeft) || triesLeft < 0 || triesLeft > maxTries) {
      throw new Error('CpsCard: triesLeft must be an integer in 0..maxTries');
    }
    if (options.certificateDer.length === 0 || options.certificateDer.length > 0x7fff) {
      throw new Error('CpsCard: certificate must be 1..32767 bytes');
    }
    this.atr = Buffer.from(options.atr ?? CpsProfile.CONTACT_ATR);
    this.certificateDer = Buffer.from(options.certificateDer);
    this.#privateKey = options.privateKey;
    this.#pinBlock = CpsCard.pinBlock(options.pin);
    this.#maxTries = maxTries;
    this.#triesLeft = triesLeft;
    this.#forceGetResponse = options.forceGetResponse ?? false;
  }

  /** PIN as sent by VERIFY: ASCII digits padded with 0xFF to 8 bytes (docs/cps-profile.md §2). */
  static pinBlock(pin: string): Buffer {
    const block = Buffer.alloc(CpsProfile.PIN_BLOCK_LENGTH, CpsProfile.PIN_PAD_BYTE);
    block.write(pin, 0, 'ascii');
    return block;
  }

  /** PIN tries left (0 = blocked). Survives power cycles. */
  get triesLeft(): number {
    return this.#triesLeft;
  }

  get maxTries(): number {
    return this.#maxTries;
  }

  get blocked(): boolean {
    return this.#triesLeft === 0;
  }

  get pinVerified(): boolean {
    return this.#pinVerified;
  }

  /** Every call to processApdu, malformed ones included. */
  get apduCount(): number {
    return this.#apduCount;
  }

  powerOn(): void {
    this.#resetVolatileState();
  }

  powerOff(): void {
    this.#resetVolatileState();
  }

  reset(): void {
    this.#resetVolatileState();
  }

  processApdu(apdu: Buffer): Buffer {
    this.#apduCount += 1;
    try {
      return this.#process(apdu);
    } catch {
      this.#pendingResponse = undefined;
      return sw(CpsSw.NO_PRECISE_DIAGNOSIS);
    }
  }

  #resetVolatileState(): void {
    this.#applicationSelected = false;
    this.#certificateSelected = false;
    this.#pinVerified = false;
    this.#mseAuthenticationReady = false;
    this.#pendingResponse = undefined;
  }

  #process(apdu: Buffer): Buffer {
    const parsed = parseCommand(apdu);
    if (!parsed.ok) {
      this.#pendingResponse = undefined;
      return sw(parsed.sw);
    }
    const command = parsed.command;
    if (command.cla !== CLA) {
      this.#pendingResponse = undefined;
      return sw(CpsSw.CLA_NOT_SUPPORTED);
    }
    if (command.ins === INS.GET_RESPONSE) {
      return this.#getResponse(command);
    }
    this.#pendingResponse = undefined;
    switch (command.ins) {
      case INS.SELECT:
        return this.#select(command);
      case INS.READ_BINARY:
        return this.#readBinary(command);
      case INS.VERIFY:
        return this.#verify(command);
      case INS.MSE:
        return this.#manageSecurityEnvironment(command);
      case INS.INTERNAL_AUTHENTICATE:
        return this.#internalAuthenticate(command);
      default:
        return sw(CpsSw.INS_NOT_SUPPORTED);
    }
  }

  /** §3.1 and §3.2: SELECT by DF name (the CPX IAS AID) or EF under the current DF. */
  #select(command: Command): Buffer {
    const data = command.data;
    if (data === undefined) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (command.p2 !== SELECT_P2_RETURN_FCP && command.p2 !== SELECT_P2_NO_DATA) {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    let fcp: Buffer;
    if (command.p1 === SELECT_P1_BY_DF_NAME) {
      if (!data.equals(CpsProfile.AID_CPX_IAS)) {
        return sw(CpsSw.FILE_NOT_FOUND);
      }
      this.#applicationSelected = true;
      this.#certificateSelected = false;
      this.#mseAuthenticationReady = false;
      fcp = tlv(0x62, Buffer.concat([tlv(0x82, Buffer.from([0x38])), tlv(0x84, CpsProfile.AID_CPX_IAS), tlv(0x8a, Buffer.from([0x05]))]));
    } else if (command.p1 === SELECT_P1_EF_UNDER_CURRENT_DF) {
      if (data.length !== 2) {
        return sw(CpsSw.WRONG_LENGTH);
      }
      if (!this.#applicationSelected || data.readUInt16BE(0) !== CpsProfile.CERT_AUTH_FID) {
        return sw(CpsSw.FILE_NOT_FOUND);
      }
      this.#certificateSelected = true;
      const size = Buffer.alloc(2);
      size.writeUInt16BE(this.certificateDer.length);
      fcp = tlv(
        0x62,
        Buffer.concat([tlv(0x80, size), tlv(0x82, Buffer.from([0x01])), tlv(0x83, Buffer.from(data)), tlv(0x8a, Buffer.from([0x05]))]),
      );
    } else {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    if (command.p2 === SELECT_P2_NO_DATA) {
      return sw(CpsSw.OK);
    }
    return this.#answerCase4(fcp, command.ne);
  }

  /** §3.2: READ BINARY, 15-bit offset, Le 1..E7, 6282 on a short last chunk, 6B00 past the end. */
  #readBinary(command: Command): Buffer {
    if (command.data !== undefined || command.ne === undefined) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if ((command.p1 & 0x80) !== 0) {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    if (command.ne > CpsProfile.READ_BINARY_MAX_LE) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (!this.#certificateSelected) {
      return sw(CpsSw.COMMAND_NOT_ALLOWED_NO_EF);
    }
    const offset = (command.p1 << 8) | command.p2;
    const file = this.certificateDer;
    if (offset >= file.length) {
      return sw(CpsSw.WRONG_PARAMETERS_OFFSET);
    }
    const chunk = file.subarray(offset, Math.min(file.length, offset + command.ne));
    return withSw(chunk, chunk.length < command.ne ? CpsSw.EOF_BEFORE_LE : CpsSw.OK);
  }

  /** §3.3: VERIFY with the 8-byte PIN block, or without data to read the counter. */
  #verify(command: Command): Buffer {
    if (command.p1 !== 0x00) {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    if (command.p2 !== CpsProfile.PIN_REFERENCE) {
      return sw(CpsSw.REFERENCE_NOT_FOUND);
    }
    // Status form: case 1, or the ambiguous "P3 = 00" short form read as Lc absent.
    const statusForm = command.data === undefined && (command.ne === undefined || command.ne === 256);
    if (!statusForm && (command.data === undefined || command.ne !== undefined)) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (this.blocked) {
      return sw(CpsSw.AUTH_METHOD_BLOCKED);
    }
    if (statusForm) {
      return this.#pinVerified ? sw(CpsSw.OK) : wrongPin(this.#triesLeft);
    }
    const presented = command.data;
    if (presented === undefined || presented.length !== CpsProfile.PIN_BLOCK_LENGTH) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (crypto.timingSafeEqual(presented, this.#pinBlock)) {
      this.#triesLeft = this.#maxTries;
      this.#pinVerified = true;
      return sw(CpsSw.OK);
    }
    this.#pinVerified = false;
    this.#triesLeft -= 1;
    return this.#triesLeft === 0 ? sw(CpsSw.AUTH_METHOD_BLOCKED) : wrongPin(this.#triesLeft);
  }

  /** §3.4.1: MSE SET AT with 84 01 82 and 80 01 02 (either order). */
  #manageSecurityEnvironment(command: Command): Buffer {
    this.#mseAuthenticationReady = false;
    if (command.data === undefined || command.ne !== undefined) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (command.p1 !== MSE_P1_SET_COMPUTATION || command.p2 !== CRT_TAG_AT) {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    const crt = parseSimpleTlvs(command.data);
    if (crt === undefined) {
      return sw(CpsSw.INCORRECT_DATA);
    }
    let keyRef: number | undefined;
    let algo: number | undefined;
    for (const { tag, value } of crt) {
      if (value.length !== 1) {
        return sw(CpsSw.INCORRECT_DATA);
      }
      if (tag === CRT_TAG_KEY_REF && keyRef === undefined) {
        keyRef = value[0];
      } else if (tag === CRT_TAG_ALGO && algo === undefined) {
        algo = value[0];
      } else {
        return sw(CpsSw.INCORRECT_DATA);
      }
    }
    if (keyRef === undefined || algo === undefined || algo !== CpsProfile.ALGO_RSA_PKCS1) {
      return sw(CpsSw.INCORRECT_DATA);
    }
    if (!this.#applicationSelected || keyRef !== CpsProfile.AUTH_KEY_REFERENCE) {
      return sw(CpsSw.REFERENCE_NOT_FOUND);
    }
    this.#mseAuthenticationReady = true;
    return sw(CpsSw.OK);
  }

  /** §3.4.2: INTERNAL AUTHENTICATE over a SHA-256 DigestInfo, PKCS#1 v1.5 type 1, RSA-2048. */
  #internalAuthenticate(command: Command): Buffer {
    const digestInfo = command.data;
    if (digestInfo === undefined) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (command.p1 !== 0x00 || command.p2 !== 0x00) {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    if (!this.#mseAuthenticationReady) {
      return sw(CpsSw.CONDITIONS_NOT_SATISFIED);
    }
    if (!this.#pinVerified) {
      return sw(CpsSw.SECURITY_STATUS_NOT_SATISFIED);
    }
    if (
      digestInfo.length !== SHA256_DIGEST_INFO_LENGTH ||
      !digestInfo.subarray(0, SHA256_DIGEST_INFO_PREFIX.length).equals(SHA256_DIGEST_INFO_PREFIX)
    ) {
      return sw(CpsSw.INCORRECT_DATA);
    }
    const signature = crypto.privateEncrypt({ key: this.#privateKey, padding: crypto.constants.RSA_PKCS1_PADDING }, digestInfo);
    return this.#answerCase4(signature, command.ne);
  }

  /** GET RESPONSE 00 C0 00 00 Le: hands out what a 61xx announced. */
  #getResponse(command: Command): Buffer {
    const pending = this.#pendingResponse;
    this.#pendingResponse = undefined;
    if (command.data !== undefined || command.ne === undefined) {
      return sw(CpsSw.WRONG_LENGTH);
    }
    if (command.p1 !== 0x00 || command.p2 !== 0x00) {
      return sw(CpsSw.INCORRECT_P1P2);
    }
    if (pending === undefined) {
      return sw(CpsSw.CONDITIONS_NOT_SATISFIED);
    }
    return this.#sendPart(pending, command.ne);
  }

  /** Response of a case-4 command: direct, or announced with 61xx (T=0 style). */
  #answerCase4(data: Buffer, ne: number | undefined): Buffer {
    if (this.#forceGetResponse || ne === undefined) {
      this.#pendingResponse = data;
      return bytesAvailable(data.length);
    }
    return this.#sendPart(data, ne);
  }

  #sendPart(data: Buffer, ne: number): Buffer {
    if (data.length <= ne) {
      return withSw(data, CpsSw.OK);
    }
    const rest = data.subarray(ne);
    this.#pendingResponse = rest;
    return Buffer.concat([data.subarray(0, ne), bytesAvailable(rest.length)]);
  }
}

/** ISO 7816-4 §5.1 short APDU cases 1–4. Extended length (Lc byte 00 followed by more) → 6700. */
function parseCommand(apdu: Buffer): ParseResult {
  if (apdu.length < 4) {
    return { ok: false, sw: CpsSw.WRONG_LENGTH };
  }
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = apdu;
  const header = { cla, ins, p1, p2 };
  if (apdu.length === 4) {
    return { ok: true, command: { ...header, data: undefined, ne: undefined } };
  }
  const p3 = apdu[4] ?? 0;
  if (apdu.length === 5) {
    return { ok: true, command: { ...header, data: undefined, ne: p3 === 0 ? 256 : p3 } };
  }
  if (p3 === 0) {
    return { ok: false, sw: CpsSw.WRONG_LENGTH };
  }
  const data = Buffer.from(apdu.subarray(5, 5 + p3));
  if (apdu.length === 5 + p3) {
    return { ok: true, command: { ...header, data, ne: undefined } };
  }
  if (apdu.length === 6 + p3) {
    const le = apdu[5 + p3] ?? 0;
    return { ok: true, command: { ...header, data, ne: le === 0 ? 256 : le } };
  }
  return { ok: false, sw: CpsSw.WRONG_LENGTH };
}

/** One-byte tags, one-byte lengths (the CRT data objects of MSE). Undefined when malformed. */
function parseSimpleTlvs(data: Buffer): { tag: number; value: Buffer }[] | undefined {
  const out: { tag: number; value: Buffer }[] = [];
  let offset = 0;
  while (offset < data.length) {
    const tag = data[offset];
    const length = data[offset + 1];
    if (tag === undefined || length === undefined || length > 0x7f || offset + 2 + length > data.length) {
      return undefined;
    }
    out.push({ tag, value: data.subarray(offset + 2, offset + 2 + length) });
    offset += 2 + length;
  }
  return out;
}

function tlv(tag: number, value: Buffer): Buffer {
  if (value.length > 0x7f) {
    throw new Error('tlv: short form only');
  }
  return Buffer.concat([Buffer.from([tag, value.length]), value]);
}

function sw(word: number): Buffer {
  return Buffer.from([(word >> 8) & 0xff, word & 0xff]);
}

function withSw(data: Buffer, word: number): Buffer {
  return Buffer.concat([data, sw(word)]);
}

function wrongPin(triesLeft: number): Buffer {
  return Buffer.from([CpsSw.WRONG_PIN_SW1, 0xc0 | (triesLeft & 0x0f)]);
}

function bytesAvailable(length: number): Buffer {
  return Buffer.from([CpsSw.BYTES_AVAILABLE_SW1, length >= 256 ? 0x00 : length]);
}
