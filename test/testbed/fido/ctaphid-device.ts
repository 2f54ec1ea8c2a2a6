/**
 * The DEVICE side of CTAPHID (CTAP 2.1 §11.2), for simulated authenticators.
 *
 * `CtapHidDeviceSim` is transport-free: it takes 64-byte output reports from the host and emits
 * 64-byte input reports through `send`. `startUdpCtapDevice` puts it on UDP the way the SoloKeys
 * PC simulation does (device listens on 8111, sends its reports to the host on 7112, no
 * report-ID byte). The framing here is written independently of the host codec in
 * `src/main/transports/ctap/ctaphid-frames.ts`, so the two check each other.
 *
 * CBOR messages go to a `CtapCborHandler`; while it runs the device sends KEEPALIVE every
 * 100 ms, and CTAPHID_CANCEL aborts the handler's signal (the answer is then
 * CTAP2_ERR_KEEPALIVE_CANCEL unless the handler answers something else).
 */
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export type CtapCborHandler = (
  request: Buffer /* command byte + CBOR */,
  ctx: { keepalive(status: 'processing' | 'user-presence-needed'): void; signal: AbortSignal /* aborted on CTAPHID_CANCEL */ },
) => Promise<Buffer /* status byte + CBOR */>;

export const REPORT_SIZE = 64;
export const INIT_DATA = REPORT_SIZE - 7;
export const CONT_DATA = REPORT_SIZE - 5;
export const MAX_MESSAGE = INIT_DATA + 128 * CONT_DATA; // 7609
export const BROADCAST_CID = 0xffffffff;

/** CTAPHID command codes (CTAP 2.1 §11.2.9), without the TYPE_INIT bit. */
export const HidCmd = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

/** CTAPHID_ERROR codes (CTAP 2.1 §11.2.9.1.6). */
export const HidErr = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;

export const CAPABILITY_WINK = 0x01;
export const CAPABILITY_CBOR = 0x04;
export const CAPABILITY_NMSG = 0x08;

const KEEPALIVE_STATUS = { processing: 0x01, 'user-presence-needed': 0x02 } as const;
/** CTAP2_ERR_KEEPALIVE_CANCEL: the answer to a CBOR request cancelled by the host. */
const CTAP2_ERR_KEEPALIVE_CANCEL = 0x2d;
const CTAP1_ERR_OTHER = 0x7f;

export interface CtapHidDeviceOptions {
  handler: CtapCborHandler;
  /** Interval between KEEPALIVE reports while a handler runs (default 100 ms). */
  keepaliveIntervalMs?: number;
  /** How long the device waits for the next continuation packet (default 500 ms). */
  msgTimeoutMs?: number;
  /** Device version reported by INIT (major, minor, build). */
  version?: readonly [number, number, number];
  /** Called on WINK. */
  onWink?: () => void;
}

interface Assembly {
  cid: number;
  cmd: number;
  total: number;
  chunks: Buffer[];
  received: number;
  nextSeq: number;
  timer: NodeJS.Timeout;
}

interface Running {
  cid: number;
  abort: AbortController;
  keepaliveTimer: NodeJS.Timeout;
  status: number;
}

export class CtapHidDeviceSim {
  private readonly channels = new Set<number>();
  private assembly: Assembly | undefined;
  private running: Running | undefined;
  private lock: { cid: number; until: number } | undefined;
  private closed = false;
  /** Count of WINK commands received (for tests). */
  winks = 0;
  /** Count of CANCEL commands that aborted a running request (for tests). */
  cancels = 0;

  constructor(
    private readonly opts: CtapHidDeviceOptions,
    private readonly send: (report: Buffer) => void,
  ) {}

  /** Channel ids currently allocated. */
  get allocatedChannels(): readonly number[] {
    return [...this.channels];
  }

  close(): void {
    this.closed = true;
    if (this.assembly) clearTimeout(this.assembly.timer);
    this.assembly = undefined;
    if (this.running) {
      clearInterval(this.running.keepaliveTimer);
      this.running.abort.abort();
      this.running = undefined;
    }
  }

  /** One output report from the host (64 bytes; shorter reports are zero-padded, longer ignored). */
  receive(raw: Buffer): void {
    if (this.closed || raw.length < 5 || raw.length > REPORT_SIZE) return;
    const report = Buffer.alloc(REPORT_SIZE);
    raw.copy(report);
    const cid = report.readUInt32BE(0);
    const b4 = report[4] ?? 0;
    if (b4 & 0x80) this.receiveInit(cid, b4 & 0x7f, report);
    else this.receiveCont(cid, b4, report);
  }

  private receiveInit(cid: number, cmd: number, report: Buffer): void {
    const bcnt = report.readUInt16BE(5);
    if (cid === 0) return this.error(cid, HidErr.INVALID_CHANNEL);
    if (cmd === HidCmd.INIT) return this.handleInitCommand(cid, bcnt, report.subarray(7, 7 + Math.min(bcnt, INIT_DATA)));
    if (cid === BROADCAST_CID) return this.error(cid, HidErr.INVALID_CHANNEL);
    if (!this.channels.has(cid)) return this.error(cid, HidErr.INVALID_CHANNEL);
    if (cmd === HidCmd.CANCEL) {
      if (this.running && this.running.cid === cid) {
        this.cancels++;
        this.running.abort.abort();
      }
      return; // CANCEL has no answer of its own
    }
    if (this.lock && this.lock.cid !== cid && Date.now() < this.lock.until) return this.error(cid, HidErr.CHANNEL_BUSY);
    if (this.assembly) {
      if (this.assembly.cid === cid) {
        // A new init packet while this channel's message is incomplete.
        this.dropAssembly();
        return this.error(cid, HidErr.INVALID_SEQ);
      }
      return this.error(cid, HidErr.CHANNEL_BUSY);
    }
    if (this.running) return this.error(cid, HidErr.CHANNEL_BUSY);
    if (bcnt > MAX_MESSAGE) return this.error(cid, HidErr.INVALID_LEN);
    const first = Buffer.from(report.subarray(7, 7 + Math.min(bcnt, INIT_DATA)));
    if (first.length === bcnt) return this.dispatch(cid, cmd, first);
    this.assembly = {
      cid,
      cmd,
      total: bcnt,
      chunks: [first],
      received: first.length,
      nextSeq: 0,
      timer: setTimeout(() => this.timeoutAssembly(), this.opts.msgTimeoutMs ?? 500),
    };
  }

  private receiveCont(cid: number, seq: number, report: Buffer): void {
    const a = this.assembly;
    if (!a) return; // spurious continuation packet: ignored
    if (a.cid !== cid) {
      if (this.channels.has(cid)) this.error(cid, HidErr.CHANNEL_BUSY);
      return;
    }
    if (seq !== a.nextSeq) {
      this.dropAssembly();
      return this.error(cid, HidErr.INVALID_SEQ);
    }
    const take = Math.min(CONT_DATA, a.total - a.received);
    a.chunks.push(Buffer.from(report.subarray(5, 5 + take)));
    a.received += take;
    a.nextSeq++;
    clearTimeout(a.timer);
    if (a.received < a.total) {
      a.timer = setTimeout(() => this.timeoutAssembly(), this.opts.msgTimeoutMs ?? 500);
      return;
    }
    this.assembly = undefined;
    this.dispatch(cid, a.cmd, Buffer.concat(a.chunks));
  }

  private dropAssembly(): void {
    if (this.assembly) clearTimeout(this.assembly.timer);
    this.assembly = undefined;
  }

  private timeoutAssembly(): void {
    const a = this.assembly;
    if (!a) return;
    this.assembly = undefined;
    this.error(a.cid, HidErr.MSG_TIMEOUT);
  }

  private handleInitCommand(cid: number, bcnt: number, nonce: Buffer): void {
    if (bcnt !== 8) return this.error(cid, HidErr.INVALID_LEN);
    if (cid !== BROADCAST_CID && !this.channels.has(cid)) return this.error(cid, HidErr.INVALID_CHANNEL);
    let newCid = cid;
    if (cid === BROADCAST_CID) {
      do newCid = randomBytes(4).readUInt32BE(0);
      while (newCid === 0 || newCid === BROADCAST_CID || this.channels.has(newCid));
      this.channels.add(newCid);
    } else {
      // Resynchronisation of an existing channel: abandon what it had in progress.
      if (this.assembly?.cid === cid) this.dropAssembly();
      if (this.running?.cid === cid) this.running.abort.abort();
    }
    const [major, minor, build] = this.opts.version ?? [1, 0, 0];
    const payload = Buffer.alloc(17);
    nonce.copy(payload, 0);
    payload.writeUInt32BE(newCid, 8);
    payload[12] = 2; // CTAPHID protocol version
    payload[13] = major;
    payload[14] = minor;
    payload[15] = build;
    payload[16] = CAPABILITY_WINK | CAPABILITY_CBOR | CAPABILITY_NMSG;
    this.sendMessage(cid, HidCmd.INIT, payload);
  }

  private dispatch(cid: number, cmd: number, data: Buffer): void {
    switch (cmd) {
      case HidCmd.PING:
        return this.sendMessage(cid, HidCmd.PING, data);
      case HidCmd.WINK:
        if (data.length !== 0) return this.error(cid, HidErr.INVALID_LEN);
        this.winks++;
        this.opts.onWink?.();
        return this.sendMessage(cid, HidCmd.WINK, Buffer.alloc(0));
      case HidCmd.CBOR:
        if (data.length === 0) return this.error(cid, HidErr.INVALID_LEN);
        return this.runCbor(cid, data);
      case HidCmd.LOCK: {
        // Exclusive use of the device by this channel for 0..10 s (0 releases).
        if (data.length !== 1) return this.error(cid, HidErr.INVALID_LEN);
        const seconds = data[0] ?? 0;
        if (seconds > 10) return this.error(cid, HidErr.INVALID_PAR);
        this.lock = seconds === 0 ? undefined : { cid, until: Date.now() + seconds * 1000 };
        return this.sendMessage(cid, HidCmd.LOCK, Buffer.alloc(0));
      }
      default:
        // MSG (no U2F: NMSG capability), KEEPALIVE/ERROR (device-to-host only) and anything unknown.
        return this.error(cid, HidErr.INVALID_CMD);
    }
  }

  private runCbor(cid: number, request: Buffer): void {
    const abort = new AbortController();
    const running: Running = {
      cid,
      abort,
      status: KEEPALIVE_STATUS.processing,
      keepaliveTimer: setInterval(() => this.sendKeepalive(running), this.opts.keepaliveIntervalMs ?? 100),
    };
    this.running = running;
    const ctx = {
      keepalive: (status: 'processing' | 'user-presence-needed'): void => {
        const code = KEEPALIVE_STATUS[status];
        if (running.status !== code) {
          running.status = code;
          this.sendKeepalive(running);
        }
      },
      signal: abort.signal,
    };
    let answer: Promise<Buffer>;
    try {
      answer = this.opts.handler(request, ctx);
    } catch (e) {
      answer = Promise.reject(e);
    }
    answer.then(
      (response) => this.finish(running, response),
      () => this.finish(running, Buffer.from([abort.signal.aborted ? CTAP2_ERR_KEEPALIVE_CANCEL : CTAP1_ERR_OTHER])),
    );
  }

  private sendKeepalive(running: Running): void {
    if (this.running !== running || this.closed) return;
    this.sendMessage(running.cid, HidCmd.KEEPALIVE, Buffer.from([running.status]));
  }

  private finish(running: Running, response: Buffer): void {
    clearInterval(running.keepaliveTimer);
    if (this.running !== running) return; // channel resynchronised or device closed meanwhile
    this.running = undefined;
    if (this.closed) return;
    if (response.length === 0 || response.length > MAX_MESSAGE) {
      this.error(running.cid, HidErr.OTHER);
      return;
    }
    this.sendMessage(running.cid, HidCmd.CBOR, response);
  }

  private error(cid: number, code: number): void {
    this.sendMessage(cid, HidCmd.ERROR, Buffer.from([code]));
  }

  /** Fragments one message into an init packet and continuation packets. */
  sendMessage(cid: number, cmd: number, data: Buffer): void {
    if (this.closed) return;
    const first = Buffer.alloc(REPORT_SIZE);
    first.writeUInt32BE(cid >>> 0, 0);
    first[4] = 0x80 | cmd;
    first.writeUInt16BE(data.length, 5);
    data.copy(first, 7, 0, Math.min(INIT_DATA, data.length));
    this.send(first);
    let offset = INIT_DATA;
    for (let seq = 0; offset < data.length; seq++) {
      const cont = Buffer.alloc(REPORT_SIZE);
      cont.writeUInt32BE(cid >>> 0, 0);
      cont[4] = seq;
      data.copy(cont, 5, offset, Math.min(offset + CONT_DATA, data.length));
      this.send(cont);
      offset += CONT_DATA;
    }
  }
}

export interface UdpCtapDeviceOptions extends Omit<CtapHidDeviceOptions, 'handler'> {
  handler: CtapCborHandler;
  /** UDP port the device listens on (default 8111; 0 = ephemeral). */
  devicePort?: number;
  /** UDP port the host listens on, where the device sends its reports (default 7112; 0 = pick a free one). */
  hostPort?: number;
  /** Address of both ends (default 127.0.0.1). */
  host?: string;
}

export interface UdpCtapDevice {
  readonly devicePort: number;
  readonly hostPort: number;
  /** `udp:<host>:<devicePort>?listen=<hostPort>`: what the host transport opens. */
  readonly uri: string;
  readonly sim: CtapHidDeviceSim;
  close(): Promise<void>;
}

async function freeUdpPort(host: string): Promise<number> {
  const probe = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.bind(0, host, () => resolve());
  });
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startUdpCtapDevice(opts: UdpCtapDeviceOptions): Promise<UdpCtapDevice> {
  const host = opts.host ?? '127.0.0.1';
  const hostPort = opts.hostPort === 0 ? await freeUdpPort(host) : (opts.hostPort ?? 7112);
  const socket = dgram.createSocket('udp4');
  const sim = new CtapHidDeviceSim(opts, (report) => {
    socket.send(report, hostPort, host, () => undefined);
  });
  socket.on('message', (msg) => {
    if (msg.length === REPORT_SIZE) sim.receive(msg);
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.devicePort ?? 8111, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const devicePort = socket.address().port;
  return {
    devicePort,
    hostPort,
    uri: `udp:${host}:${devicePort}?listen=${hostPort}`,
    sim,
    async close() {
      sim.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
