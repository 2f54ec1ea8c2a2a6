/**
 * The CTAPHID device simulator's error answers (CTAP 2.1 §11.2.9.1.6), driven with reports
 * written by hand: each case names the rule it checks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CtapHidDeviceSim, type CtapCborHandler } from './ctaphid-device.js';

const echo: CtapCborHandler = async (request) => Buffer.concat([Buffer.from([0x00]), request]);

function report(cid: number, b4: number, rest: Buffer | string = ''): Buffer {
  const r = Buffer.alloc(64);
  r.writeUInt32BE(cid >>> 0, 0);
  r[4] = b4;
  (typeof rest === 'string' ? Buffer.from(rest, 'hex') : rest).copy(r, 5);
  return r;
}

function init(cid: number, cmd: number, bcnt: number, data: Buffer | string = ''): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data, 'hex') : data;
  const head = Buffer.alloc(2);
  head.writeUInt16BE(bcnt);
  return report(cid, 0x80 | cmd, Buffer.concat([head, d]));
}

function rig(handler: CtapCborHandler = echo, msgTimeoutMs = 500): { sim: CtapHidDeviceSim; out: Buffer[]; open(): number } {
  const out: Buffer[] = [];
  const sim = new CtapHidDeviceSim({ handler, msgTimeoutMs, keepaliveIntervalMs: 20 }, (r) => out.push(Buffer.from(r)));
  return {
    sim,
    out,
    open() {
      sim.receive(init(0xffffffff, 0x06, 8, '0102030405060708'));
      const answer = out.pop();
      assert.ok(answer);
      return answer.readUInt32BE(15);
    },
  };
}

/** CID, command byte and first data byte of the last report. */
function last(out: Buffer[]): string {
  const r = out[out.length - 1];
  assert.ok(r, 'the device answered');
  return r.subarray(0, 8).toString('hex');
}

const cidHex = (cid: number): string => cid.toString(16).padStart(8, '0');

describe('CTAPHID device simulator: errors', () => {
  it('INIT with a length other than 8: ERR_INVALID_LEN', () => {
    const { sim, out } = rig();
    sim.receive(init(0xffffffff, 0x06, 7, '01020304050607'));
    assert.equal(last(out), 'ffffffffbf000103');
  });

  it('channel 0, an unallocated channel, or a non-INIT command on the broadcast channel: ERR_INVALID_CHANNEL', () => {
    const { sim, out, open } = rig();
    open();
    sim.receive(init(0, 0x01, 1, '00'));
    assert.equal(last(out), '00000000bf00010b');
    sim.receive(init(0x12345678, 0x01, 1, '00'));
    assert.equal(last(out), '12345678bf00010b');
    sim.receive(init(0xffffffff, 0x10, 1, '04'));
    assert.equal(last(out), 'ffffffffbf00010b');
  });

  it('MSG without U2F, LOCK with a bad length, unknown command: ERR_INVALID_CMD / ERR_INVALID_LEN', () => {
    const { sim, out, open } = rig();
    const cid = open();
    sim.receive(init(cid, 0x03, 1, '00'));
    assert.equal(last(out), `${cidHex(cid)}bf000101`);
    sim.receive(init(cid, 0x2a, 0));
    assert.equal(last(out), `${cidHex(cid)}bf000101`);
    sim.receive(init(cid, 0x04, 2, '0101'));
    assert.equal(last(out), `${cidHex(cid)}bf000103`);
  });

  it('LOCK over 10 s: ERR_INVALID_PAR; a lock makes other channels busy until released', () => {
    const { sim, out, open } = rig();
    const a = open();
    const b = open();
    sim.receive(init(a, 0x04, 1, '0b'));
    assert.equal(last(out), `${cidHex(a)}bf000102`);
    sim.receive(init(a, 0x04, 1, '05'));
    assert.equal(last(out), `${cidHex(a)}84000000`);
    sim.receive(init(b, 0x01, 1, 'aa'));
    assert.equal(last(out), `${cidHex(b)}bf000106`);
    sim.receive(init(a, 0x04, 1, '00'));
    sim.receive(init(b, 0x01, 1, 'aa'));
    assert.equal(last(out), `${cidHex(b)}810001aa`);
  });

  it('a message over 7609 bytes: ERR_INVALID_LEN; an empty CBOR message: ERR_INVALID_LEN', () => {
    const { sim, out, open } = rig();
    const cid = open();
    sim.receive(init(cid, 0x10, 7610));
    assert.equal(last(out), `${cidHex(cid)}bf000103`);
    sim.receive(init(cid, 0x10, 0));
    assert.equal(last(out), `${cidHex(cid)}bf000103`);
  });

  it('wrong sequence number, or a new init packet mid-message: ERR_INVALID_SEQ', () => {
    const { sim, out, open } = rig();
    const cid = open();
    sim.receive(init(cid, 0x01, 100, Buffer.alloc(57, 1)));
    sim.receive(report(cid, 1, Buffer.alloc(59, 2)));
    assert.equal(last(out), `${cidHex(cid)}bf000104`);
    sim.receive(init(cid, 0x01, 100, Buffer.alloc(57, 1)));
    sim.receive(init(cid, 0x01, 1, '00'));
    assert.equal(last(out), `${cidHex(cid)}bf000104`);
  });

  it('another channel during a message or a running request: ERR_CHANNEL_BUSY; a spurious continuation is ignored', async () => {
    let release: () => void = () => undefined;
    const { sim, out, open } = rig((req) => new Promise((resolve) => { release = () => resolve(Buffer.concat([Buffer.from([0]), req])); }));
    const a = open();
    const b = open();
    const before = out.length;
    sim.receive(report(b, 0, Buffer.alloc(59)));
    assert.equal(out.length, before, 'spurious continuation ignored');
    sim.receive(init(a, 0x01, 100, Buffer.alloc(57, 1)));
    sim.receive(init(b, 0x01, 1, 'bb'));
    assert.equal(last(out), `${cidHex(b)}bf000106`);
    sim.receive(report(a, 0, Buffer.alloc(59, 2)));
    assert.equal(out[out.length - 2]?.subarray(0, 7).toString('hex'), `${cidHex(a)}810064`, 'PING answered after the interruption');
    sim.receive(init(a, 0x10, 1, '04'));
    sim.receive(init(b, 0x10, 1, '04'));
    assert.equal(last(out), `${cidHex(b)}bf000106`);
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(last(out), `${cidHex(a)}90000200`);
  });

  it('a message left incomplete: ERR_MSG_TIMEOUT', async () => {
    const { sim, out, open } = rig(echo, 30);
    const cid = open();
    sim.receive(init(cid, 0x01, 100, Buffer.alloc(57, 1)));
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(last(out), `${cidHex(cid)}bf000105`);
  });

  it('CANCEL aborts the handler: keepalives stop and the answer is CTAP2_ERR_KEEPALIVE_CANCEL', async () => {
    const { sim, out, open } = rig((_req, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('cancelled')))));
    const cid = open();
    sim.receive(init(cid, 0x10, 1, '01'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(last(out), `${cidHex(cid)}bb000101`, 'KEEPALIVE processing');
    sim.receive(init(cid, 0x11, 0));
    await new Promise((r) => setImmediate(r));
    assert.equal(last(out), `${cidHex(cid)}9000012d`);
    const n = out.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.length, n, 'no keepalive after the answer');
    sim.close();
  });

  it('INIT on an allocated channel resynchronises it (same channel id answered)', () => {
    const { sim, out, open } = rig();
    const cid = open();
    sim.receive(init(cid, 0x01, 100, Buffer.alloc(57, 1)));
    sim.receive(init(cid, 0x06, 8, '1111111111111111'));
    const r = out[out.length - 1];
    assert.ok(r);
    assert.equal(r.subarray(0, 15).toString('hex'), `${cidHex(cid)}860011` + '1111111111111111');
    assert.equal(r.readUInt32BE(15), cid);
  });
});
