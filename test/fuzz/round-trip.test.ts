/**
 * Round-trip properties where an encoder exists: BER-TLV, CTAP2 CBOR, CTAPHID framing and
 * DESFire native chaining. What we write, our own parsers read back unchanged.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeTlv, parseTlv, type TlvNode } from '../../src/main/protocols/iso7816/index.js';
import { decodeCbor, encodeCbor } from '../../src/main/protocols/ctap2/index.js';
import { encodeMessage, MAX_MESSAGE_SIZE, MessageAssembler } from '../../src/main/transports/ctap/ctaphid-frames.js';
import { exchangeNative, MAX_FRAME_DATA } from '../../src/main/protocols/desfire/index.js';
import { seedFor } from './harness.js';
import { cborValue, FUZZ_CID } from './targets/ctap.js';
import type { CardChannel } from '../../src/main/transports/card-channel.js';

interface TlvSpec {
  readonly tag: number;
  readonly value?: Buffer;
  readonly children?: readonly TlvSpec[];
}

/** Valid tag numbers: one byte (not x1F form), or two/three bytes with the continuation bits right. */
const primitiveTag = fc.oneof(
  fc.integer({ min: 0x01, max: 0xfe }).filter((t) => (t & 0x1f) !== 0x1f && (t & 0x20) === 0),
  fc.tuple(fc.constantFrom(0x5f, 0x9f, 0xdf), fc.integer({ min: 0x01, max: 0x7f })).map(([a, b]) => a * 0x100 + b),
  fc.tuple(fc.constantFrom(0x5f, 0x9f), fc.integer({ min: 0x81, max: 0xff }), fc.integer({ min: 0, max: 0x7f })).map(([a, b, c]) => (a * 0x100 + b) * 0x100 + c),
);
const constructedTag = fc.constantFrom(0x30, 0x61, 0x62, 0x6f, 0xa0, 0xa5, 0x7f49, 0xbf0c);

const tlvSpec: fc.Arbitrary<TlvSpec> = fc.letrec<{ node: TlvSpec }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.record({ tag: primitiveTag, value: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)) }),
    fc.record({ tag: constructedTag, children: fc.array(tie('node'), { maxLength: 4 }) }),
  ),
})).node;

function encodeSpec(s: TlvSpec): Buffer {
  return encodeTlv(s.tag, s.children ? Buffer.concat(s.children.map(encodeSpec)) : (s.value ?? Buffer.alloc(0)));
}

function specOf(n: TlvNode): TlvSpec {
  return n.children ? { tag: n.tag, children: n.children.map(specOf) } : { tag: n.tag, value: Buffer.from(n.value) };
}

describe('round trips', () => {
  it('BER-TLV: parseTlv(encodeTlv(tree)) is the tree', () => {
    fc.assert(
      fc.property(fc.array(tlvSpec, { minLength: 1, maxLength: 4 }), (specs) => {
        const parsed = parseTlv(Buffer.concat(specs.map(encodeSpec)));
        assert.deepEqual(parsed.map(specOf), specs.map(normalise));
      }),
      { numRuns: 500, seed: seedFor('round-trip-tlv') },
    );
  });

  it('CTAP2 CBOR: decodeCbor(encodeCbor(v)) is v, and the canonical encoding is stable', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        const enc = encodeCbor(v);
        const back = decodeCbor(enc);
        assert.deepEqual(back, v);
        assert.deepEqual(encodeCbor(back), enc);
      }),
      { numRuns: 1000, seed: seedFor('round-trip-cbor') },
    );
  });

  it('CTAPHID: a message split into reports reassembles to itself, whatever reports of other channels come between', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MESSAGE_SIZE }), fc.integer({ min: 0, max: 0x7f }), fc.array(fc.nat(), { maxLength: 5 }), (len, cmd, noise) => {
        const data = Buffer.alloc(len);
        for (let i = 0; i < len; i++) data[i] = (i * 31 + cmd) & 0xff;
        const reports = encodeMessage(FUZZ_CID, cmd, data);
        for (const at of noise) reports.splice(at % (reports.length + 1), 0, ...encodeMessage(0x01020304, 0x10, Buffer.alloc(70, 9)));
        const a = new MessageAssembler(FUZZ_CID);
        const out = reports.map((r) => a.push(r)).filter((r) => r.kind === 'message');
        assert.equal(out.length, 1);
        assert.deepEqual(out[0], { kind: 'message', cmd, data });
      }),
      { numRuns: 300, seed: seedFor('round-trip-ctaphid') },
    );
  });

  it('DESFire chaining: a command of any length goes out in 59-byte frames and a chained answer comes back whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 600 }), fc.array(fc.uint8Array({ maxLength: 59 }), { minLength: 1, maxLength: 8 }), async (cmdLen, parts) => {
        const payload = Buffer.alloc(cmdLen, 0x5a);
        const received: Buffer[] = [];
        const answers = parts.map((p, i) => Buffer.concat([p, Buffer.from([0x91, i === parts.length - 1 ? 0x00 : 0xaf])]));
        let sent = 0;
        const commandFrames = Math.max(1, Math.ceil(cmdLen / MAX_FRAME_DATA));
        const channel: CardChannel = {
          readerName: 'r', atr: Buffer.alloc(0), connected: true,
          transmit: (apdu) => {
            sent += 1;
            const lc = apdu.length > 5 ? (apdu[4] ?? 0) : 0;
            received.push(Buffer.from(apdu.subarray(5, 5 + lc)));
            if (sent < commandFrames) return Promise.resolve(Buffer.from([0x91, 0xaf]));
            return Promise.resolve(answers[sent - commandFrames] ?? Buffer.from([0x91, 0x00]));
          },
        };
        const out = await exchangeNative(channel, 0x3d, payload);
        assert.deepEqual(Buffer.concat(received.slice(0, commandFrames)), payload);
        assert.deepEqual(out, Buffer.concat(parts.map((p) => Buffer.from(p))));
      }),
      { numRuns: 200, seed: seedFor('round-trip-desfire') },
    );
  });
});

function normalise(s: TlvSpec): TlvSpec {
  return s.children ? { tag: s.tag, children: s.children.map(normalise) } : { tag: s.tag, value: Buffer.from(s.value ?? Buffer.alloc(0)) };
}
