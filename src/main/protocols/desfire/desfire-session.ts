/**
 * A conversation with one DESFire card over a `CardChannel`: selected application,
 * authentication state and secure messaging, and the native commands Tessera uses.
 *
 * Every card error (91xx other than 00/AF), every integrity failure and every transport failure
 * during a secured command drops the authentication, as the card itself does on errors; the
 * caller authenticates again. Keys passed in are
 * copied where needed and never kept beyond the session; `close()` wipes the session keys.
 */
import type { CardChannel } from '../../transports/card-channel.js';
import { crc32DesfireBytes } from '../crypto/crc32.js';
import { authenticateAesEv1, authenticateEv2First, type AuthKey, type RandomSource } from './authenticate.js';
import {
  CMD,
  COMM_MODE_BYTE,
  encodeAccessRights,
  KEY_SETTINGS2_AES,
  PICC_AID,
  type AccessRights,
  type CommMode,
} from './constants.js';
import { DesfireError } from './desfire-error.js';
import { exchangeNative, type ChainingLimits } from './frames.js';
import type { CommandMode, ResponseMode, SecureChannel } from './secure-messaging.js';
import { parseVersion, type DesfireVersion } from './version.js';

export interface DesfireSessionOptions extends ChainingLimits {
  /** RndA source (tests only). */
  readonly random?: RandomSource;
}

export interface AuthState {
  readonly kind: 'ev1' | 'ev2';
  readonly keyNo: number;
  /** EV2 transaction identifier. */
  readonly ti?: Buffer;
}

export interface CreateApplicationOptions {
  /** KeySettings1 (change-key right, configuration changeable, free create/delete, free listing, master key changeable). Default 0x0F. */
  readonly keySettings?: number;
  /** Number of AES keys, 1..14. */
  readonly numberOfKeys: number;
}

export interface StdDataFileOptions {
  readonly commMode: CommMode;
  readonly access: AccessRights;
  readonly size: number;
}

export interface ValueFileOptions {
  readonly commMode: CommMode;
  readonly access: AccessRights;
  readonly lowerLimit: number;
  readonly upperLimit: number;
  readonly value: number;
  readonly limitedCredit?: boolean;
}

interface RunOptions {
  readonly cmdMode: CommandMode;
  readonly respMode: ResponseMode;
  readonly expectedLength?: number;
  readonly ev1CrcSuffix?: Buffer;
}

const MAX_FILE_OFFSET = 0xffffff;

function u24(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > MAX_FILE_OFFSET) throw new DesfireError('invalid_argument', `${what} ${n} out of range`);
  const b = Buffer.alloc(3);
  b.writeUIntLE(n, 0, 3);
  return b;
}

function i32(n: number, what: string): Buffer {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new DesfireError('invalid_argument', `${what} ${n} out of int32 range`);
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

function fileNo(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x1f) throw new DesfireError('invalid_argument', `file number ${n} out of range 0..31`);
  return Buffer.of(n);
}

function checkAid(aid: Buffer): void {
  if (aid.length !== 3) throw new DesfireError('invalid_argument', `AID must be 3 bytes, got ${aid.length}`);
}

function keyBytes(key: Buffer, what: string): void {
  if (key.length !== 16) throw new DesfireError('invalid_argument', `${what} must be a 16-byte AES key`);
}

export class DesfireSession {
  private sm: SecureChannel | undefined;
  private auth: AuthState | undefined;
  private aid: Buffer = Buffer.from(PICC_AID);

  constructor(
    readonly channel: CardChannel,
    private readonly options: DesfireSessionOptions = {},
  ) {}

  /** Current authentication, or undefined. */
  get authentication(): AuthState | undefined {
    return this.auth;
  }

  /** AID selected last (wire order); 000000 is the PICC level. */
  get selectedAid(): Buffer {
    return Buffer.from(this.aid);
  }

  /** Forget the authentication and wipe the session keys. */
  dropAuthentication(): void {
    this.sm?.wipe();
    this.sm = undefined;
    this.auth = undefined;
  }

  close(): void {
    this.dropAuthentication();
  }

  private async run(cmd: number, header: Buffer, data: Buffer, o: RunOptions): Promise<Buffer> {
    const sm = this.sm;
    if (!sm) {
      const needsAuth = o.cmdMode === 'mac' || o.cmdMode === 'full' || o.respMode === 'mac' || o.respMode === 'full';
      if (needsAuth) throw new DesfireError('not_authenticated', `CMD=${cmd.toString(16)} in MAC/full mode needs an authentication`, { cmd });
      return exchangeNative(this.channel, cmd, Buffer.concat([header, data]), this.options);
    }
    try {
      const payload = sm.protectCommand(cmd, header, data, o.cmdMode, { ev1CrcSuffix: o.ev1CrcSuffix });
      const answer = exchangeNative(this.channel, cmd, payload, this.options);
      answer.catch(() => undefined); // awaited just below
      sm.prepareResponse(o.respMode); // while the command travels
      const response = await answer;
      return sm.unprotectResponse(response, o.respMode, { expectedLength: o.expectedLength });
    } catch (e) {
      // The card drops its authentication on any error; so do we, and on integrity failures.
      // A transport failure leaves the IV / counter state unknown: the session is over too.
      this.dropAuthentication();
      throw e;
    }
  }

  // ---- Identification -------------------------------------------------------------------

  async getVersion(): Promise<DesfireVersion> {
    return parseVersion(await this.run(CMD.GET_VERSION, Buffer.alloc(0), Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' }));
  }

  /** AIDs on the card, each 3 bytes in wire order. */
  async getApplicationIds(): Promise<Buffer[]> {
    const data = await this.run(CMD.GET_APPLICATION_IDS, Buffer.alloc(0), Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
    if (data.length % 3 !== 0) throw new DesfireError('card_data_invalid', `GetApplicationIDs answered ${data.length} bytes, not a multiple of 3`);
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += 3) out.push(Buffer.from(data.subarray(i, i + 3)));
    return out;
  }

  /** Select an application (or 000000 for the PICC level). Drops the authentication. */
  async selectApplication(aid: Buffer): Promise<void> {
    checkAid(aid);
    this.dropAuthentication();
    this.aid = Buffer.from(PICC_AID); // until the card confirms the new selection
    const data = await exchangeNative(this.channel, CMD.SELECT_APPLICATION, aid, this.options);
    if (data.length !== 0) throw new DesfireError('card_data_invalid', 'SelectApplication answered data');
    this.aid = Buffer.from(aid);
  }

  /** The real 7-byte UID (enciphered answer, needs an authentication). */
  async getCardUid(): Promise<Buffer> {
    return this.run(CMD.GET_CARD_UID, Buffer.alloc(0), Buffer.alloc(0), { cmdMode: 'full', respMode: 'full', expectedLength: 7 });
  }

  async getKeyVersion(keyNo: number): Promise<number> {
    if (!Number.isInteger(keyNo) || keyNo < 0 || keyNo > 0xff) throw new DesfireError('invalid_argument', 'key number out of range');
    const data = await this.run(CMD.GET_KEY_VERSION, Buffer.of(keyNo), Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
    if (data.length !== 1) throw new DesfireError('card_data_invalid', `GetKeyVersion answered ${data.length} bytes`);
    return data[0] ?? 0;
  }

  // ---- Authentication -------------------------------------------------------------------

  /** EV1 AuthenticateAES with `key` (not kept: the caller wipes it; a fetch function runs once the first frame is sent). */
  async authenticateAes(keyNo: number, key: AuthKey): Promise<void> {
    this.dropAuthentication();
    const result = await authenticateAesEv1(this.channel, keyNo, key, this.options.random);
    this.sm = result.channel;
    this.auth = { kind: 'ev1', keyNo };
  }

  /** EV2 AuthenticateEV2First with `key` (not kept: the caller wipes it; a fetch function runs once the first frame is sent). */
  async authenticateEv2First(keyNo: number, key: AuthKey, pcdCap2?: Buffer): Promise<{ pdCap2: Buffer; pcdCap2: Buffer }> {
    this.dropAuthentication();
    const result = await authenticateEv2First(this.channel, keyNo, key, {
      ...(pcdCap2 ? { pcdCap2 } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    this.sm = result.channel;
    this.auth = { kind: 'ev2', keyNo, ti: result.ti };
    return { pdCap2: result.pdCap2, pcdCap2: result.pcdCap2 };
  }

  /**
   * ChangeKey (0xC4). `keyNo` is the byte sent: at the PICC level pass `0x80` (AES PICC master
   * key). Changing the key of the current authentication needs no `oldKey` and ends the
   * authentication; changing another key needs its current value `oldKey`.
   */
  async changeKey(keyNo: number, newKey: Buffer, newKeyVersion: number, oldKey?: Buffer): Promise<void> {
    const auth = this.auth;
    if (!auth || !this.sm) throw new DesfireError('not_authenticated', 'ChangeKey needs an authentication', { cmd: CMD.CHANGE_KEY });
    keyBytes(newKey, 'new key');
    if (!Number.isInteger(newKeyVersion) || newKeyVersion < 0 || newKeyVersion > 0xff) throw new DesfireError('invalid_argument', 'key version out of range');
    if (!Number.isInteger(keyNo) || keyNo < 0 || keyNo > 0xff) throw new DesfireError('invalid_argument', 'key number out of range');
    const sameKey = (keyNo & 0x3f) === auth.keyNo;
    const header = Buffer.of(keyNo);
    if (sameKey) {
      const data = Buffer.concat([newKey, Buffer.of(newKeyVersion)]);
      try {
        await this.run(CMD.CHANGE_KEY, header, data, { cmdMode: 'full', respMode: 'none' });
      } finally {
        data.fill(0);
        this.dropAuthentication();
      }
      return;
    }
    if (!oldKey) throw new DesfireError('invalid_argument', 'changing another key needs its current value');
    keyBytes(oldKey, 'old key');
    const xored = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) xored[i] = (newKey[i] ?? 0) ^ (oldKey[i] ?? 0);
    const crcNew = crc32DesfireBytes(newKey);
    const data =
      auth.kind === 'ev1' ? Buffer.concat([xored, Buffer.of(newKeyVersion)]) : Buffer.concat([xored, Buffer.of(newKeyVersion), crcNew]);
    try {
      await this.run(CMD.CHANGE_KEY, header, data, {
        cmdMode: 'full',
        respMode: 'management',
        ...(auth.kind === 'ev1' ? { ev1CrcSuffix: crcNew } : {}),
      });
    } finally {
      xored.fill(0);
      data.fill(0);
      crcNew.fill(0);
    }
  }

  // ---- Applications ---------------------------------------------------------------------

  async createApplication(aid: Buffer, o: CreateApplicationOptions): Promise<void> {
    checkAid(aid);
    if (!Number.isInteger(o.numberOfKeys) || o.numberOfKeys < 1 || o.numberOfKeys > 14) {
      throw new DesfireError('invalid_argument', 'an application holds 1..14 keys');
    }
    const ks1 = o.keySettings ?? 0x0f;
    if (!Number.isInteger(ks1) || ks1 < 0 || ks1 > 0xff) throw new DesfireError('invalid_argument', 'key settings out of range');
    const header = Buffer.concat([aid, Buffer.of(ks1, KEY_SETTINGS2_AES | o.numberOfKeys)]);
    await this.run(CMD.CREATE_APPLICATION, header, Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
  }

  async deleteApplication(aid: Buffer): Promise<void> {
    checkAid(aid);
    await this.run(CMD.DELETE_APPLICATION, Buffer.from(aid), Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
  }

  /** FormatPICC: erases every application (PICC master key authentication required). */
  async formatPicc(): Promise<void> {
    await this.run(CMD.FORMAT_PICC, Buffer.alloc(0), Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
  }

  // ---- Files ----------------------------------------------------------------------------

  async createStdDataFile(file: number, o: StdDataFileOptions): Promise<void> {
    if (o.size < 1) throw new DesfireError('invalid_argument', 'file size must be at least 1 byte');
    const header = Buffer.concat([fileNo(file), Buffer.of(COMM_MODE_BYTE[o.commMode]), encodeAccessRights(o.access), u24(o.size, 'file size')]);
    await this.run(CMD.CREATE_STD_DATA_FILE, header, Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
  }

  async createValueFile(file: number, o: ValueFileOptions): Promise<void> {
    if (o.lowerLimit > o.upperLimit || o.value < o.lowerLimit || o.value > o.upperLimit) {
      throw new DesfireError('invalid_argument', 'value file limits must satisfy lower <= value <= upper');
    }
    const header = Buffer.concat([
      fileNo(file),
      Buffer.of(COMM_MODE_BYTE[o.commMode]),
      encodeAccessRights(o.access),
      i32(o.lowerLimit, 'lower limit'),
      i32(o.upperLimit, 'upper limit'),
      i32(o.value, 'value'),
      Buffer.of(o.limitedCredit ? 1 : 0),
    ]);
    await this.run(CMD.CREATE_VALUE_FILE, header, Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
  }

  /** ReadData of `length` (≥ 1) bytes at `offset`, in the file's communication mode. */
  async readData(file: number, offset: number, length: number, mode: CommMode): Promise<Buffer> {
    if (!Number.isInteger(length) || length < 1) throw new DesfireError('invalid_argument', 'read length must be at least 1');
    const header = Buffer.concat([fileNo(file), u24(offset, 'offset'), u24(length, 'length')]);
    const data = await this.run(CMD.READ_DATA, header, Buffer.alloc(0), {
      cmdMode: this.readCommandMode(mode),
      respMode: mode,
      expectedLength: length,
    });
    if (data.length !== length) {
      this.dropAuthentication();
      throw new DesfireError('card_data_invalid', `ReadData answered ${data.length} bytes, expected ${length}`, { cmd: CMD.READ_DATA });
    }
    return data;
  }

  async writeData(file: number, offset: number, data: Buffer, mode: CommMode): Promise<void> {
    if (data.length < 1) throw new DesfireError('invalid_argument', 'nothing to write');
    const header = Buffer.concat([fileNo(file), u24(offset, 'offset'), u24(data.length, 'length')]);
    await this.run(CMD.WRITE_DATA, header, data, { cmdMode: mode, respMode: this.writeResponseMode(mode) });
  }

  // ---- Value files ----------------------------------------------------------------------

  async getValue(file: number, mode: CommMode): Promise<number> {
    const data = await this.run(CMD.GET_VALUE, fileNo(file), Buffer.alloc(0), {
      cmdMode: this.readCommandMode(mode),
      respMode: mode,
      expectedLength: 4,
    });
    if (data.length !== 4) {
      this.dropAuthentication();
      throw new DesfireError('card_data_invalid', `GetValue answered ${data.length} bytes`, { cmd: CMD.GET_VALUE });
    }
    return data.readInt32LE(0);
  }

  async credit(file: number, amount: number, mode: CommMode): Promise<void> {
    if (amount < 0) throw new DesfireError('invalid_argument', 'credit amount must be positive');
    await this.run(CMD.CREDIT, fileNo(file), i32(amount, 'amount'), { cmdMode: mode, respMode: this.writeResponseMode(mode) });
  }

  async debit(file: number, amount: number, mode: CommMode): Promise<void> {
    if (amount < 0) throw new DesfireError('invalid_argument', 'debit amount must be positive');
    await this.run(CMD.DEBIT, fileNo(file), i32(amount, 'amount'), { cmdMode: mode, respMode: this.writeResponseMode(mode) });
  }

  async commitTransaction(): Promise<void> {
    await this.run(CMD.COMMIT_TRANSACTION, Buffer.alloc(0), Buffer.alloc(0), { cmdMode: 'management', respMode: 'management' });
  }

  /** A read command has no data: EV1 only tracks its CMAC; EV2 MACs it unless the file is plain. */
  private readCommandMode(mode: CommMode): CommandMode {
    return this.sm?.kind === 'ev1' ? 'plain' : mode;
  }

  /** A write's answer is MACed except in plain mode (EV1 MACs every answer anyway). */
  private writeResponseMode(mode: CommMode): ResponseMode {
    return mode === 'plain' ? 'plain' : 'mac';
  }
}
