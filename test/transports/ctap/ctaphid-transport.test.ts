/**
 * CtapHidTransport against a scripted report device: one layer down is faked, every report the
 * host writes is inspected, and the device's answers are crafted frame by frame.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CtapHidTransport, type HidReportDevice } from '../../../src/main/transports/ctap/ctaphid-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import { encodeMessage, CTAPHID_CMD } from '../../../src/main/transports/ctap/ctaphid-frames.js';
import type { CtapKeepaliveStatus } from '../../../src/main/transports/ctap/ctap-transport.js';

const NONCE = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
const CID = 0x11223344;
const OTHER = 0x55667788;

class ScriptedDevice implements HidReportDevice {
  readonly written: Buffer[] = [];
  private readonly reportCbs = new Set<(r: Buffer) => void>();
  private readonly errorCbs = new Set<(e: CtapTransportError) => void>();
  closed = false;
  /** Answers each written report; the default answers INIT with NONCE → CID, capabilities WINK|CBOR|NMSG. */
  onWrite: (report: Buffer) => void = (r) => this.answerInit(r);

  answerInit(r: Buffer, caps = 0x0d): boolean {
    if (r.readUInt32BE(0) === 0xffffffff && r[4] === 0x86) {
      this.send(0xffffffff, CTAPHID_CMD.INIT, Buffer.concat([r.subarray(7, 15), u32(CID), Buffer.from([2, 1, 0, 0, caps])]));
      return true;
    }
    return false;
  }

  async write(report: Buffer): Promise<void> {
    assert.equal(report.length, 64, 'host writes 64-byte reports');
    const copy = Buffer.from(report);
    this.written.push(copy);
    setImmediate(() => this.onWrite(copy));
  }

  onReport(cb: (r: Buffer) => void): () => void {
    this.reportCbs.add(cb);
    return () => this.reportCbs.delete(cb);
  }

  onError(cb: (e: CtapTransportError) => void): () => void {
    this.errorCbs.add(cb);
    return () => this.errorCbs.delete(cb);
  }

  emit(report: Buffer): void {
    for (const cb of [...this.reportCbs]) cb(report);
  }

  send(cid: number, cmd: number, data: Buffer): void {
    for (const r of encodeMessage(cid, cmd, data)) this.emit(r);
  }

  fail(e: CtapTransportError): void {
    for (const cb of [...this.errorCbs]) cb(e);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Init packets the host wrote with command `cmd` (TYPE_INIT bit added here). */
  commands(cmd: number): Buffer[] {
    return this.written.filter((r) => r[4] === (0x80 | cmd));
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

async function open(dev: ScriptedDevice, extra: Partial<Parameters<typeof CtapHidTransport.open>[1]> = {}): Promise<CtapHidTransport> {
  return CtapHidTransport.open(dev, { uri: 'hid:test', nonce: () => Buffer.from(NONCE), busyBackoffMs: 1, ...extra });
}

const isCode = (code: string, hidError?: number) => (e: unknown): boolean =>
  e instanceof CtapTransportError && e.code === code && (hidError === undefined || e.hidError === hidError);

/** Scripts a device that answers each CBOR request through `answer(request)`. */
function cborDevice(answer: (dev: ScriptedDevice, request: Buffer, cid: number) => void): ScriptedDevice {
  const dev = new ScriptedDevice();
  dev.onWrite = (r) => {
    if (dev.answerInit(r)) return;
    if (r[4] === 0x90) answer(dev, r.subarray(7, 7 + r.readUInt16BE(5)), r.readUInt32BE(0));
  };
  return dev;
}

describe('CTAPHID transport: INIT', () => {
  it('sends INIT with the nonce on the broadcast channel and adopts the allocated channel', async () => {
    const dev = new ScriptedDevice();
    const t = await open(dev);
    const [init] = dev.written;
    assert.ok(init);
    assert.equal(init.subarray(0, 15).toString('hex'), 'ffffffff860008' + NONCE.toString('hex'));
    assert.equal(t.cid, CID);
    assert.equal(t.info.protocolVersion, 2);
    assert.ok(t.supportsCbor && t.supportsWink && t.noMsg);
  });

  it('ignores INIT answers carrying another nonce (another host) and takes the matching one', async () => {
    const dev = new ScriptedDevice();
    dev.onWrite = (r) => {
      dev.send(0xffffffff, CTAPHID_CMD.INIT, Buffer.concat([Buffer.from('0000000000000000', 'hex'), u32(OTHER), Buffer.from([2, 1, 0, 0, 0x0d])]));
      dev.answerInit(r);
    };
    const t = await open(dev);
    assert.equal(t.cid, CID);
  });

  it('no INIT answer: device_not_found, and the device is closed', async () => {
    const dev = new ScriptedDevice();
    dev.onWrite = () => undefined;
    await assert.rejects(open(dev, { initTimeoutMs: 60 }), isCode('device_not_found'));
    assert.equal(dev.closed, true);
  });

  it('a device allocating the broadcast channel is refused: invalid_channel', async () => {
    const dev = new ScriptedDevice();
    dev.onWrite = (r) => dev.send(0xffffffff, CTAPHID_CMD.INIT, Buffer.concat([r.subarray(7, 15), u32(0xffffffff), Buffer.from([2, 1, 0, 0, 4])]));
    await assert.rejects(open(dev), isCode('invalid_channel'));
  });
});

describe('CTAPHID transport: transactions', () => {
  it('reads only its channel: interleaved packets of another channel are ignored', async () => {
    const dev = cborDevice((d, req, cid) => {
      const answer = Buffer.concat([Buffer.from([0]), Buffer.alloc(150, req[0])]);
      const mine = encodeMessage(cid, CTAPHID_CMD.CBOR, answer);
      const theirs = encodeMessage(OTHER, CTAPHID_CMD.CBOR, Buffer.alloc(150, 0xee));
      for (let i = 0; i < mine.length; i++) {
        d.emit(theirs[i] ?? Buffer.alloc(64));
        d.emit(mine[i] ?? Buffer.alloc(64));
      }
    });
    const t = await open(dev);
    const answer = await t.cbor(Buffer.from([0x07]));
    assert.deepEqual(answer, Buffer.concat([Buffer.from([0]), Buffer.alloc(150, 7)]));
  });

  it('an answer with an out-of-order sequence number: invalid_frame', async () => {
    const dev = cborDevice((d, _req, cid) => {
      const [p0, , p2] = encodeMessage(cid, CTAPHID_CMD.CBOR, Buffer.alloc(150, 1));
      d.emit(p0 ?? Buffer.alloc(64));
      d.emit(p2 ?? Buffer.alloc(64));
    });
    const t = await open(dev);
    await assert.rejects(t.cbor(Buffer.from([0x01])), isCode('invalid_frame'));
  });

  it('an answer to another command: invalid_frame', async () => {
    const dev = cborDevice((d, _req, cid) => d.send(cid, CTAPHID_CMD.PING, Buffer.from([0])));
    const t = await open(dev);
    await assert.rejects(t.cbor(Buffer.from([0x01])), isCode('invalid_frame'));
  });

  it('surfaces keepalive statuses (RFU values ignored) before the answer', async () => {
    const dev = cborDevice((d, _req, cid) => {
      d.send(cid, CTAPHID_CMD.KEEPALIVE, Buffer.from([1]));
      d.send(cid, CTAPHID_CMD.KEEPALIVE, Buffer.from([2]));
      d.send(cid, CTAPHID_CMD.KEEPALIVE, Buffer.from([7]));
      d.send(cid, CTAPHID_CMD.CBOR, Buffer.from([0x00, 0xa0]));
    });
    const t = await open(dev);
    const seen: CtapKeepaliveStatus[] = [];
    assert.deepEqual(await t.cbor(Buffer.from([0x04]), { onKeepalive: (s) => seen.push(s) }), Buffer.from([0x00, 0xa0]));
    assert.deepEqual(seen, ['processing', 'user-presence-needed']);
  });

  it('retries after CHANNEL_BUSY with back-off, then succeeds', async () => {
    let calls = 0;
    const dev = cborDevice((d, _req, cid) => {
      calls++;
      if (calls <= 2) d.send(cid, CTAPHID_CMD.ERROR, Buffer.from([0x06]));
      else d.send(cid, CTAPHID_CMD.CBOR, Buffer.from([0x00]));
    });
    const t = await open(dev);
    assert.deepEqual(await t.cbor(Buffer.from([0x04])), Buffer.from([0x00]));
    assert.equal(dev.commands(CTAPHID_CMD.CBOR).length, 3);
  });

  it('stays busy past the retries: channel_busy', async () => {
    const dev = cborDevice((d, _req, cid) => d.send(cid, CTAPHID_CMD.ERROR, Buffer.from([0x06])));
    const t = await open(dev, { busyRetries: 2 });
    await assert.rejects(t.cbor(Buffer.from([0x04])), isCode('channel_busy', 0x06));
    assert.equal(dev.commands(CTAPHID_CMD.CBOR).length, 3);
  });

  it('maps CTAPHID_ERROR codes to typed errors', async () => {
    const expectations: Array<[number, string]> = [
      [0x01, 'not_supported'],
      [0x02, 'ctaphid_error'],
      [0x03, 'ctaphid_error'],
      [0x04, 'ctaphid_error'],
      [0x05, 'timeout'],
      [0x0b, 'invalid_channel'],
      [0x7f, 'ctaphid_error'],
      [0x42, 'ctaphid_error'],
    ];
    for (const [code, expected] of expectations) {
      const dev = cborDevice((d, _req, cid) => d.send(cid, CTAPHID_CMD.ERROR, Buffer.from([code])));
      const t = await open(dev);
      await assert.rejects(t.cbor(Buffer.from([0x04])), isCode(expected, code), `ERROR 0x${code.toString(16)}`);
    }
  });

  it('abort sends CTAPHID_CANCEL on the channel, rejects cancelled and drains the late answer', async () => {
    let n = 0;
    const dev = new ScriptedDevice();
    dev.onWrite = (r) => {
      if (dev.answerInit(r)) return;
      const cid = r.readUInt32BE(0);
      if (r[4] === 0x90) {
        n++;
        if (n === 1) dev.send(cid, CTAPHID_CMD.KEEPALIVE, Buffer.from([2]));
        else dev.send(cid, CTAPHID_CMD.CBOR, Buffer.from([0x00, 0x02]));
      }
      if (r[4] === 0x91) dev.send(cid, CTAPHID_CMD.CBOR, Buffer.from([0x2d])); // KEEPALIVE_CANCEL
    };
    const t = await open(dev);
    const ac = new AbortController();
    await assert.rejects(t.cbor(Buffer.from([0x01]), { signal: ac.signal, onKeepalive: () => ac.abort() }), isCode('cancelled'));
    const [cancel] = dev.commands(CTAPHID_CMD.CANCEL);
    assert.ok(cancel, 'CANCEL written');
    assert.equal(cancel.readUInt32BE(0), CID);
    assert.equal(cancel.readUInt16BE(5), 0);
    assert.deepEqual(await t.cbor(Buffer.from([0x02])), Buffer.from([0x00, 0x02]), 'the late 0x2D answer was not taken for this one');
  });

  it('an already-aborted signal rejects cancelled without writing', async () => {
    const dev = cborDevice(() => undefined);
    const t = await open(dev);
    const before = dev.written.length;
    await assert.rejects(t.cbor(Buffer.from([0x01]), { signal: AbortSignal.abort() }), isCode('cancelled'));
    assert.equal(dev.written.length, before);
  });

  it('time budget exhausted: timeout, and CANCEL is sent', async () => {
    const dev = cborDevice((d, _req, cid) => d.send(cid, CTAPHID_CMD.KEEPALIVE, Buffer.from([1])));
    const t = await open(dev, { cancelDrainMs: 20 });
    await assert.rejects(t.cbor(Buffer.from([0x01]), { timeoutMs: 50 }), isCode('timeout'));
    assert.equal(dev.commands(CTAPHID_CMD.CANCEL).length, 1);
  });

  it('unplugged mid-request: device_removed, and later calls fail the same way', async () => {
    const dev = cborDevice((d) => d.fail(new CtapTransportError('device_removed', 'unplugged')));
    const t = await open(dev);
    await assert.rejects(t.cbor(Buffer.from([0x01])), isCode('device_removed'));
    await assert.rejects(t.cbor(Buffer.from([0x01])), isCode('device_removed'));
  });

  it('a write failure is typed (io_error), not raw', async () => {
    const dev = new ScriptedDevice();
    const t = await open(dev);
    dev.write = async () => { throw new Error('EIO'); };
    await assert.rejects(t.cbor(Buffer.from([0x01]), { timeoutMs: 200 }), isCode('io_error'));
  });

  it('PING echoes; a different echo is invalid_frame; WINK needs the capability', async () => {
    const dev = new ScriptedDevice();
    let corrupt = false;
    dev.onWrite = (r) => {
      if (dev.answerInit(r, 0x04)) return;
      const cid = r.readUInt32BE(0);
      if (r[4] === 0x81) {
        const data = Buffer.from(r.subarray(7, 7 + r.readUInt16BE(5)));
        if (corrupt) data[0] = (data[0] ?? 0) ^ 1;
        dev.send(cid, CTAPHID_CMD.PING, data);
      }
    };
    const t = await open(dev);
    assert.deepEqual(await t.ping(Buffer.from('abc')), Buffer.from('abc'));
    corrupt = true;
    await assert.rejects(t.ping(Buffer.from('abc')), isCode('invalid_frame'));
    await assert.rejects(t.wink(), isCode('not_supported'));
  });

  it('MSG (CTAP1) goes out as CTAPHID_MSG when the device has U2F, and is refused under NMSG', async () => {
    const u2f = new ScriptedDevice();
    u2f.onWrite = (r) => {
      if (u2f.answerInit(r, 0x05)) return;
      if (r[4] === 0x83) u2f.send(r.readUInt32BE(0), CTAPHID_CMD.MSG, Buffer.from('9000', 'hex'));
    };
    const t = await open(u2f);
    assert.deepEqual(await t.msg(Buffer.from('00030000', 'hex')), Buffer.from('9000', 'hex'));
    assert.equal(u2f.commands(CTAPHID_CMD.MSG).length, 1);
    const fido2Only = await open(new ScriptedDevice());
    await assert.rejects(fido2Only.msg(Buffer.from('00030000', 'hex')), isCode('not_supported'));
  });

  it('close rejects later requests with closed and closes the device', async () => {
    const dev = cborDevice(() => undefined);
    const t = await open(dev);
    await t.close();
    assert.equal(dev.closed, true);
    await assert.rejects(t.cbor(Buffer.from([0x01])), isCode('closed'));
  });

  it('close while a request waits: the request rejects closed', async () => {
    const dev = cborDevice(() => undefined);
    const t = await open(dev);
    const pending = t.cbor(Buffer.from([0x01]), { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 10));
    await t.close();
    await assert.rejects(pending, isCode('closed'));
  });
});
