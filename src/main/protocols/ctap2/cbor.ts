/**
 * CTAP2 CBOR (CTAP 2.1 §8 "Message encoding"): the subset CTAP uses, in canonical form.
 *
 * Encoding goes through `cbor-x` (byte strings without tag 64, integers in their shortest
 * form) after every map has been put in the CTAP canonical order (CTAP 2.1 §8 "Ctap2
 * canonical CBOR encoding form"): by major type of the encoded key first, then shorter
 * encoding first, then bytewise; so 10 < 100 < -1 < "z" < "aa".
 *
 * Decoding is our own bounded parser, because the input comes from a device: definite lengths
 * only, no tags, map keys integers or text without duplicates, every length checked against
 * the bytes actually present before anything is allocated, a depth and an item budget. Any
 * violation is a `Ctap2Error('invalid_cbor')`, never a crash.
 */
import { Encoder } from 'cbor-x';
import { Ctap2Error } from './ctap2-error.js';

export type CborKey = number | string;
export type CborValue = number | bigint | string | Buffer | boolean | null | CborValue[] | CborMap;
export type CborMap = Map<CborKey, CborValue>;

const encoder = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });

/** CTAP canonical key order on encoded keys: major type, then length, then bytes. */
export function canonicalOrder(a: { enc: Buffer }, b: { enc: Buffer }): number {
  return (a.enc[0]! >> 5) - (b.enc[0]! >> 5) || a.enc.length - b.enc.length || Buffer.compare(a.enc, b.enc);
}

function prepare(v: CborValue, depth: number): unknown {
  if (depth > 16) throw new Ctap2Error('invalid_argument', 'CBOR value nested too deeply');
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Ctap2Error('invalid_argument', `CTAP CBOR carries integers only, not ${v}`);
    // cbor-x writes integers beyond 32 bits as floats: hand it a bigint instead.
    return v > 0xffffffff || v < -0x100000000 ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => prepare(x, depth + 1));
  if (v instanceof Map) {
    const entries = [...v.entries()].map(([k, val]) => ({ k, enc: encoder.encode(prepare(k, depth + 1)) as Buffer, val: prepare(val, depth + 1) }));
    entries.sort(canonicalOrder);
    for (let i = 1; i < entries.length; i++) {
      if (Buffer.compare(entries[i - 1]!.enc, entries[i]!.enc) === 0) throw new Ctap2Error('invalid_argument', `duplicate CBOR map key ${String(entries[i]!.k)}`);
    }
    return new Map(entries.map((e) => [e.k, e.val]));
  }
  return v;
}

/** Canonical CTAP2 encoding of `value`. */
export function encodeCbor(value: CborValue): Buffer {
  return Buffer.from(encoder.encode(prepare(value, 0)) as Uint8Array);
}

/** Builds a map from entries, dropping those whose value is `undefined` (absent parameters). */
export function cborMap(entries: ReadonlyArray<readonly [CborKey, CborValue | undefined]>): CborMap {
  const m: CborMap = new Map();
  for (const [k, v] of entries) if (v !== undefined) m.set(k, v);
  return m;
}

export interface CborDecodeLimits {
  /** Maximum nesting of arrays and maps (default 16). */
  readonly maxDepth?: number;
  /** Maximum number of data items in total (default 4096). */
  readonly maxItems?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  items = 0;
  constructor(readonly buf: Buffer, public pos: number, readonly maxDepth: number, readonly maxItems: number) {}

  fail(why: string): never {
    throw new Ctap2Error('invalid_cbor', `${why} at offset ${this.pos}`);
  }

  need(n: number): void {
    if (n > this.buf.length - this.pos) this.fail(`truncated CBOR (need ${n} bytes)`);
  }

  /** Argument of the head whose additional info is `ai`; bigint only above 2^53. */
  arg(ai: number): number | bigint {
    if (ai < 24) return ai;
    const sizes: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
    const size = sizes[ai];
    if (size === undefined) this.fail(ai === 31 ? 'indefinite length not allowed in CTAP' : `reserved additional info ${ai}`);
    this.need(size);
    let v: number | bigint;
    if (size === 1) v = this.buf.readUInt8(this.pos);
    else if (size === 2) v = this.buf.readUInt16BE(this.pos);
    else if (size === 4) v = this.buf.readUInt32BE(this.pos);
    else {
      const big = this.buf.readBigUInt64BE(this.pos);
      v = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    this.pos += size;
    return v;
  }

  length(ai: number): number {
    const n = this.arg(ai);
    if (typeof n === 'bigint') this.fail('length too large');
    return n;
  }

  value(depth: number): CborValue {
    if (++this.items > this.maxItems) this.fail('too many CBOR items');
    this.need(1);
    const ib = this.buf[this.pos++]!;
    const major = ib >> 5;
    const ai = ib & 0x1f;
    switch (major) {
      case 0: return this.arg(ai);
      case 1: {
        const n = this.arg(ai);
        if (typeof n === 'bigint') return -1n - n;
        return n >= Number.MAX_SAFE_INTEGER ? -1n - BigInt(n) : -1 - n;
      }
      case 2: {
        const n = this.length(ai);
        this.need(n);
        const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return out;
      }
      case 3: {
        const n = this.length(ai);
        this.need(n);
        let s: string;
        try {
          s = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
        } catch {
          this.fail('text string is not valid UTF-8');
        }
        this.pos += n;
        return s;
      }
      case 4: {
        if (depth >= this.maxDepth) this.fail('CBOR nested too deeply');
        const n = this.length(ai);
        // Each item takes at least one byte: a count beyond the remaining bytes is a lie.
        this.need(n);
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
        return out;
      }
      case 5: {
        if (depth >= this.maxDepth) this.fail('CBOR nested too deeply');
        const n = this.length(ai);
        this.need(n * 2);
        const out: CborMap = new Map();
        for (let i = 0; i < n; i++) {
          const k = this.value(depth + 1);
          if (typeof k !== 'number' && typeof k !== 'string') this.fail('map key is neither an integer nor text');
          if (out.has(k)) this.fail(`duplicate map key ${String(k)}`);
          out.set(k, this.value(depth + 1));
        }
        return out;
      }
      case 6: return this.fail('CBOR tags are not used by CTAP');
      default: {
        if (ai === 20) return false;
        if (ai === 21) return true;
        if (ai === 22) return null;
        if (ai === 25 || ai === 26 || ai === 27) {
          const size = ai === 25 ? 2 : ai === 26 ? 4 : 8;
          this.need(size);
          const v = size === 2 ? halfToNumber(this.buf.readUInt16BE(this.pos)) : size === 4 ? this.buf.readFloatBE(this.pos) : this.buf.readDoubleBE(this.pos);
          this.pos += size;
          return v;
        }
        return this.fail(`unsupported simple value ${ai}`);
      }
    }
  }
}

function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

/** Decodes exactly one CBOR item filling `buf` (trailing bytes are an error). */
export function decodeCbor(buf: Buffer, limits: CborDecodeLimits = {}): CborValue {
  const { value, end } = decodeCborPrefix(buf, 0, limits);
  if (end !== buf.length) throw new Ctap2Error('invalid_cbor', `${buf.length - end} trailing bytes after CBOR item`);
  return value;
}

/** Decodes one CBOR item starting at `offset`; returns it with the offset just after it. */
export function decodeCborPrefix(buf: Buffer, offset: number, limits: CborDecodeLimits = {}): { value: CborValue; end: number } {
  const r = new Reader(buf, offset, limits.maxDepth ?? 16, limits.maxItems ?? 4096);
  const value = r.value(0);
  return { value, end: r.pos };
}

// ---- typed access to decoded maps (a wrong type is an invalid response, not a crash) ----

export function asMap(v: CborValue | undefined, what: string): CborMap {
  if (!(v instanceof Map)) throw new Ctap2Error('invalid_response', `${what}: expected a CBOR map`);
  return v;
}

export function optField<T>(m: CborMap, key: CborKey, what: string, check: (v: CborValue) => v is CborValue & T): T | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (!check(v)) throw new Ctap2Error('invalid_response', `${what}: field ${String(key)} has the wrong type`);
  return v;
}

export function field<T>(m: CborMap, key: CborKey, what: string, check: (v: CborValue) => v is CborValue & T): T {
  const v = optField(m, key, what, check);
  if (v === undefined) throw new Ctap2Error('invalid_response', `${what}: field ${String(key)} missing`);
  return v;
}

export const isBytes = (v: CborValue): v is Buffer => Buffer.isBuffer(v);
export const isText = (v: CborValue): v is string => typeof v === 'string';
export const isInt = (v: CborValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);
export const isBool = (v: CborValue): v is boolean => typeof v === 'boolean';
export const isArray = (v: CborValue): v is CborValue[] => Array.isArray(v);
export const isMap = (v: CborValue): v is CborMap => v instanceof Map;
