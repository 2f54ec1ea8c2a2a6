/**
 * Simulated MIFARE DESFire EV1/EV2 card (AES keys only), behind vpcd or in-process.
 *
 * Written from the public descriptions listed in docs/desfire-protocol.md, card side, and
 * deliberately sharing no code with the client in src/main/protocols/desfire/ — only the crypto
 * primitives (AES, CMAC, CRC32) — so that a disagreement between the two readings of the
 * protocol fails a test. `processApdu` never throws: malformed commands get a status word.
 *
 * What it models: ISO 7816-4 wrapped native commands (CLA 90), 91AF chaining both ways (59-byte
 * frames), AuthenticateAES (EV1) and AuthenticateEV2First (EV2 cards), EV1 and EV2 secure
 * messaging, applications with AES keys and key versions, standard data files and value files
 * in plain/MAC/full communication with access rights, a transaction buffer for value files,
 * random UID (anti-collision UID new at every power-up, the real UID only through GetCardUID),
 * and faults (`corruptMac`, `slow`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesCmacWithIv,
  aesEcbEncrypt,
  crc32DesfireBytes,
} from '../../../src/main/protocols/crypto/index.js';
import type { VirtualCard } from '../virtual-card.js';

/** PC/SC part 3 ATR of a contactless ISO 14443-4 type A card without historical bytes (DESFire). */
export const DESFIRE_ATR = Buffer.from('3B8180018080', 'hex');

export type SimCommMode = 'plain' | 'mac' | 'full';

export interface SimAccessRights {
  read: number;
  write: number;
  readWrite: number;
  change: number;
}

export interface SimStdFile {
  fileNo: number;
  type: 'std';
  commMode: SimCommMode;
  access: SimAccessRights;
  size: number;
  /** Initial content (zero-filled to `size`). */
  data?: Buffer;
}

export interface SimValueFile {
  fileNo: number;
  type: 'value';
  commMode: SimCommMode;
  access: SimAccessRights;
  lowerLimit: number;
  upperLimit: number;
  value: number;
}

export type SimFile = SimStdFile | SimValueFile;

export interface SimKey {
  key: Buffer;
  version?: number;
}

export interface SimApplication {
  /** 3 bytes, wire order. */
  aid: Buffer;
  /** KeySettings1 (default 0x0F). */
  keySettings?: number;
  /** 1..14 AES keys. */
  keys: SimKey[];
  files?: SimFile[];
}

export interface DesfireCardOptions {
  /** Real 7-byte UID (default random, fixed for the card's life). */
  uid?: Buffer;
  /** Random ID: a new 4-byte anti-collision UID (08 xx xx xx) at every power-up; GetVersion hides the real UID. */
  randomUid?: boolean;
  /** EV2 card: adds AuthenticateEV2First and reports hardware version 12h. */
  ev2?: boolean;
  /** PICC master key (AES, default 16 zero bytes) and its version. */
  piccMasterKey?: Buffer;
  piccKeyVersion?: number;
  /** PICC KeySettings (default 0x0F: free listing, free create). */
  piccKeySettings?: number;
  applications?: SimApplication[];
  /** Answer with wrong response MACs (and wrong CRCs in full mode) once authenticated. */
  corruptMac?: boolean;
  /** Delay, in milliseconds, before every answer. */
  slow?: number;
}

/** Native status bytes (SW2 after 91), from the datasheet table. */
const ST = {
  OK: 0x00,
  OUT_OF_EEPROM: 0x0e,
  ILLEGAL_COMMAND: 0x1c,
  INTEGRITY_ERROR: 0x1e,
  NO_SUCH_KEY: 0x40,
  LENGTH_ERROR: 0x7e,
  PERMISSION_DENIED: 0x9d,
  PARAMETER_ERROR: 0x9e,
  APPLICATION_NOT_FOUND: 0xa0,
  AUTHENTICATION_ERROR: 0xae,
  ADDITIONAL_FRAME: 0xaf,
  BOUNDARY_ERROR: 0xbe,
  DUPLICATE_ERROR: 0xde,
  FILE_NOT_FOUND: 0xf0,
} as const;

const FRAME = 59;
const MAX_APPS = 28;
const EEPROM_BYTES = 8 * 1024;
const FREE = 0xe;

class CardStatus extends Error {
  constructor(readonly status: number) {
    super(`status ${status.toString(16)}`);
  }
}

function fail(status: number): never {
  throw new CardStatus(status);
}

interface AppState {
  aid: Buffer;
  keySettings: number;
  keys: { key: Buffer; version: number }[];
  files: Map<number, FileState>;
}

type FileState =
  | { type: 'std'; commMode: SimCommMode; access: SimAccessRights; data: Buffer }
  | { type: 'value'; commMode: SimCommMode; access: SimAccessRights; lower: number; upper: number; value: number; pending: number };

type AuthState =
  | { kind: 'ev1'; keyNo: number; key: Buffer; iv: Buffer }
  | { kind: 'ev2'; keyNo: number; enc: Buffer; mac: Buffer; ti: Buffer; ctr: number };

type Pending =
  | { kind: 'ev1-auth'; keyNo: number; key: Buffer; rndB: Buffer; iv: Buffer }
  | { kind: 'ev2-auth'; keyNo: number; key: Buffer; rndB: Buffer; pcdCap2: Buffer }
  | { kind: 'command-in'; cmd: number; buffer: Buffer; expected: number }
  | { kind: 'response-out'; frames: Buffer[] };

type Mode = SimCommMode | 'management' | 'none';

function modeByte(b: number): SimCommMode | undefined {
  if (b === 0x00 || b === 0x02) return 'plain';
  if (b === 0x01) return 'mac';
  if (b === 0x03) return 'full';
  return undefined;
}

function rotl(b: Buffer): Buffer {
  return Buffer.concat([b.subarray(1), b.subarray(0, 1)]);
}

function pad16Zero(n: number): number {
  return Math.ceil(n / 16) * 16;
}

export class DesfireCard implements VirtualCard {
  readonly atr = DESFIRE_ATR;
  readonly uid: Buffer;
  readonly ev2: boolean;
  /** Counters for tests. */
  readonly stats = { apdus: 0, authentications: 0, integrityFailures: 0 };
  corruptMac: boolean;
  slow: number;

  private readonly randomUid: boolean;
  private piccKey: { key: Buffer; version: number };
  private readonly piccKeySettings: number;
  private readonly apps = new Map<string, AppState>();
  private anticollisionUid: Buffer;
  private selected: AppState | undefined;
  private auth: AuthState | undefined;
  private pending: Pending | undefined;

  constructor(options: DesfireCardOptions = {}) {
    this.uid = Buffer.from(options.uid ?? Buffer.concat([Buffer.of(0x04), randomBytes(6)]));
    if (this.uid.length !== 7) throw new RangeError('DESFire UID must be 7 bytes');
    this.randomUid = options.randomUid ?? false;
    this.ev2 = options.ev2 ?? false;
    this.piccKey = { key: Buffer.from(options.piccMasterKey ?? Buffer.alloc(16)), version: options.piccKeyVersion ?? 0 };
    this.piccKeySettings = options.piccKeySettings ?? 0x0f;
    this.corruptMac = options.corruptMac ?? false;
    this.slow = options.slow ?? 0;
    for (const app of options.applications ?? []) this.addApplication(app);
    this.anticollisionUid = this.newAnticollisionUid();
  }

  /** Adds an application directly (personalisation by the test, not through commands). */
  addApplication(spec: SimApplication): void {
    if (spec.aid.length !== 3) throw new RangeError('AID must be 3 bytes');
    if (spec.keys.length < 1 || spec.keys.length > 14) throw new RangeError('1..14 keys');
    const app: AppState = {
      aid: Buffer.from(spec.aid),
      keySettings: spec.keySettings ?? 0x0f,
      keys: spec.keys.map((k) => {
        if (k.key.length !== 16) throw new RangeError('AES keys are 16 bytes');
        return { key: Buffer.from(k.key), version: k.version ?? 0 };
      }),
      files: new Map(),
    };
    for (const f of spec.files ?? []) {
      if (f.type === 'std') {
        const data = Buffer.alloc(f.size);
        f.data?.copy(data);
        app.files.set(f.fileNo, { type: 'std', commMode: f.commMode, access: { ...f.access }, data });
      } else {
        app.files.set(f.fileNo, { type: 'value', commMode: f.commMode, access: { ...f.access }, lower: f.lowerLimit, upper: f.upperLimit, value: f.value, pending: f.value });
      }
    }
    this.apps.set(app.aid.toString('hex'), app);
  }

  /** Test inspection: an application's key (or undefined). */
  keyOf(aid: Buffer, keyNo: number): { key: Buffer; version: number } | undefined {
    const k = this.apps.get(aid.toString('hex'))?.keys[keyNo];
    return k ? { key: Buffer.from(k.key), version: k.version } : undefined;
  }

  /** Test inspection: a standard file's content. */
  fileData(aid: Buffer, fileNo: number): Buffer | undefined {
    const f = this.apps.get(aid.toString('hex'))?.files.get(fileNo);
    return f?.type === 'std' ? Buffer.from(f.data) : undefined;
  }

  /** Anti-collision UID the reader sees this power-up (GET DATA FF CA). */
  get currentAnticollisionUid(): Buffer {
    return Buffer.from(this.anticollisionUid);
  }

  private newAnticollisionUid(): Buffer {
    return this.randomUid ? Buffer.concat([Buffer.of(0x08), randomBytes(3)]) : Buffer.from(this.uid);
  }

  powerOn(): void {
    this.resetVolatile();
    this.anticollisionUid = this.newAnticollisionUid();
  }

  powerOff(): void {
    this.resetVolatile();
  }

  reset(): void {
    this.resetVolatile();
  }

  private resetVolatile(): void {
    this.abortTransaction();
    this.selected = undefined;
    this.auth = undefined;
    this.pending = undefined;
  }

  private abortTransaction(): void {
    for (const app of this.apps.values()) {
      for (const f of app.files.values()) if (f.type === 'value') f.pending = f.value;
    }
  }

  processApdu(apdu: Buffer): Buffer | Promise<Buffer> {
    this.stats.apdus++;
    let out: Buffer;
    try {
      out = this.dispatch(apdu);
    } catch {
      out = Buffer.from([0x6f, 0x00]);
    }
    if (this.slow > 0) {
      const delay = this.slow;
      return new Promise((resolve) => setTimeout(() => resolve(out), delay));
    }
    return out;
  }

  private dispatch(apdu: Buffer): Buffer {
    if (apdu.length < 4) return Buffer.from([0x67, 0x00]);
    const cla = apdu[0];
    const ins = apdu[1] ?? 0;
    if (cla === 0xff && ins === 0xca) return Buffer.concat([this.anticollisionUid, Buffer.from([0x90, 0x00])]);
    if (cla === 0x00) return Buffer.from(ins === 0xa4 ? [0x6a, 0x82] : [0x6d, 0x00]);
    if (cla !== 0x90) return Buffer.from([0x6e, 0x00]);
    if (apdu[2] !== 0 || apdu[3] !== 0) return Buffer.from([0x6b, 0x00]);
    let data: Buffer;
    if (apdu.length === 4 || apdu.length === 5) data = Buffer.alloc(0);
    else {
      const lc = apdu[4] ?? 0;
      if (lc === 0 || (apdu.length !== 5 + lc && apdu.length !== 6 + lc)) return Buffer.from([0x67, 0x00]);
      data = apdu.subarray(5, 5 + lc);
    }
    return this.native(ins, Buffer.from(data));
  }

  private frame(data: Buffer, status: number): Buffer {
    return Buffer.concat([data, Buffer.of(0x91, status)]);
  }

  private native(cmd: number, data: Buffer): Buffer {
    if (data.length > FRAME) {
      this.pending = undefined;
      return this.error(ST.LENGTH_ERROR);
    }
    try {
      if (cmd === 0xaf) return this.additionalFrame(data);
      this.pending = undefined;
      return this.command(cmd, data);
    } catch (e) {
      if (e instanceof CardStatus) return this.error(e.status);
      throw e;
    }
  }

  /** Every error ends the authentication and any chaining. */
  private error(status: number): Buffer {
    this.auth = undefined;
    this.pending = undefined;
    return this.frame(Buffer.alloc(0), status);
  }

  private additionalFrame(data: Buffer): Buffer {
    const p = this.pending;
    this.pending = undefined;
    if (!p) fail(ST.ILLEGAL_COMMAND);
    switch (p.kind) {
      case 'ev1-auth':
        return this.ev1AuthStep2(p, data);
      case 'ev2-auth':
        return this.ev2AuthStep2(p, data);
      case 'response-out':
        return this.sendFrames(p.frames);
      case 'command-in': {
        const buffer = Buffer.concat([p.buffer, data]);
        if (buffer.length > p.expected) fail(ST.LENGTH_ERROR);
        if (buffer.length < p.expected) {
          this.pending = { ...p, buffer };
          return this.frame(Buffer.alloc(0), ST.ADDITIONAL_FRAME);
        }
        return this.execute(p.cmd, buffer);
      }
    }
  }

  private sendFrames(frames: Buffer[]): Buffer {
    const [first, ...rest] = frames;
    if (rest.length > 0) {
      this.pending = { kind: 'response-out', frames: rest };
      return this.frame(first ?? Buffer.alloc(0), ST.ADDITIONAL_FRAME);
    }
    return this.frame(first ?? Buffer.alloc(0), ST.OK);
  }

  /** Splits a whole response into 59-byte frames (or the given sizes) and sends the first. */
  private respond(data: Buffer, sizes?: number[]): Buffer {
    const frames: Buffer[] = [];
    let at = 0;
    for (const s of sizes ?? []) {
      frames.push(data.subarray(at, at + s));
      at += s;
    }
    while (at < data.length || frames.length === 0) {
      frames.push(data.subarray(at, at + FRAME));
      at += FRAME;
    }
    if (frames.length > 1 && sizes) {
      // The last explicit frame carries everything left (GetVersion: 7, 7, 14 + MAC).
      const last = Buffer.concat(frames.slice(sizes.length - 1));
      frames.splice(sizes.length - 1, frames.length, last);
    }
    return this.sendFrames(frames);
  }

  // ---------------------------------------------------------------- command entry

  /** First frame of a command: WriteData may announce more bytes than one frame holds. */
  private command(cmd: number, data: Buffer): Buffer {
    if (cmd === 0x3d && data.length >= 7) {
      const len = data.readUIntLE(4, 3);
      const file = this.selected?.files.get(data[0] ?? 0xff);
      if (file && len > 0 && len <= EEPROM_BYTES) {
        const mode = this.effectiveMode(file, 'write');
        const expected = 7 + this.protectedLength(len, mode);
        if (data.length < expected) {
          this.pending = { kind: 'command-in', cmd, buffer: data, expected };
          return this.frame(Buffer.alloc(0), ST.ADDITIONAL_FRAME);
        }
      }
    }
    return this.execute(cmd, data);
  }

  /** Bytes a command's data of `len` plaintext bytes takes on the wire in `mode`. */
  private protectedLength(len: number, mode: SimCommMode): number {
    const a = this.auth;
    if (!a || mode === 'plain') return len;
    if (mode === 'mac') return len + 8;
    return a.kind === 'ev1' ? pad16Zero(len + 4) : (Math.floor(len / 16) + 1) * 16 + 8;
  }

  private execute(cmd: number, payload: Buffer): Buffer {
    switch (cmd) {
      case 0xaa:
        return this.ev1AuthStep1(payload);
      case 0x71:
        if (!this.ev2) fail(ST.ILLEGAL_COMMAND);
        return this.ev2AuthStep1(payload);
      case 0x60:
        return this.getVersion(payload);
      case 0x6a:
        return this.getApplicationIds(payload);
      case 0x5a:
        return this.selectApplication(payload);
      case 0xca:
        return this.createApplication(payload);
      case 0xda:
        return this.deleteApplication(payload);
      case 0xfc:
        return this.formatPicc(payload);
      case 0x51:
        return this.getCardUid(payload);
      case 0x64:
        return this.getKeyVersion(payload);
      case 0xc4:
        return this.changeKey(payload);
      case 0xcd:
        return this.createStdDataFile(payload);
      case 0xcc:
        return this.createValueFile(payload);
      case 0xbd:
        return this.readData(payload);
      case 0x3d:
        return this.writeData(payload);
      case 0x6c:
        return this.getValue(payload);
      case 0x0c:
      case 0xdc:
        return this.creditDebit(cmd, payload);
      case 0xc7:
        return this.commit(payload);
      default:
        fail(ST.ILLEGAL_COMMAND);
    }
  }

  // ---------------------------------------------------------------- secure messaging (card side)

  /**
   * Checks and strips the protection of an incoming command. `headerLen` bytes of the payload
   * are the clear header; in full mode `plainLen(plain)` says how many plaintext bytes are data.
   * Returns header ‖ plaintext data.
   */
  private unwrapCommand(cmd: number, payload: Buffer, mode: Mode, headerLen: number, dataLen: number | undefined, crcExtra = 0): Buffer {
    const a = this.auth;
    if (!a || mode === 'none') return payload;
    if (a.kind === 'ev1') {
      if (mode === 'full' && payload.length > headerLen) {
        const header = payload.subarray(0, headerLen);
        const ct = payload.subarray(headerLen);
        if (ct.length % 16 !== 0 || dataLen === undefined) fail(ST.LENGTH_ERROR);
        if (ct.length !== pad16Zero(dataLen + 4 + crcExtra)) fail(ST.LENGTH_ERROR);
        const pt = aesCbcDecrypt(a.key, a.iv, ct);
        a.iv = Buffer.from(ct.subarray(ct.length - 16));
        const data = pt.subarray(0, dataLen);
        const crc = pt.subarray(dataLen, dataLen + 4);
        const expected = crc32DesfireBytes(Buffer.of(cmd), header, data);
        if (!expected.equals(crc) || !pt.subarray(dataLen + 4 + crcExtra).every((b) => b === 0)) this.integrityFail();
        // header ‖ data ‖ extra (the ChangeKey CRC of the new key), without the command CRC.
        return Buffer.concat([header, data, pt.subarray(dataLen + 4, dataLen + 4 + crcExtra)]);
      }
      if (mode === 'mac' && payload.length > headerLen) {
        if (payload.length < headerLen + 8) fail(ST.LENGTH_ERROR);
        const body = payload.subarray(0, payload.length - 8);
        const tag = aesCmacWithIv(a.key, a.iv, Buffer.concat([Buffer.of(cmd), body]));
        if (!timingSafeEqual(tag.subarray(0, 8), payload.subarray(payload.length - 8))) this.integrityFail();
        a.iv = tag;
        return body;
      }
      a.iv = aesCmacWithIv(a.key, a.iv, Buffer.concat([Buffer.of(cmd), payload]));
      return payload;
    }
    // EV2
    if (mode === 'plain') return payload;
    if (payload.length < headerLen + 8) fail(ST.LENGTH_ERROR);
    const body = payload.subarray(0, payload.length - 8);
    const expectedMac = this.ev2Mac(a, Buffer.concat([Buffer.of(cmd), this.le16(a.ctr), a.ti, body]));
    if (!timingSafeEqual(expectedMac, payload.subarray(payload.length - 8))) this.integrityFail();
    if (mode !== 'full' || body.length === headerLen) return body;
    const ct = body.subarray(headerLen);
    if (ct.length % 16 !== 0) fail(ST.LENGTH_ERROR);
    const pt = aesCbcDecrypt(a.enc, this.ev2Iv(a, 0xa5, 0x5a, a.ctr), ct);
    let end = pt.length - 1;
    while (end >= 0 && pt[end] === 0) end--;
    if (end < 0 || pt[end] !== 0x80 || pt.length - end > 16) this.integrityFail();
    if (dataLen !== undefined && end !== dataLen) fail(ST.LENGTH_ERROR);
    return Buffer.concat([body.subarray(0, headerLen), pt.subarray(0, end)]);
  }

  private integrityFail(): never {
    this.stats.integrityFailures++;
    fail(ST.INTEGRITY_ERROR);
  }

  /** Protects a successful answer and frames it. */
  private answer(data: Buffer, mode: Mode, sizes?: number[]): Buffer {
    const a = this.auth;
    if (!a || mode === 'none') return this.respond(data, sizes);
    if (a.kind === 'ev1') {
      if (mode === 'full') {
        const crc = crc32DesfireBytes(data, Buffer.of(0x00));
        if (this.corruptMac) crc[0] = (crc[0] ?? 0) ^ 0x01;
        const pt = Buffer.alloc(pad16Zero(data.length + 4));
        Buffer.concat([data, crc]).copy(pt);
        const ct = aesCbcEncrypt(a.key, a.iv, pt);
        a.iv = Buffer.from(ct.subarray(ct.length - 16));
        return this.respond(ct, sizes);
      }
      const tag = aesCmacWithIv(a.key, a.iv, Buffer.concat([data, Buffer.of(0x00)]));
      a.iv = tag;
      const mac = Buffer.from(tag.subarray(0, 8));
      if (this.corruptMac) mac[0] = (mac[0] ?? 0) ^ 0x01;
      return this.respond(Buffer.concat([data, mac]), sizes);
    }
    a.ctr = (a.ctr + 1) & 0xffff;
    if (mode === 'plain') return this.respond(data, sizes);
    let body = data;
    if (mode === 'full' && data.length > 0) {
      const pt = Buffer.alloc((Math.floor(data.length / 16) + 1) * 16);
      data.copy(pt);
      pt[data.length] = 0x80;
      body = aesCbcEncrypt(a.enc, this.ev2Iv(a, 0x5a, 0xa5, a.ctr), pt);
    }
    const mac = this.ev2Mac(a, Buffer.concat([Buffer.of(0x00), this.le16(a.ctr), a.ti, body]));
    if (this.corruptMac) mac[0] = (mac[0] ?? 0) ^ 0x01;
    return this.respond(Buffer.concat([body, mac]), sizes);
  }

  private le16(n: number): Buffer {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n & 0xffff);
    return b;
  }

  private ev2Mac(a: { mac: Buffer }, message: Buffer): Buffer {
    const full = aesCmac(a.mac, message);
    return Buffer.from([1, 3, 5, 7, 9, 11, 13, 15].map((i) => full[i] ?? 0));
  }

  private ev2Iv(a: { enc: Buffer; ti: Buffer }, l0: number, l1: number, ctr: number): Buffer {
    return aesEcbEncrypt(a.enc, Buffer.concat([Buffer.of(l0, l1), a.ti, this.le16(ctr), Buffer.alloc(8)]));
  }

  // ---------------------------------------------------------------- authentication

  private keyFor(keyNo: number): { key: Buffer; version: number } {
    if (!this.selected) {
      if (keyNo !== 0) fail(ST.NO_SUCH_KEY);
      return this.piccKey;
    }
    return this.selected.keys[keyNo] ?? fail(ST.NO_SUCH_KEY);
  }

  private ev1AuthStep1(payload: Buffer): Buffer {
    this.auth = undefined;
    if (payload.length !== 1) fail(ST.LENGTH_ERROR);
    const keyNo = payload[0] ?? 0;
    const { key } = this.keyFor(keyNo);
    const rndB = randomBytes(16);
    const ek = aesCbcEncrypt(key, Buffer.alloc(16), rndB);
    this.pending = { kind: 'ev1-auth', keyNo, key: Buffer.from(key), rndB, iv: ek };
    return this.frame(ek, ST.ADDITIONAL_FRAME);
  }

  private ev1AuthStep2(p: Extract<Pending, { kind: 'ev1-auth' }>, data: Buffer): Buffer {
    if (data.length !== 32) fail(ST.LENGTH_ERROR);
    const pt = aesCbcDecrypt(p.key, p.iv, data);
    const rndA = pt.subarray(0, 16);
    if (!pt.subarray(16).equals(rotl(p.rndB))) fail(ST.AUTHENTICATION_ERROR);
    const answer = aesCbcEncrypt(p.key, data.subarray(16), rotl(rndA));
    const sessionKey = Buffer.concat([rndA.subarray(0, 4), p.rndB.subarray(0, 4), rndA.subarray(12, 16), p.rndB.subarray(12, 16)]);
    this.auth = { kind: 'ev1', keyNo: p.keyNo, key: sessionKey, iv: Buffer.alloc(16) };
    this.stats.authentications++;
    return this.frame(answer, ST.OK);
  }

  private ev2AuthStep1(payload: Buffer): Buffer {
    this.auth = undefined;
    if (payload.length < 2) fail(ST.LENGTH_ERROR);
    const keyNo = payload[0] ?? 0;
    const lenCap = payload[1] ?? 0;
    if (lenCap > 6 || payload.length !== 2 + lenCap) fail(ST.LENGTH_ERROR);
    const pcdCap2 = Buffer.alloc(6);
    payload.subarray(2).copy(pcdCap2);
    const { key } = this.keyFor(keyNo);
    const rndB = randomBytes(16);
    this.pending = { kind: 'ev2-auth', keyNo, key: Buffer.from(key), rndB, pcdCap2 };
    return this.frame(aesCbcEncrypt(key, Buffer.alloc(16), rndB), ST.ADDITIONAL_FRAME);
  }

  private ev2AuthStep2(p: Extract<Pending, { kind: 'ev2-auth' }>, data: Buffer): Buffer {
    if (data.length !== 32) fail(ST.LENGTH_ERROR);
    const zero = Buffer.alloc(16);
    const pt = aesCbcDecrypt(p.key, zero, data);
    const rndA = pt.subarray(0, 16);
    if (!pt.subarray(16).equals(rotl(p.rndB))) fail(ST.AUTHENTICATION_ERROR);
    const ti = randomBytes(4);
    const pdCap2 = Buffer.alloc(6);
    const answer = aesCbcEncrypt(p.key, zero, Buffer.concat([ti, rotl(rndA), pdCap2, p.pcdCap2]));
    // SV = label ‖ 00 01 00 80 ‖ RndA[15..14] ‖ (RndA[13..8] ⊕ RndB[15..10]) ‖ RndB[9..0] ‖ RndA[7..0]
    const tail = Buffer.alloc(26);
    rndA.copy(tail, 0, 0, 2);
    for (let i = 0; i < 6; i++) tail[2 + i] = (rndA[2 + i] ?? 0) ^ (p.rndB[i] ?? 0);
    p.rndB.copy(tail, 8, 6, 16);
    rndA.copy(tail, 18, 8, 16);
    const enc = aesCmac(p.key, Buffer.concat([Buffer.from('A55A00010080', 'hex'), tail]));
    const mac = aesCmac(p.key, Buffer.concat([Buffer.from('5AA500010080', 'hex'), tail]));
    this.auth = { kind: 'ev2', keyNo: p.keyNo, enc, mac, ti, ctr: 0 };
    this.stats.authentications++;
    return this.frame(answer, ST.OK);
  }

  // ---------------------------------------------------------------- PICC and application commands

  private requirePiccMaster(): void {
    if (this.selected || !this.auth || this.auth.keyNo !== 0) fail(ST.AUTHENTICATION_ERROR);
  }

  private getVersion(payload: Buffer): Buffer {
    this.unwrapCommand(0x60, payload, 'management', 0, 0);
    const major = this.ev2 ? 0x12 : 0x01;
    const hw = Buffer.from([0x04, 0x01, 0x01, major, 0x00, 0x18, 0x05]);
    const sw = Buffer.from([0x04, 0x01, 0x01, major, this.ev2 ? 0x00 : 0x04, 0x18, 0x05]);
    const uid = this.randomUid ? Buffer.alloc(7) : this.uid;
    const prod = Buffer.concat([uid, Buffer.from('BA7C4E0012', 'hex'), Buffer.of(0x2c, 0x19)]);
    return this.answer(Buffer.concat([hw, sw, prod]), 'management', [7, 7, 14]);
  }

  private getApplicationIds(payload: Buffer): Buffer {
    this.unwrapCommand(0x6a, payload, 'management', 0, 0);
    if (this.selected) fail(ST.PERMISSION_DENIED);
    if ((this.piccKeySettings & 0x02) === 0) this.requirePiccMaster();
    return this.answer(Buffer.concat([...this.apps.values()].map((a) => a.aid)), 'management');
  }

  private selectApplication(payload: Buffer): Buffer {
    this.auth = undefined;
    this.abortTransaction();
    if (payload.length !== 3) fail(ST.LENGTH_ERROR);
    if (payload.equals(Buffer.alloc(3))) {
      this.selected = undefined;
      return this.frame(Buffer.alloc(0), ST.OK);
    }
    const app = this.apps.get(payload.toString('hex'));
    if (!app) {
      this.selected = undefined;
      fail(ST.APPLICATION_NOT_FOUND);
    }
    this.selected = app;
    return this.frame(Buffer.alloc(0), ST.OK);
  }

  private usedBytes(): number {
    let n = 0;
    for (const app of this.apps.values()) for (const f of app.files.values()) n += f.type === 'std' ? f.data.length : 32;
    return n;
  }

  private createApplication(payload: Buffer): Buffer {
    const p = this.unwrapCommand(0xca, payload, 'management', 5, 0);
    if (p.length !== 5) fail(ST.LENGTH_ERROR);
    if (this.selected) fail(ST.PERMISSION_DENIED);
    if ((this.piccKeySettings & 0x04) === 0) this.requirePiccMaster();
    const aid = p.subarray(0, 3);
    const ks2 = p[4] ?? 0;
    const n = ks2 & 0x0f;
    if ((ks2 & 0xc0) !== 0x80 || n < 1 || n > 14 || aid.equals(Buffer.alloc(3))) fail(ST.PARAMETER_ERROR);
    if (this.apps.has(aid.toString('hex'))) fail(ST.DUPLICATE_ERROR);
    if (this.apps.size >= MAX_APPS) fail(ST.OUT_OF_EEPROM);
    this.addApplication({ aid, keySettings: p[3] ?? 0, keys: Array.from({ length: n }, () => ({ key: Buffer.alloc(16) })) });
    return this.answer(Buffer.alloc(0), 'management');
  }

  private deleteApplication(payload: Buffer): Buffer {
    const p = this.unwrapCommand(0xda, payload, 'management', 3, 0);
    if (p.length !== 3) fail(ST.LENGTH_ERROR);
    this.requirePiccMaster();
    if (!this.apps.delete(p.toString('hex'))) fail(ST.APPLICATION_NOT_FOUND);
    return this.answer(Buffer.alloc(0), 'management');
  }

  private formatPicc(payload: Buffer): Buffer {
    this.unwrapCommand(0xfc, payload, 'management', 0, 0);
    this.requirePiccMaster();
    this.apps.clear();
    return this.answer(Buffer.alloc(0), 'management');
  }

  private getCardUid(payload: Buffer): Buffer {
    if (!this.auth) fail(ST.AUTHENTICATION_ERROR);
    this.unwrapCommand(0x51, payload, 'full', 0, 0);
    return this.answer(Buffer.from(this.uid), 'full');
  }

  private getKeyVersion(payload: Buffer): Buffer {
    const p = this.unwrapCommand(0x64, payload, 'management', 1, 0);
    if (p.length !== 1) fail(ST.LENGTH_ERROR);
    const keyNo = (p[0] ?? 0) & 0x3f;
    const k = this.keyFor(keyNo);
    return this.answer(Buffer.of(k.version), 'management');
  }

  private changeKey(payload: Buffer): Buffer {
    const a = this.auth;
    if (!a) fail(ST.AUTHENTICATION_ERROR);
    if (payload.length < 1) fail(ST.LENGTH_ERROR);
    const keyByte = payload[0] ?? 0;
    const keyNo = this.selected ? keyByte : keyByte & 0x3f;
    const target = this.keyFor(keyNo);
    const same = keyNo === a.keyNo;
    // Who may change this key (KeySettings1 bits 7-4 and bit 0).
    if (this.selected) {
      const ks = this.selected.keySettings;
      const right = ks >> 4;
      if (keyNo === 0) {
        if (a.keyNo !== 0 || (ks & 0x01) === 0) fail(ST.PERMISSION_DENIED);
      } else if (right === 0xf) fail(ST.PERMISSION_DENIED);
      else if (right === 0xe ? !same : a.keyNo !== right) fail(ST.PERMISSION_DENIED);
    } else if (a.keyNo !== 0 || (this.piccKeySettings & 0x01) === 0) fail(ST.PERMISSION_DENIED);
    const dataLen = a.kind === 'ev1' ? 17 : same ? 17 : 21;
    const crcExtra = a.kind === 'ev1' && !same ? 4 : 0;
    const p = this.unwrapCommand(0xc4, payload, 'full', 1, dataLen, crcExtra);
    let newKey: Buffer;
    let version: number;
    if (same) {
      newKey = Buffer.from(p.subarray(1, 17));
      version = p[17] ?? 0;
    } else {
      newKey = Buffer.alloc(16);
      for (let i = 0; i < 16; i++) newKey[i] = (p[1 + i] ?? 0) ^ (target.key[i] ?? 0);
      version = p[17] ?? 0;
      // CRC32 of the new key: EV1 after the cryptogram's CRC (handed back as extra), EV2 in the data.
      if (!crc32DesfireBytes(newKey).equals(p.subarray(18, 22))) this.integrityFail();
    }
    target.key.fill(0);
    newKey.copy(target.key);
    target.version = version;
    if (same) {
      this.auth = undefined;
      return this.frame(Buffer.alloc(0), ST.OK);
    }
    return this.answer(Buffer.alloc(0), 'management');
  }

  // ---------------------------------------------------------------- files

  private requireApp(): AppState {
    return this.selected ?? fail(ST.PERMISSION_DENIED);
  }

  private requireFileManagement(app: AppState): void {
    if ((app.keySettings & 0x04) === 0 && (!this.auth || this.auth.keyNo !== 0)) fail(ST.PERMISSION_DENIED);
  }

  private parseCreateCommon(p: Buffer): { fileNo: number; commMode: SimCommMode; access: SimAccessRights } {
    const fileNo = p[0] ?? 0;
    const commMode = modeByte(p[1] ?? 0xff);
    if (fileNo > 0x1f || !commMode) fail(ST.PARAMETER_ERROR);
    const b0 = p[2] ?? 0;
    const b1 = p[3] ?? 0;
    return { fileNo, commMode, access: { read: b0 >> 4, write: b0 & 0x0f, readWrite: b1 >> 4, change: b1 & 0x0f } };
  }

  private createStdDataFile(payload: Buffer): Buffer {
    const p = this.unwrapCommand(0xcd, payload, 'management', 7, 0);
    if (p.length !== 7) fail(ST.LENGTH_ERROR);
    const app = this.requireApp();
    this.requireFileManagement(app);
    const c = this.parseCreateCommon(p);
    const size = p.readUIntLE(4, 3);
    if (size === 0) fail(ST.PARAMETER_ERROR);
    if (app.files.has(c.fileNo)) fail(ST.DUPLICATE_ERROR);
    if (this.usedBytes() + size > EEPROM_BYTES) fail(ST.OUT_OF_EEPROM);
    app.files.set(c.fileNo, { type: 'std', commMode: c.commMode, access: c.access, data: Buffer.alloc(size) });
    return this.answer(Buffer.alloc(0), 'management');
  }

  private createValueFile(payload: Buffer): Buffer {
    const p = this.unwrapCommand(0xcc, payload, 'management', 17, 0);
    if (p.length !== 17) fail(ST.LENGTH_ERROR);
    const app = this.requireApp();
    this.requireFileManagement(app);
    const c = this.parseCreateCommon(p);
    const lower = p.readInt32LE(4);
    const upper = p.readInt32LE(8);
    const value = p.readInt32LE(12);
    if (lower > upper || value < lower || value > upper) fail(ST.BOUNDARY_ERROR);
    if (app.files.has(c.fileNo)) fail(ST.DUPLICATE_ERROR);
    if (this.usedBytes() + 32 > EEPROM_BYTES) fail(ST.OUT_OF_EEPROM);
    app.files.set(c.fileNo, { type: 'value', commMode: c.commMode, access: c.access, lower, upper, value, pending: value });
    return this.answer(Buffer.alloc(0), 'management');
  }

  /**
   * The communication mode that applies: the file's own when access goes through an
   * authenticated key, plain when it is granted only by free access (E).
   * Throws permission_denied / authentication_error when access is not granted.
   */
  private effectiveMode(file: FileState, op: 'read' | 'write' | 'credit'): SimCommMode {
    const rights =
      op === 'read'
        ? [file.access.read, file.access.readWrite, ...(file.type === 'value' ? [file.access.write] : [])]
        : op === 'write'
          ? [file.access.write, file.access.readWrite]
          : [file.access.readWrite];
    const a = this.auth;
    if (a && rights.includes(a.keyNo)) return file.commMode;
    if (rights.includes(FREE)) return 'plain';
    if (!a) fail(ST.AUTHENTICATION_ERROR);
    fail(ST.PERMISSION_DENIED);
  }

  private file(app: AppState, fileNo: number): FileState {
    return app.files.get(fileNo) ?? fail(ST.FILE_NOT_FOUND);
  }

  /** A read command carries no data: EV1 only tracks its CMAC, EV2 MACs it unless plain. */
  private readCommandMode(mode: SimCommMode): Mode {
    return this.auth?.kind === 'ev1' ? 'plain' : mode;
  }

  private readData(payload: Buffer): Buffer {
    const app = this.requireApp();
    if (payload.length < 7) fail(ST.LENGTH_ERROR);
    const f = this.file(app, payload[0] ?? 0);
    if (f.type !== 'std') fail(ST.PARAMETER_ERROR);
    const mode = this.effectiveMode(f, 'read');
    const p = this.unwrapCommand(0xbd, payload, this.readCommandMode(mode), 7, 0);
    if (p.length !== 7) fail(ST.LENGTH_ERROR);
    const offset = p.readUIntLE(1, 3);
    let length = p.readUIntLE(4, 3);
    if (length === 0) length = f.data.length - offset;
    if (offset >= f.data.length || offset + length > f.data.length) fail(ST.BOUNDARY_ERROR);
    return this.answer(Buffer.from(f.data.subarray(offset, offset + length)), mode);
  }

  private writeData(payload: Buffer): Buffer {
    const app = this.requireApp();
    if (payload.length < 7) fail(ST.LENGTH_ERROR);
    const f = this.file(app, payload[0] ?? 0);
    if (f.type !== 'std') fail(ST.PARAMETER_ERROR);
    const mode = this.effectiveMode(f, 'write');
    const length = payload.readUIntLE(4, 3);
    const p = this.unwrapCommand(0x3d, payload, mode, 7, length);
    const offset = p.readUIntLE(1, 3);
    if (length === 0 || p.length !== 7 + length) fail(ST.LENGTH_ERROR);
    if (offset + length > f.data.length) fail(ST.BOUNDARY_ERROR);
    p.copy(f.data, offset, 7);
    return this.answer(Buffer.alloc(0), mode === 'plain' ? 'plain' : 'mac');
  }

  private getValue(payload: Buffer): Buffer {
    const app = this.requireApp();
    if (payload.length < 1) fail(ST.LENGTH_ERROR);
    const f = this.file(app, payload[0] ?? 0);
    if (f.type !== 'value') fail(ST.PARAMETER_ERROR);
    const mode = this.effectiveMode(f, 'read');
    const p = this.unwrapCommand(0x6c, payload, this.readCommandMode(mode), 1, 0);
    if (p.length !== 1) fail(ST.LENGTH_ERROR);
    const out = Buffer.alloc(4);
    out.writeInt32LE(f.value);
    return this.answer(out, mode);
  }

  private creditDebit(cmd: number, payload: Buffer): Buffer {
    const app = this.requireApp();
    if (payload.length < 1) fail(ST.LENGTH_ERROR);
    const f = this.file(app, payload[0] ?? 0);
    if (f.type !== 'value') fail(ST.PARAMETER_ERROR);
    const mode = this.effectiveMode(f, cmd === 0x0c ? 'credit' : 'read');
    const p = this.unwrapCommand(cmd, payload, mode, 1, 4);
    if (p.length !== 5) fail(ST.LENGTH_ERROR);
    const amount = p.readInt32LE(1);
    if (amount < 0) fail(ST.PARAMETER_ERROR);
    const next = cmd === 0x0c ? f.pending + amount : f.pending - amount;
    if (next > f.upper || next < f.lower) fail(ST.BOUNDARY_ERROR);
    f.pending = next;
    return this.answer(Buffer.alloc(0), mode === 'plain' ? 'plain' : 'mac');
  }

  private commit(payload: Buffer): Buffer {
    const app = this.requireApp();
    this.unwrapCommand(0xc7, payload, 'management', 0, 0);
    if (payload.length !== (this.auth?.kind === 'ev2' ? 8 : 0)) fail(ST.LENGTH_ERROR);
    for (const f of app.files.values()) if (f.type === 'value') f.value = f.pending;
    return this.answer(Buffer.alloc(0), 'management');
  }
}
