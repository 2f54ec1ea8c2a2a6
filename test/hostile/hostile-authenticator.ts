/**
 * A misbehaving FIDO2 authenticator on UDP (the SoloKeys PC-simulation convention the test bed
 * uses): it answers CTAPHID_INIT like a real key, then meets every request with a scripted
 * misbehaviour (floods of keepalives, answers on another channel, continuation packets out of
 * sequence, announced lengths past the limit, error frames). The framing is written here by
 * hand, independently of the host's codec.
 */
import * as dgram from 'node:dgram';

export const REPORT = 64;
export const CMD = { PING: 0x01, INIT: 0x06, CBOR: 0x10, CANCEL: 0x11, KEEPALIVE: 0x3b, ERROR: 0x3f } as const;

/** One 64-byte report: CID, then either TYPE_INIT | cmd, BCNT, data or SEQ, data. */
export function initReport(cid: number, cmd: number, bcnt: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const r = Buffer.alloc(REPORT);
  r.writeUInt32BE(cid >>> 0, 0);
  r[4] = 0x80 | cmd;
  r.writeUInt16BE(bcnt, 5);
  data.copy(r, 7, 0, Math.min(data.length, REPORT - 7));
  return r;
}

export function contReport(cid: number, seq: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const r = Buffer.alloc(REPORT);
  r.writeUInt32BE(cid >>> 0, 0);
  r[4] = seq & 0x7f;
  data.copy(r, 5, 0, Math.min(data.length, REPORT - 5));
  return r;
}

export interface RequestContext {
  /** Channel the host was given. */
  readonly cid: number;
  /** CTAPHID command of the request (without the init bit). */
  readonly cmd: number;
  send(report: Buffer): void;
  /** True once the host sent CTAPHID_CANCEL on its channel. */
  readonly cancelled: boolean;
  /** Sends `report()` every `ms` until the authenticator is closed (it keeps going after CANCEL: hostile). */
  repeat(ms: number, report: () => Buffer): void;
}

export type Misbehaviour = (ctx: RequestContext) => void;

export interface HostileAuthenticator {
  readonly uri: string;
  /** Commands received on the allocated channel (init packets only), in order. */
  readonly commands: number[];
  /** Reports sent so far. */
  readonly sent: () => number;
  close(): Promise<void>;
}

export async function startHostileAuthenticator(misbehave: Misbehaviour, opts: { initNonce?: 'echo' | 'wrong' } = {}): Promise<HostileAuthenticator> {
  const socket = dgram.createSocket('udp4');
  const cid = 0x11223344;
  const commands: number[] = [];
  let sentCount = 0;
  let cancelled = false;
  const timers = new Set<NodeJS.Timeout>();
  let peer: { port: number; address: string } | undefined;
  let closed = false;
  const send = (report: Buffer): void => {
    if (!peer || closed) return;
    sentCount += 1;
    socket.send(report, peer.port, peer.address, () => undefined);
  };
  socket.on('message', (msg, rinfo) => {
    if (msg.length !== REPORT) return;
    peer = { port: rinfo.port, address: rinfo.address };
    const from = msg.readUInt32BE(0);
    const b4 = msg[4] ?? 0;
    if ((b4 & 0x80) === 0) return; // continuation packets of requests: not needed by the scripts
    const cmd = b4 & 0x7f;
    if (from === 0xffffffff && cmd === CMD.INIT) {
      const nonce = Buffer.from(msg.subarray(7, 15));
      if (opts.initNonce === 'wrong') nonce[0] = (nonce[0] ?? 0) ^ 0xff;
      const payload = Buffer.concat([nonce, Buffer.from([0x11, 0x22, 0x33, 0x44, 2, 1, 0, 0, 0x0d])]);
      send(initReport(0xffffffff, CMD.INIT, payload.length, payload));
      return;
    }
    if (from !== cid) return;
    commands.push(cmd);
    if (cmd === CMD.CANCEL) {
      cancelled = true;
      return;
    }
    misbehave({
      cid,
      cmd,
      send,
      get cancelled() {
        return cancelled;
      },
      repeat(ms, report) {
        timers.add(setInterval(() => send(report()), ms));
      },
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  return {
    uri: `udp:127.0.0.1:${port}?listen=0`,
    commands,
    sent: () => sentCount,
    async close() {
      closed = true;
      for (const t of timers) clearInterval(t);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
