/**
 * CTAPHID packet codec: the boundaries of CTAP 2.1 §11.2.4 (57-byte init payload, 59-byte
 * continuation payload, 128 sequence numbers, 7609-byte maximum), sequence errors, other
 * channels, and property-based round trips and garbage.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeMessage,
  parsePacket,
  MessageAssembler,
  MAX_MESSAGE_SIZE,
  HID_REPORT_SIZE,
  encodeInitRequest,
  parseInitResponse,
  BROADCAST_CID,
  CTAPHID_CMD,
} from '../../../src/main/transports/ctap/ctaphid-frames.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';

const CID = 0x01020304;

function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

function reassemble(reports: Buffer[], cid = CID): { cmd: number; data: Buffer } {
  const a = new MessageAssembler(cid);
  for (let i = 0; i < reports.length; i++) {
    const r = a.push(reports[i] ?? Buffer.alloc(0));
    if (r.kind === 'message') {
      assert.equal(i, reports.length - 1, 'message complete exactly at the last report');
      return { cmd: r.cmd, data: r.data };
    }
    assert.equal(r.kind, 'partial');
  }
  throw new Error('message never completed');
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof CtapTransportError && e.code === code;

describe('CTAPHID frame boundaries', () => {
  const cases: Array<[number, number]> = [
    [0, 1],
    [1, 1],
    [57, 1],
    [58, 2],
    [57 + 59, 2],
    [57 + 59 + 1, 3],
    [MAX_MESSAGE_SIZE - 1, 129],
    [MAX_MESSAGE_SIZE, 129],
  ];
  for (const [size, packets] of cases) {
    it(`${size} bytes → ${packets} packet(s), and back`, () => {
      const data = payload(size);
      const reports = encodeMessage(CID, CTAPHID_CMD.CBOR, data);
      assert.equal(reports.length, packets);
      for (const r of reports) assert.equal(r.length, HID_REPORT_SIZE);
      const first = reports[0];
      assert.ok(first);
      assert.equal(first.readUInt32BE(0), CID);
      assert.equal(first[4], 0x90);
      assert.equal(first.readUInt16BE(5), size);
      reports.slice(1).forEach((r, i) => {
        assert.equal(r.readUInt32BE(0), CID);
        assert.equal(r[4], i, 'sequence numbers start at 0 and increase by 1');
      });
      if (packets === 129) assert.equal(reports[128]?.[4], 127, 'the last packet carries sequence 127');
      const back = reassemble(reports);
      assert.equal(back.cmd, CTAPHID_CMD.CBOR);
      assert.deepEqual(back.data, data);
    });
  }

  it('pads the last packet with zeros', () => {
    const [p0, p1] = encodeMessage(CID, CTAPHID_CMD.PING, payload(58));
    assert.ok(p0 && p1);
    assert.equal(p1[5], payload(58)[57]);
    assert.ok(p1.subarray(6).every((b) => b === 0));
  });

  it('rejects 7610 bytes (message_too_long) on encode, and an announced 7610-byte message on decode', () => {
    assert.throws(() => encodeMessage(CID, CTAPHID_CMD.CBOR, Buffer.alloc(MAX_MESSAGE_SIZE + 1)), isCode('message_too_long'));
    const r = Buffer.alloc(64);
    r.writeUInt32BE(CID, 0);
    r[4] = 0x90;
    r.writeUInt16BE(MAX_MESSAGE_SIZE + 1, 5);
    assert.throws(() => new MessageAssembler(CID).push(r), isCode('message_too_long'));
  });

  it('the INIT request carries the nonce on the broadcast channel; the response is parsed', () => {
    const nonce = Buffer.from('0011223344556677', 'hex');
    const [r] = encodeInitRequest(nonce);
    assert.ok(r);
    assert.equal(r.subarray(0, 15).toString('hex'), 'ffffffff860008' + '0011223344556677');
    const info = parseInitResponse(Buffer.from('0011223344556677' + 'cafe0001' + '02' + '050102' + '0d', 'hex'));
    assert.deepEqual(info.nonce, nonce);
    assert.equal(info.cid, 0xcafe0001);
    assert.equal(info.protocolVersion, 2);
    assert.deepEqual(info.deviceVersion, [5, 1, 2]);
    assert.equal(info.capabilities, 0x0d);
    assert.throws(() => parseInitResponse(Buffer.alloc(16)), isCode('invalid_frame'));
    assert.equal(BROADCAST_CID, 0xffffffff);
  });
});

describe('CTAPHID reassembly errors', () => {
  it('out-of-order sequence: invalid_frame, then the assembler takes the next message', () => {
    const reports = encodeMessage(CID, CTAPHID_CMD.CBOR, payload(200));
    const a = new MessageAssembler(CID);
    assert.equal(a.push(reports[0] ?? Buffer.alloc(0)).kind, 'partial');
    assert.throws(() => a.push(reports[2] ?? Buffer.alloc(0)), isCode('invalid_frame'));
    assert.equal(a.inProgress, false);
    assert.deepEqual(reassemble(encodeMessage(CID, CTAPHID_CMD.CBOR, payload(70))).data, payload(70));
  });

  it('duplicate sequence number: invalid_frame', () => {
    const [p0, p1] = encodeMessage(CID, CTAPHID_CMD.CBOR, payload(200));
    assert.ok(p0 && p1);
    const a = new MessageAssembler(CID);
    a.push(p0);
    a.push(p1);
    assert.throws(() => a.push(p1), isCode('invalid_frame'));
  });

  it('a new initialisation packet in the middle of a message: invalid_frame', () => {
    const [p0] = encodeMessage(CID, CTAPHID_CMD.CBOR, payload(200));
    assert.ok(p0);
    const a = new MessageAssembler(CID);
    a.push(p0);
    assert.throws(() => a.push(p0), isCode('invalid_frame'));
  });

  it('packets of other channels are reported as such and do not disturb the message', () => {
    const mine = encodeMessage(CID, CTAPHID_CMD.CBOR, payload(150));
    const theirs = encodeMessage(0x0a0b0c0d, CTAPHID_CMD.CBOR, payload(150));
    const a = new MessageAssembler(CID);
    let done: Buffer | undefined;
    for (let i = 0; i < mine.length; i++) {
      const t = a.push(theirs[i] ?? Buffer.alloc(0));
      assert.deepEqual(t, { kind: 'other_channel', cid: 0x0a0b0c0d });
      const r = a.push(mine[i] ?? Buffer.alloc(0));
      if (r.kind === 'message') done = r.data;
    }
    assert.deepEqual(done, payload(150));
  });

  it('a continuation packet with no message in progress is spurious, not an error', () => {
    const [, p1] = encodeMessage(CID, CTAPHID_CMD.CBOR, payload(100));
    assert.ok(p1);
    assert.deepEqual(new MessageAssembler(CID).push(p1), { kind: 'spurious' });
  });

  it('reports that are not 64 bytes: invalid_frame', () => {
    assert.throws(() => parsePacket(Buffer.alloc(63)), isCode('invalid_frame'));
    assert.throws(() => parsePacket(Buffer.alloc(65)), isCode('invalid_frame'));
    assert.throws(() => new MessageAssembler(CID).push(Buffer.alloc(0)), isCode('invalid_frame'));
  });
});

describe('CTAPHID codec properties', () => {
  it('any message up to 7609 bytes round-trips through fragmentation and reassembly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xfffffffe }),
        fc.integer({ min: 0, max: 0x7f }),
        fc.uint8Array({ minLength: 0, maxLength: MAX_MESSAGE_SIZE }),
        (cid, cmd, bytes) => {
          const data = Buffer.from(bytes);
          const reports = encodeMessage(cid, cmd, data);
          assert.equal(reports.length, data.length <= 57 ? 1 : 1 + Math.ceil((data.length - 57) / 59));
          const back = reassemble(reports, cid);
          assert.equal(back.cmd, cmd);
          assert.deepEqual(back.data, data);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('random garbage reports never crash: only typed errors or results, bounded output', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 64, maxLength: 64 }),
            fc.uint8Array({ minLength: 0, maxLength: 80 }),
            // Headers on our channel with random command/sequence/length bytes.
            fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 57, maxLength: 57 })).map(
              ([b4, len, rest]) => {
                const r = Buffer.alloc(64);
                r.writeUInt32BE(CID, 0);
                r[4] = b4;
                r.writeUInt16BE(len, 5);
                Buffer.from(rest).copy(r, 7);
                return new Uint8Array(r);
              },
            ),
          ),
          { maxLength: 200 },
        ),
        (reports) => {
          const a = new MessageAssembler(CID);
          for (const r of reports) {
            try {
              const out = a.push(Buffer.from(r));
              if (out.kind === 'message') assert.ok(out.data.length <= MAX_MESSAGE_SIZE);
            } catch (e) {
              assert.ok(e instanceof CtapTransportError, `untyped error: ${String(e)}`);
              assert.ok(['invalid_frame', 'message_too_long'].includes(e.code));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
