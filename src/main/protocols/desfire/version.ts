/**
 * GetVersion (0x60) answer: three frames, hardware info (7), software info (7), production
 * info (14: UID 7, batch 5, week, year). Later generations may append bytes (EV3 adds a
 * FabKey/type byte); they are kept raw.
 */
import { DesfireError } from './desfire-error.js';

export interface DesfireComponentVersion {
  readonly vendor: number;
  readonly type: number;
  readonly subtype: number;
  readonly major: number;
  readonly minor: number;
  /** Storage size byte: 2^(n>>1) bytes, "+" when bit 0 is set. */
  readonly storageSize: number;
  readonly protocol: number;
}

export interface DesfireVersion {
  readonly hardware: DesfireComponentVersion;
  readonly software: DesfireComponentVersion;
  /** UID as GetVersion reports it: all zero on a card with random ID enabled. */
  readonly uid: Buffer;
  readonly batch: Buffer;
  readonly productionWeek: number;
  readonly productionYear: number;
  /** Bytes after the 28 defined by EV1, if any. */
  readonly extra: Buffer;
}

export const GET_VERSION_MIN_LENGTH = 28;
export const GET_VERSION_MAX_LENGTH = 32;

function component(b: Buffer, at: number): DesfireComponentVersion {
  const byte = (i: number): number => b[at + i] ?? 0;
  return { vendor: byte(0), type: byte(1), subtype: byte(2), major: byte(3), minor: byte(4), storageSize: byte(5), protocol: byte(6) };
}

export function parseVersion(data: Buffer): DesfireVersion {
  if (data.length < GET_VERSION_MIN_LENGTH || data.length > GET_VERSION_MAX_LENGTH) {
    throw new DesfireError('card_data_invalid', `GetVersion answered ${data.length} bytes, expected 28..32`);
  }
  return {
    hardware: component(data, 0),
    software: component(data, 7),
    uid: Buffer.from(data.subarray(14, 21)),
    batch: Buffer.from(data.subarray(21, 26)),
    productionWeek: data[26] ?? 0,
    productionYear: data[27] ?? 0,
    extra: Buffer.from(data.subarray(28)),
  };
}

/** Storage size in bytes (lower bound when the "+" bit is set). */
export function storageBytes(sizeByte: number): number {
  return 2 ** (sizeByte >> 1);
}
