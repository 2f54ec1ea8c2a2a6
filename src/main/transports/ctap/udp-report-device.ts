/**
 * 64-byte CTAPHID reports over UDP, the convention of the SoloKeys PC simulation: the device
 * listens on 127.0.0.1:8111, the host on 127.0.0.1:7112, one report per datagram, no report-ID
 * byte. The socket is connected to the device, so the kernel drops datagrams from anyone else.
 */
import * as dgram from 'node:dgram';
import { CtapTransportError } from './ctap-error.js';
import type { HidReportDevice } from './ctaphid-transport.js';
import { HID_REPORT_SIZE } from './ctaphid-frames.js';

export interface UdpReportDeviceOptions {
  /** Address of the device (default 127.0.0.1). */
  readonly host?: string;
  /** Device port (default 8111). */
  readonly port?: number;
  /** Local port the host listens on (default 7112; 0 = ephemeral). */
  readonly listenPort?: number;
}

/** Listen on loopback for a loopback device (the simulator case), on every interface otherwise. */
function localAddressFor(host: string): string {
  if (host === 'localhost' || host.startsWith('127.') || host === '::1') return host;
  return host.includes(':') ? '::' : '0.0.0.0';
}

export class UdpReportDevice implements HidReportDevice {
  private readonly reportListeners = new Set<(report: Buffer) => void>();
  private readonly errorListeners = new Set<(error: CtapTransportError) => void>();
  private closed = false;

  private constructor(private readonly socket: dgram.Socket, readonly host: string, readonly port: number) {
    socket.on('message', (msg) => {
      if (msg.length !== HID_REPORT_SIZE) return; // not a CTAPHID report
      for (const l of [...this.reportListeners]) l(msg);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.closed) return;
      // ECONNREFUSED: ICMP port unreachable, nothing listens on the device port any more.
      const code = err.code === 'ECONNREFUSED' ? 'device_removed' : 'io_error';
      const error = new CtapTransportError(code, `UDP ${host}:${port}: ${err.message}`, { cause: err });
      for (const l of [...this.errorListeners]) l(error);
    });
  }

  static async open(opts: UdpReportDeviceOptions = {}): Promise<UdpReportDevice> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? 8111;
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(opts.listenPort ?? 7112, localAddressFor(host), () => {
          socket.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      socket.close();
      const err = e as NodeJS.ErrnoException;
      throw new CtapTransportError('io_error', `cannot open UDP ${host}:${port} (listen ${opts.listenPort ?? 7112}): ${err.message}`, { cause: e });
    }
    return new UdpReportDevice(socket, host, port);
  }

  /** The local port reports arrive on. */
  get listenPort(): number {
    return this.socket.address().port;
  }

  write(report: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new CtapTransportError('closed', 'UDP report device closed'));
    if (report.length !== HID_REPORT_SIZE) return Promise.reject(new RangeError(`HID report of ${report.length} bytes`));
    return new Promise((resolve, reject) => {
      this.socket.send(report, (err) => {
        if (!err) return resolve();
        const e = err as NodeJS.ErrnoException;
        reject(new CtapTransportError(e.code === 'ECONNREFUSED' ? 'device_removed' : 'io_error', `UDP send to ${this.host}:${this.port}: ${e.message}`, { cause: err }));
      });
    });
  }

  onReport(cb: (report: Buffer) => void): () => void {
    this.reportListeners.add(cb);
    return () => this.reportListeners.delete(cb);
  }

  onError(cb: (error: CtapTransportError) => void): () => void {
    this.errorListeners.add(cb);
    return () => this.errorListeners.delete(cb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reportListeners.clear();
    this.errorListeners.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
