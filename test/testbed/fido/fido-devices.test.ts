/**
 * The device-side harnesses, driven with bytes written by hand from CTAP 2.1 §11.2 (CTAPHID)
 * and §11.3 (NFC), not with the host transports, so the harnesses are checked on their own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { startUdpCtapDevice, type CtapCborHandler } from './ctaphid-device.js';
import { NfcFidoCard } from './nfc-fido-card.js';

const echo: CtapCborHandler = async (request) => Buffer.concat([Buffer.from([0x00]), request]);

async function udpHost(port: number): Promise<{ socket: dgram.Socket; next(timeoutMs?: number): Promise<Buffer> }> {
  const socket = dgram.createSocket('udp4');
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', () => resolve()));
  return {
    socket,
    next(timeoutMs = 2000) {
      const q = queue.shift();
      if (q) return Promise.resolve(q);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no report')), timeoutMs);
        waiters.push((b) => { clearTimeout(t); resolve(b); });
      });
    },
  };
}

function report(hex: string): Buffer {
  const r = Buffer.alloc(64);
  Buffer.from(hex.replace(/\s+/g, ''), 'hex').copy(r);
  return r;
}

describe('UDP CTAPHID device harness', () => {
  it('allocates a channel on INIT and echoes a CBOR request through the handler, with keepalives', async () => {
    const slow: CtapCborHandler = async (request, ctx) => {
      ctx.keepalive('user-presence-needed');
      await new Promise((r) => setTimeout(r, 250));
      return echo(request, ctx);
    };
    const dev = await startUdpCtapDevice({ handler: slow, devicePort: 0, hostPort: 0 });
    const host = await udpHost(dev.hostPort);
    try {
      assert.match(dev.uri, /^udp:127\.0\.0\.1:\d+\?listen=\d+$/);
      const send = (r: Buffer): void => { host.socket.send(r, dev.devicePort, '127.0.0.1'); };
      send(report('FFFFFFFF 86 0008 0102030405060708'));
      const init = await host.next();
      assert.equal(init.length, 64);
      assert.equal(init.subarray(0, 7).toString('hex'), 'ffffffff860011');
      assert.equal(init.subarray(7, 15).toString('hex'), '0102030405060708');
      const cid = init.subarray(15, 19);
      assert.equal(init[19], 2, 'CTAPHID protocol version 2');
      assert.equal(init[23], 0x01 | 0x04 | 0x08, 'WINK | CBOR | NMSG');
      // CBOR request of 70 bytes: init packet (57) + one continuation (13).
      const body = Buffer.alloc(70, 0x5a);
      body[0] = 0x04;
      const p0 = Buffer.alloc(64);
      cid.copy(p0, 0); p0[4] = 0x90; p0.writeUInt16BE(70, 5); body.copy(p0, 7, 0, 57);
      const p1 = Buffer.alloc(64);
      cid.copy(p1, 0); p1[4] = 0; body.copy(p1, 5, 57);
      send(p0); send(p1);
      const ka = await host.next();
      assert.deepEqual(ka.subarray(0, 4), cid);
      assert.equal(ka.subarray(4, 8).toString('hex'), 'bb000102', 'KEEPALIVE user-presence-needed');
      let first = await host.next();
      while (first[4] === 0xbb) first = await host.next();
      assert.equal(first[4], 0x90);
      assert.equal(first.readUInt16BE(5), 71);
      const cont = await host.next();
      assert.equal(cont[4], 0);
      const answer = Buffer.concat([first.subarray(7), cont.subarray(5)]).subarray(0, 71);
      assert.deepEqual(answer, Buffer.concat([Buffer.from([0]), body]));
      // MSG is not supported (NMSG): ERROR INVALID_CMD.
      const msg = Buffer.alloc(64); cid.copy(msg, 0); msg[4] = 0x83; msg.writeUInt16BE(1, 5);
      send(msg);
      const err = await host.next();
      assert.equal(err.subarray(4, 8).toString('hex'), 'bf000101');
    } finally {
      host.socket.close();
      await dev.close();
    }
  });
});

describe('NFC FIDO card harness', () => {
  it('answers SELECT with FIDO_2_0 and an NFCCTAP_MSG through the handler, chained and with GET RESPONSE', async () => {
    const card = new NfcFidoCard({ handler: echo, extendedLength: false });
    card.powerOn();
    assert.equal((await card.processApdu(Buffer.from('80100000010400', 'hex'))).toString('hex'), '6985', 'not selected yet');
    const sel = await card.processApdu(Buffer.from('00A4040008A0000006472F000100', 'hex'));
    assert.equal(sel.toString('hex'), Buffer.from('FIDO_2_0').toString('hex') + '9000');
    // 300-byte request: 255 bytes chained with CLA 90, then 45 with CLA 80.
    const req = Buffer.alloc(300, 0xa5);
    const c1 = await card.processApdu(Buffer.concat([Buffer.from([0x90, 0x10, 0x00, 0x00, 0xff]), req.subarray(0, 255)]));
    assert.equal(c1.toString('hex'), '9000');
    const r1 = await card.processApdu(Buffer.concat([Buffer.from([0x80, 0x10, 0x00, 0x00, 45]), req.subarray(255), Buffer.from([0])]));
    assert.equal(r1.length, 258);
    assert.equal(r1.subarray(256).toString('hex'), '612d', '45 bytes remain');
    const r2 = await card.processApdu(Buffer.from('00C000002D', 'hex'));
    assert.equal(r2.subarray(-2).toString('hex'), '9000');
    assert.deepEqual(Buffer.concat([r1.subarray(0, 256), r2.subarray(0, -2)]), Buffer.concat([Buffer.from([0]), req]));
  });

  it('answers 9100 status updates while the handler runs and the result on NFCCTAP_GETRESPONSE', async () => {
    const slow: CtapCborHandler = async (request, ctx) => {
      ctx.keepalive('user-presence-needed');
      await new Promise((r) => setTimeout(r, 120));
      return echo(request, ctx);
    };
    const card = new NfcFidoCard({ handler: slow, pollWindowMs: 20 });
    card.powerOn();
    await card.processApdu(Buffer.from('00A4040008A0000006472F000100', 'hex'));
    const first = await card.processApdu(Buffer.from('80108000010400', 'hex'));
    assert.equal(first.toString('hex'), '029100');
    let r = first;
    while (r.subarray(-2).toString('hex') === '9100') r = await card.processApdu(Buffer.from('8011000000', 'hex'));
    assert.equal(r.toString('hex'), '00049000');
  });
});
