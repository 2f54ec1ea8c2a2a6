import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex } from '../../../src/main/protocols/iso7816/hex.js';
import { Iso7816Error, type Iso7816ErrorCode } from '../../../src/main/protocols/iso7816/iso7816-error.js';
import { encodeTlv, findTag, parseTlv, type TlvNode, type TlvParseOptions } from '../../../src/main/protocols/iso7816/tlv.js';

/** FCI template of the EMV contact directory (PSE) answer to SELECT '1PAY.SYS.DDF01'. */
const PSE_FCI = '6F 1A 84 0E 31 50 41 59 2E 53 59 53 2E 44 44 46 30 31 A5 08 88 01 01 5F 2D 02 65 6E';
/** FCI template of an EMV application: AID, label, priority, PDOL (9F38), language preference. */
const APP_FCI =
  '6F 25 84 07 A0 00 00 00 04 10 10 A5 1A 50 0A 4D 41 53 54 45 52 43 41 52 44 87 01 01 9F 38 03 9F 1A 02 5F 2D 02 66 72';
/** EMV record template: cardholder name (5F20) and expiry date (5F24). */
const RECORD = '70 15 5F 20 0C 44 55 50 4F 4E 54 2F 4D 41 52 49 45 5F 24 03 30 12 31';

function only(nodes: readonly TlvNode[]): TlvNode {
  assert.equal(nodes.length, 1);
  const [node] = nodes;
  assert.ok(node !== undefined);
  return node;
}

function child(node: TlvNode, index: number): TlvNode {
  const c = node.children?.[index];
  assert.ok(c !== undefined, `child ${index} of tag ${node.tag.toString(16)}`);
  return c;
}

function assertTlvError(input: string | Buffer, code: Iso7816ErrorCode, opts?: TlvParseOptions): void {
  const bytes = typeof input === 'string' ? fromHex(input) : input;
  assert.throws(
    () => parseTlv(bytes, opts),
    (e: unknown) => e instanceof Iso7816Error && e.code === code && e.layer === 'protocol',
    `expected ${code}`,
  );
}

describe('parseTlv, published-style vectors', () => {
  it('reads the PSE FCI: 6F holding 84 (DF name) and A5 (proprietary template)', () => {
    const fci = only(parseTlv(fromHex(PSE_FCI)));
    assert.equal(fci.tag, 0x6f);
    assert.equal(fci.constructed, true);
    assert.equal(fci.children?.length, 2);
    const dfName = child(fci, 0);
    assert.equal(dfName.tag, 0x84);
    assert.equal(dfName.constructed, false);
    assert.equal(dfName.children, undefined);
    assert.equal(dfName.value.toString('latin1'), '1PAY.SYS.DDF01');
    const a5 = child(fci, 1);
    assert.equal(a5.tag, 0xa5);
    assert.equal(a5.constructed, true);
    assert.equal(hex(child(a5, 0).value), '01');
    assert.equal(child(a5, 0).tag, 0x88);
    assert.equal(child(a5, 1).tag, 0x5f2d);
    assert.equal(child(a5, 1).value.toString('latin1'), 'en');
  });

  it('reads two-byte tags 9F38 and 5F2D inside an application FCI', () => {
    const nodes = parseTlv(fromHex(APP_FCI));
    assert.equal(hex(findTag(nodes, 0x84)?.value ?? Buffer.alloc(0)), 'A0000000041010');
    assert.equal(findTag(nodes, 0x50)?.value.toString('latin1'), 'MASTERCARD');
    const pdol = findTag(nodes, 0x9f38);
    assert.ok(pdol !== undefined);
    assert.equal(pdol.constructed, false);
    assert.equal(hex(pdol.value, ' '), '9F 1A 02');
    assert.equal(findTag(nodes, 0x5f2d)?.value.toString('latin1'), 'fr');
  });

  it('reads a record template with the cardholder name 5F20', () => {
    const nodes = parseTlv(fromHex(RECORD));
    assert.equal(only(nodes).tag, 0x70);
    assert.equal(findTag(nodes, 0x5f20)?.value.toString('latin1'), 'DUPONT/MARIE');
    assert.equal(hex(findTag(nodes, 0x5f24)?.value ?? Buffer.alloc(0)), '301231');
  });

  it('reads several top-level objects in order', () => {
    const nodes = parseTlv(fromHex('84 01 AA 85 00 86 02 BB CC'));
    assert.deepEqual(
      nodes.map((n) => [n.tag, hex(n.value)]),
      [
        [0x84, 'AA'],
        [0x85, ''],
        [0x86, 'BBCC'],
      ],
    );
    assert.deepEqual(parseTlv(Buffer.alloc(0)), []);
  });

  it('reads three- and four-byte tags', () => {
    assert.equal(only(parseTlv(fromHex('DF 81 01 01 AA'))).tag, 0xdf8101);
    const four = only(parseTlv(fromHex('BF 81 82 03 00')));
    assert.equal(four.tag, 0xbf818203);
    assert.equal(four.constructed, true);
    assert.deepEqual(four.children, []);
  });

  it('values are exact views of their slice', () => {
    const input = fromHex('6F 05 84 03 01 02 03');
    const dfName = child(only(parseTlv(input)), 0);
    assert.equal(dfName.value.length, 3);
    assert.equal(dfName.value.buffer, input.buffer);
    assert.equal(dfName.value.byteOffset, input.byteOffset + 4);
  });
});

describe('parseTlv, length forms', () => {
  it('reads short, 81, 82, 83 and 84 lengths', () => {
    const v128 = Buffer.alloc(128, 0x11);
    const v256 = Buffer.alloc(256, 0x22);
    const cases: Array<[string, Buffer]> = [
      ['04 7F', Buffer.alloc(127, 0x33)],
      ['04 81 80', v128],
      ['04 81 05', Buffer.alloc(5, 0x44)],
      ['04 82 01 00', v256],
      ['04 83 00 01 00', v256],
      ['04 84 00 00 01 00', v256],
    ];
    for (const [head, value] of cases) {
      const node = only(parseTlv(Buffer.concat([fromHex(head), value])));
      assert.equal(node.tag, 0x04, head);
      assert.deepEqual(node.value, value, head);
    }
  });
});

describe('parseTlv, malformed input gives typed errors', () => {
  it('a length that overruns the buffer', () => {
    assertTlvError('84 05 01 02', 'tlv_too_long');
    assertTlvError('84 81 80 01 02', 'tlv_too_long');
    assertTlvError('84 84 FF FF FF FF 00', 'tlv_too_long');
  });

  it('a child length is checked against its parent, not the whole buffer', () => {
    assertTlvError('6F 03 84 05 01 02 03 04 05', 'tlv_too_long');
  });

  it('the indefinite length form', () => {
    assertTlvError('30 80 04 01 AA 00 00', 'tlv_malformed');
  });

  it('a length field longer than four bytes', () => {
    assertTlvError('04 85 00 00 00 00 01 AA', 'tlv_too_long');
  });

  it('a truncated tag, a missing length, a truncated length', () => {
    assertTlvError('5F', 'tlv_malformed');
    assertTlvError('9F 81', 'tlv_malformed');
    assertTlvError('84', 'tlv_malformed');
    assertTlvError('5F 20', 'tlv_malformed');
    assertTlvError('84 82 01', 'tlv_malformed');
    assertTlvError('6F 02 5F 20', 'tlv_malformed');
  });

  it('a tag longer than four bytes', () => {
    assertTlvError('1F 81 81 81 01 00', 'tlv_too_long');
  });

  it('nesting deeper than the limit (8 by default)', () => {
    const nest = (levels: number): Buffer => {
      let inner = fromHex('80 01 AA');
      for (let i = 0; i < levels; i += 1) inner = encodeTlv(0xa1, inner);
      return inner;
    };
    const deepest = findTag(parseTlv(nest(7)), 0x80);
    assert.equal(hex(deepest?.value ?? Buffer.alloc(0)), 'AA');
    assertTlvError(nest(8), 'tlv_too_deep');
    assertTlvError(nest(2), 'tlv_too_deep', { maxDepth: 2 });
    assert.equal(parseTlv(nest(1), { maxDepth: 2 }).length, 1);
    assertTlvError(nest(1000), 'tlv_too_deep');
  });

  it('more objects than the limit', () => {
    const four = fromHex('80 00 80 00 80 00 80 00');
    assert.equal(parseTlv(four, { maxNodes: 4 }).length, 4);
    assertTlvError(Buffer.concat([four, fromHex('80 00')]), 'tlv_too_many_nodes', { maxNodes: 4 });
    assertTlvError(fromHex('A1 04 80 00 80 00 80 00'), 'tlv_too_many_nodes', { maxNodes: 3 });
    assertTlvError(Buffer.alloc(4000, 0).fill(fromHex('80 00')), 'tlv_too_many_nodes');
  });

  it('refuses limits that make no sense', () => {
    assert.throws(() => parseTlv(Buffer.alloc(0), { maxDepth: 0 }), RangeError);
    assert.throws(() => parseTlv(Buffer.alloc(0), { maxDepth: 65 }), RangeError);
    assert.throws(() => parseTlv(Buffer.alloc(0), { maxNodes: 0 }), RangeError);
  });
});

describe('parseTlv, strict and lenient modes', () => {
  const padded = '00 00 84 01 AA 00 FF FF 6F 04 00 85 01 BB FF 00';

  it('strict (default) refuses bytes outside data objects', () => {
    assertTlvError('84 01 AA 00', 'tlv_malformed');
    assertTlvError('84 01 AA FF FF', 'tlv_malformed');
    assertTlvError(padded, 'tlv_malformed');
    assertTlvError(padded, 'tlv_malformed', { mode: 'strict' });
  });

  it('lenient skips 00/FF padding before, between, inside and after objects', () => {
    const nodes = parseTlv(fromHex(padded), { mode: 'lenient' });
    assert.deepEqual(
      nodes.map((n) => n.tag),
      [0x84, 0x6f],
    );
    assert.equal(hex(findTag(nodes, 0x85)?.value ?? Buffer.alloc(0)), 'BB');
    assert.deepEqual(parseTlv(Buffer.alloc(64, 0xff), { mode: 'lenient' }), []);
  });

  it('lenient still refuses malformed objects', () => {
    assertTlvError('00 84 05 01', 'tlv_too_long', { mode: 'lenient' });
    assertTlvError('FF 30 80 00 00', 'tlv_malformed', { mode: 'lenient' });
  });
});

describe('findTag', () => {
  it('searches depth-first: a nested match before a later sibling', () => {
    const nodes = parseTlv(fromHex('A1 03 88 01 01 88 01 02'));
    assert.equal(hex(findTag(nodes, 0x88)?.value ?? Buffer.alloc(0)), '01');
    assert.equal(findTag(nodes, 0xa1)?.tag, 0xa1);
  });

  it('returns undefined when the tag is absent', () => {
    assert.equal(findTag(parseTlv(fromHex(PSE_FCI)), 0x9f38), undefined);
    assert.equal(findTag([], 0x84), undefined);
  });
});

describe('encodeTlv', () => {
  it('writes one- and two-byte tags with the shortest definite length', () => {
    assert.equal(hex(encodeTlv(0x84, fromHex('A0 00 00 00 04 10 10')), ' '), '84 07 A0 00 00 00 04 10 10');
    assert.equal(hex(encodeTlv(0x5f20, Buffer.from('DUPONT/MARIE')), ' '), '5F 20 0C 44 55 50 4F 4E 54 2F 4D 41 52 49 45');
    assert.equal(hex(encodeTlv(0x9f38, fromHex('9F 1A 02')), ' '), '9F 38 03 9F 1A 02');
    assert.equal(hex(encodeTlv(0xdf8101, fromHex('AA')), ' '), 'DF 81 01 01 AA');
    assert.equal(hex(encodeTlv(0x84, Buffer.alloc(0)), ' '), '84 00');
  });

  it('switches length form at 128, 256 and 65536', () => {
    assert.equal(hex(encodeTlv(0x04, Buffer.alloc(127)).subarray(0, 2)), '047F');
    assert.equal(hex(encodeTlv(0x04, Buffer.alloc(128)).subarray(0, 3)), '048180');
    assert.equal(hex(encodeTlv(0x04, Buffer.alloc(255)).subarray(0, 3)), '0481FF');
    assert.equal(hex(encodeTlv(0x04, Buffer.alloc(256)).subarray(0, 4)), '04820100');
    assert.equal(hex(encodeTlv(0x04, Buffer.alloc(65535)).subarray(0, 4)), '0482FFFF');
    assert.equal(hex(encodeTlv(0x04, Buffer.alloc(65536)).subarray(0, 5)), '0483010000');
  });

  it('round-trips the PSE FCI built from its parts', () => {
    const built = encodeTlv(
      0x6f,
      Buffer.concat([
        encodeTlv(0x84, Buffer.from('1PAY.SYS.DDF01', 'latin1')),
        encodeTlv(0xa5, Buffer.concat([encodeTlv(0x88, fromHex('01')), encodeTlv(0x5f2d, Buffer.from('en'))])),
      ]),
    );
    assert.equal(hex(built, ' '), PSE_FCI);
    const large = encodeTlv(0x53, Buffer.alloc(70000, 0x5a));
    assert.equal(only(parseTlv(large)).value.length, 70000);
  });

  it('refuses numbers that are not valid tags', () => {
    for (const tag of [0x00, 0xff, 0x1f, 0x5f, 0x5f80, 0x0120, 0x9f0080, -1, 1.5, 0x1_0000_0000]) {
      assert.throws(
        () => encodeTlv(tag, Buffer.alloc(0)),
        (e: unknown) => e instanceof Iso7816Error && e.code === 'tlv_encoding',
        tag.toString(16),
      );
    }
  });
});

describe('parseTlv, fuzz (seeded)', () => {
  /** mulberry32: small deterministic generator, so a failure replays. */
  function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Parse, and require that any failure is a typed Iso7816Error. Returns true on success. */
  function parsesOrThrowsTyped(input: Buffer, opts: TlvParseOptions): boolean {
    try {
      parseTlv(input, opts);
      return true;
    } catch (e) {
      assert.ok(e instanceof Iso7816Error, `untyped failure on ${hex(input)}: ${String(e)}`);
      assert.match(e.code, /^tlv_/);
      return false;
    }
  }

  it('random bytes never crash the parser', () => {
    const next = rng(0x7e55e7a);
    const interesting = [0x00, 0xff, 0x1f, 0x5f, 0x9f, 0x6f, 0xa5, 0x80, 0x81, 0x82, 0x84, 0x85, 0x01, 0x7f];
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < 3000; i += 1) {
      const length = Math.floor(next() * 48);
      const input = Buffer.alloc(length);
      for (let j = 0; j < length; j += 1) {
        input[j] = next() < 0.5 ? (interesting[Math.floor(next() * interesting.length)] ?? 0) : Math.floor(next() * 256);
      }
      for (const mode of ['strict', 'lenient'] as const) {
        if (parsesOrThrowsTyped(input, { mode, maxDepth: 4, maxNodes: 16 })) ok += 1;
        else failed += 1;
      }
    }
    assert.equal(ok + failed, 6000);
    assert.ok(ok > 0 && failed > 0, `ok=${ok} failed=${failed}`);
  });

  it('every truncation and every single-byte corruption of a valid FCI is handled', () => {
    const valid = fromHex(APP_FCI);
    let failed = 0;
    for (let end = 0; end < valid.length; end += 1) {
      if (!parsesOrThrowsTyped(valid.subarray(0, end), {})) failed += 1;
    }
    assert.equal(failed, valid.length - 1, 'only the empty prefix parses');
    for (let pos = 0; pos < valid.length; pos += 1) {
      for (const b of [0x00, 0x1f, 0x7f, 0x80, 0x81, 0x84, 0xff]) {
        const mutated = Buffer.from(valid);
        mutated[pos] = b;
        parsesOrThrowsTyped(mutated, {});
        parsesOrThrowsTyped(mutated, { mode: 'lenient' });
      }
    }
  });
});
