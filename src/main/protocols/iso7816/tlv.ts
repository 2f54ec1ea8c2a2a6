/**
 * BER-TLV data objects (ISO/IEC 7816-4, 5.2.2 and ISO/IEC 8825-1) read from untrusted card data.
 *
 * Tag: one byte, or a first byte whose five low bits are all set (x1F) followed by bytes whose
 * high bit says "another byte follows"; tags up to four bytes are read as one number (`0x5F20`).
 * Bit 6 of the first byte marks a constructed object, whose value is itself a sequence of
 * objects. Length: definite forms only, 00..7F in one byte, then 81 to 84 followed by one to
 * four bytes; the indefinite form (80) is refused.
 *
 * Every length is checked against the bytes actually present before any slice is taken, the
 * nesting depth and the total number of objects are bounded, and every failure is an
 * `Iso7816Error` (`tlv_malformed`, `tlv_too_long`, `tlv_too_deep`, `tlv_too_many_nodes`).
 *
 * Modes: `strict` (default) accepts nothing but data objects; `lenient` also skips the 00 and FF
 * bytes that ISO 7816-4 allows before, between and after objects (files padded to their size).
 */
import { Iso7816Error } from './iso7816-error.js';

export interface TlvNode {
  /** Tag bytes read big-endian as one number: `0x84`, `0x5F20`, `0x9F38`. */
  readonly tag: number;
  readonly constructed: boolean;
  /** Value field: a view on the parsed buffer (copy it to keep it past that buffer's life). */
  readonly value: Buffer;
  /** Objects inside a constructed object's value; absent for primitive objects. */
  readonly children?: readonly TlvNode[];
}

export type TlvMode = 'strict' | 'lenient';

export interface TlvParseOptions {
  /** `strict` (default): any byte outside a data object is an error. `lenient`: 00/FF padding is skipped. */
  readonly mode?: TlvMode;
  /** Deepest nesting accepted; top-level objects are at depth 1. Default 8. */
  readonly maxDepth?: number;
  /** Most data objects accepted in total, at all depths. Default 1024. */
  readonly maxNodes?: number;
}

export const DEFAULT_TLV_MAX_DEPTH = 8;
export const DEFAULT_TLV_MAX_NODES = 1024;
/** Upper bound for `maxDepth`, which also bounds the parser's recursion. */
export const TLV_DEPTH_CEILING = 64;

const MAX_TAG_BYTES = 4;
const MAX_LENGTH_BYTES = 4;

function offsetText(offset: number): string {
  return `at offset ${offset}`;
}

function tagText(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2, '0');
}

class TlvReader {
  private nodes = 0;

  constructor(
    private readonly lenient: boolean,
    private readonly maxDepth: number,
    private readonly maxNodes: number,
  ) {}

  /** Objects in `buf`, which starts at `base` in the top-level input (offsets in messages). */
  readSequence(buf: Buffer, depth: number, base: number): TlvNode[] {
    const out: TlvNode[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const first = buf.readUInt8(pos);
      if (first === 0x00 || first === 0xff) {
        if (this.lenient) {
          pos += 1;
          continue;
        }
        throw new Iso7816Error(
          'tlv_malformed',
          `byte ${tagText(first)} ${offsetText(base + pos)} is not a valid first tag byte (padding is refused in strict mode)`,
        );
      }
      if (depth > this.maxDepth) {
        throw new Iso7816Error('tlv_too_deep', `data object ${offsetText(base + pos)} is nested deeper than ${this.maxDepth}`);
      }
      this.nodes += 1;
      if (this.nodes > this.maxNodes) {
        throw new Iso7816Error('tlv_too_many_nodes', `more than ${this.maxNodes} data objects`);
      }

      const start = pos;
      let p = pos + 1;
      let tag = first;
      if ((first & 0x1f) === 0x1f) {
        let more = true;
        let tagBytes = 1;
        while (more) {
          if (p >= buf.length) {
            throw new Iso7816Error('tlv_malformed', `tag ${offsetText(base + start)} is truncated`);
          }
          const b = buf.readUInt8(p);
          p += 1;
          tagBytes += 1;
          if (tagBytes > MAX_TAG_BYTES) {
            throw new Iso7816Error('tlv_too_long', `tag ${offsetText(base + start)} is longer than ${MAX_TAG_BYTES} bytes`);
          }
          tag = tag * 0x100 + b;
          more = (b & 0x80) !== 0;
        }
      }

      if (p >= buf.length) {
        throw new Iso7816Error('tlv_malformed', `tag ${tagText(tag)} ${offsetText(base + start)} has no length`);
      }
      const l0 = buf.readUInt8(p);
      p += 1;
      let length: number;
      if (l0 < 0x80) {
        length = l0;
      } else if (l0 === 0x80) {
        throw new Iso7816Error(
          'tlv_malformed',
          `tag ${tagText(tag)} ${offsetText(base + start)} uses the indefinite length form, which is refused`,
        );
      } else {
        const n = l0 & 0x7f;
        if (n > MAX_LENGTH_BYTES) {
          throw new Iso7816Error(
            'tlv_too_long',
            `tag ${tagText(tag)} ${offsetText(base + start)} has a ${n}-byte length field (at most ${MAX_LENGTH_BYTES})`,
          );
        }
        if (n > buf.length - p) {
          throw new Iso7816Error('tlv_malformed', `length of tag ${tagText(tag)} ${offsetText(base + start)} is truncated`);
        }
        length = buf.readUIntBE(p, n);
        p += n;
      }
      const remaining = buf.length - p;
      if (length > remaining) {
        throw new Iso7816Error(
          'tlv_too_long',
          `tag ${tagText(tag)} ${offsetText(base + start)} declares ${length} value bytes, only ${remaining} remain`,
        );
      }

      const value = buf.subarray(p, p + length);
      const constructed = (first & 0x20) !== 0;
      if (constructed) {
        out.push({ tag, constructed, value, children: this.readSequence(value, depth + 1, base + p) });
      } else {
        out.push({ tag, constructed, value });
      }
      pos = p + length;
    }
    return out;
  }
}

function checkLimit(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

/** Parse a sequence of BER-TLV data objects occupying the whole of `input`. */
export function parseTlv(input: Buffer, opts: TlvParseOptions = {}): TlvNode[] {
  const maxDepth = opts.maxDepth ?? DEFAULT_TLV_MAX_DEPTH;
  const maxNodes = opts.maxNodes ?? DEFAULT_TLV_MAX_NODES;
  checkLimit('maxDepth', maxDepth, 1, TLV_DEPTH_CEILING);
  checkLimit('maxNodes', maxNodes, 1, Number.MAX_SAFE_INTEGER);
  const reader = new TlvReader(opts.mode === 'lenient', maxDepth, maxNodes);
  return reader.readSequence(input, 1, 0);
}

/** First object with `tag`, searching depth-first (an object before its children, then its siblings). */
export function findTag(nodes: readonly TlvNode[], tag: number): TlvNode | undefined {
  for (const node of nodes) {
    if (node.tag === tag) return node;
    if (node.children !== undefined) {
      const found = findTag(node.children, tag);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Tag bytes of a tag number, or undefined when they do not form a valid BER tag. */
function tagBytes(tag: number): number[] | undefined {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) return undefined;
  const bytes: number[] = [];
  let rest = tag;
  do {
    bytes.unshift(rest % 0x100);
    rest = Math.floor(rest / 0x100);
  } while (rest > 0);
  const [first, ...subsequent] = bytes;
  if (first === undefined || first === 0x00 || first === 0xff) return undefined;
  const multiByte = (first & 0x1f) === 0x1f;
  if (!multiByte) return subsequent.length === 0 ? bytes : undefined;
  if (subsequent.length === 0) return undefined;
  const ok = subsequent.every((b, i) => ((b & 0x80) !== 0) === (i < subsequent.length - 1));
  return ok ? bytes : undefined;
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  let rest = length;
  while (rest > 0) {
    bytes.unshift(rest % 0x100);
    rest = Math.floor(rest / 0x100);
  }
  return [0x80 | bytes.length, ...bytes];
}

/**
 * One BER-TLV data object: tag bytes, the shortest definite length, then `value` (for a
 * constructed tag, the concatenation of its encoded children). Throws `tlv_encoding` for a
 * number that is not a valid tag (e.g. `0x1F` alone, `0x5F80` whose last byte says "more").
 */
export function encodeTlv(tag: number, value: Uint8Array): Buffer {
  const t = tagBytes(tag);
  if (t === undefined) {
    throw new Iso7816Error('tlv_encoding', `${String(tag)} is not a valid BER-TLV tag number`);
  }
  if (value.length > 0xffffffff) {
    throw new Iso7816Error('tlv_encoding', `value of ${value.length} bytes is too long for a 4-byte length`);
  }
  return Buffer.concat([Buffer.from(t), Buffer.from(lengthBytes(value.length)), value]);
}
