/**
 * CTAP2 CBOR: RFC 8949 Appendix A vectors (the subset CTAP uses), the canonical key order of
 * CTAP 2.1 §8, and the bounded decoder against malformed and random input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCbor, decodeCborPrefix, encodeCbor, cborMap, Ctap2Error, type CborValue } from '../../../src/main/protocols/ctap2/index.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** RFC 8949 Appendix A, "Examples of encoded CBOR data items" (CTAP subset). */
const VECTORS: Array<[CborValue, string]> = [
  [0, '00'], [1, '01'], [10, '0a'], [23, '17'], [24, '1818'], [25, '1819'], [100, '1864'], [1000, '1903e8'],
  [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'], [18446744073709551615n, '1bffffffffffffffff'],
  [-1, '20'], [-10, '29'], [-100, '3863'], [-1000, '3903e7'],
  [false, 'f4'], [true, 'f5'], [null, 'f6'],
  [Buffer.alloc(0), '40'], [h('01020304'), '4401020304'],
  ['', '60'], ['a', '6161'], ['IETF', '6449455446'], ['"\\', '62225c'], ['\u00fc', '62c3bc'], ['\u6c34', '63e6b0b4'],
  [[], '80'], [[1, 2, 3], '83010203'], [[1, [2, 3], [4, 5]], '8301820203820405'],
  [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
  [new Map(), 'a0'], [new Map([[1, 2], [3, 4]]), 'a201020304'],
  [new Map<string, CborValue>([['a', 1], ['b', [2, 3]]]), 'a26161016162820203'],
  [['a', new Map([['b', 'c']])], '826161a161626163'],
];

describe('CTAP2 CBOR', () => {
  it('decodes the RFC 8949 Appendix A vectors', () => {
    for (const [value, hex] of VECTORS) assert.deepEqual(decodeCbor(h(hex)), value, hex);
  });

  it('encodes them back byte for byte', () => {
    for (const [value, hex] of VECTORS) assert.equal(encodeCbor(value).toString('hex'), hex, String(value));
  });

  it('sorts map keys in CTAP canonical order: 10, 100, -1, "z", "aa" (CTAP 2.1 §8)', () => {
    const m = new Map<string | number, CborValue>([['aa', 5], [-1, 3], ['z', 4], [100, 2], [10, 1]]);
    assert.equal(encodeCbor(m).toString('hex'), 'a5' + '0a01' + '186402' + '2003' + '617a04' + '62616105');
    // nested maps too, and the usual COSE key layout 1, 3, -1, -2, -3
    const cose = new Map<number, CborValue>([[-3, Buffer.from([2])], [-1, 1], [3, -7], [-2, Buffer.from([1])], [1, 2]]);
    assert.equal(encodeCbor(new Map([[1, cose]])).toString('hex'), 'a101a5010203262001214101224102');
  });

  it('cborMap drops absent parameters; integers beyond 32 bits stay integers', () => {
    assert.equal(encodeCbor(cborMap([[1, 'x'], [2, undefined], [3, 2 ** 40]])).toString('hex'), 'a2016178031b0000010000000000');
    assert.throws(() => encodeCbor(1.5), Ctap2Error);
  });

  it('refuses malformed or hostile input with invalid_cbor', () => {
    const bad = [
      '', '18', '1a0000', '44010203', '62c328', '5f4101ff', '9f01ff', 'bf0102ff', 'c074', 'f7', 'fc', '1c',
      '5affffffff', '9bffffffffffffffff', 'a2010201 03', 'a1010', 'a20102 0103', 'a14000', '0000',
      '81'.repeat(20) + '00',
    ];
    for (const hex of bad) {
      assert.throws(() => decodeCbor(h(hex)), (e: unknown) => e instanceof Ctap2Error && e.code === 'invalid_cbor', hex);
    }
  });

  it('enforces the item budget and reports where a prefix ends', () => {
    assert.throws(() => decodeCbor(h('98ff' + '00'.repeat(255)), { maxItems: 100 }), { code: 'invalid_cbor' });
    assert.deepEqual(decodeCborPrefix(h('a10102ffff'), 0), { value: new Map([[1, 2]]), end: 3 });
  });

  it('never throws anything but Ctap2Error on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeCbor(Buffer.from(bytes));
        } catch (e) {
          if (!(e instanceof Ctap2Error)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips arbitrary CTAP-shaped values', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.string(),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec<{ v: CborValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 6 })), tie('v')), { maxLength: 4 }).map((es) => new Map(es)),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const enc = encodeCbor(v);
        const back = decodeCbor(enc);
        assert.deepEqual(encodeCbor(back), enc);
      }),
      { numRuns: 500 },
    );
  });
});
