/**
 * Syslog in the RFC 5424 format, over UDP (RFC 5426: one message per datagram) or TCP
 * (RFC 6587 octet counting: `<length> <message>`).
 *
 *   <PRI>1 TIMESTAMP HOSTNAME tessera PROCID MSGID [tessera@32473 seq=".." hash=".." ...] BOM{json}
 *
 * PRI = facility × 8 + severity (default facility 10, authpriv): a refusal or a repaired log is
 * a warning (4), a decision that opens, unlocks or switches is a notice (5), the rest informational (6).
 * 32473 is the private enterprise number RFC 5612 reserves for documentation: an establishment
 * that registers its own sets `enterpriseId`. The message is the record's canonical JSON line,
 * so the collector can check its hash. The local `/dev/log` socket is not offered: Node has no
 * Unix datagram sockets without an addon.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { AuditError } from '../audit-error.js';
import type { AuditRecord } from '../record.js';
import type { AuditSink } from './sink.js';

export interface SyslogOptions {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'udp' | 'tcp';
  /** 0..23, default 10 (authpriv). */
  readonly facility?: number;
  readonly appName?: string;
  readonly enterpriseId?: number;
  readonly procId?: number;
  readonly name?: string;
}

const NIL = '-';

function headerField(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s.length > 0 ? s : NIL;
}

function sdValue(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

export function syslogSeverity(record: AuditRecord): number {
  if (record.decision === 'deny' || record.decision === 'refuse' || record.event === 'log_repaired') return 4;
  if (record.decision === 'allow' || record.decision === 'unlock' || record.decision === 'open' || record.decision === 'switch_user') return 5;
  return 6;
}

/** One RFC 5424 message (without transport framing). */
export function formatSyslog5424(record: AuditRecord, line: string, opts: Pick<SyslogOptions, 'facility' | 'appName' | 'enterpriseId' | 'procId'> = {}): string {
  const facility = opts.facility ?? 10;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new AuditError('audit_record_invalid', 'syslog facility: 0..23');
  const pri = facility * 8 + syslogSeverity(record);
  const params: Array<[string, string]> = [
    ['seq', String(record.seq)],
    ['hash', record.hash],
    ['prev', record.prev],
    ['decision', record.decision],
    ['reason', record.reason],
    ...(record.person ? ([['person', record.person]] as Array<[string, string]>) : []),
    ...(record.means ? ([['means', record.means]] as Array<[string, string]>) : []),
  ];
  const sd = `[tessera@${opts.enterpriseId ?? 32473} ${params.map(([k, v]) => `${k}="${sdValue(v)}"`).join(' ')}]`;
  return `<${pri}>1 ${record.time} ${headerField(record.workstation, 255)} ${headerField(opts.appName ?? 'tessera', 48)} ${headerField(String(opts.procId ?? process.pid), 128)} ${headerField(record.event, 32)} ${sd} \uFEFF${line}`;
}

export class SyslogSink implements AuditSink {
  readonly name: string;
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;

  constructor(private readonly opts: SyslogOptions) {
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new AuditError('audit_record_invalid', 'syslog port: 1..65535');
    this.name = opts.name ?? `syslog-${opts.protocol}`;
  }

  async send(record: AuditRecord, line: string): Promise<void> {
    const msg = Buffer.from(formatSyslog5424(record, line, this.opts), 'utf8');
    if (this.opts.protocol === 'udp') return this.sendUdp(msg);
    return this.sendTcp(Buffer.concat([Buffer.from(`${msg.length} `), msg]));
  }

  private sendUdp(msg: Buffer): Promise<void> {
    if (!this.udp) {
      this.udp = createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
      this.udp.unref();
    }
    const sock = this.udp;
    return new Promise((resolve, reject) => {
      sock.send(msg, this.opts.port, this.opts.host, (e) => (e ? reject(new AuditError('audit_sink_failed', `syslog datagram not sent: ${e.message}`, { cause: e })) : resolve()));
    });
  }

  private async sendTcp(frame: Buffer): Promise<void> {
    const sock = this.tcp && !this.tcp.destroyed ? this.tcp : await this.connectTcp();
    await new Promise<void>((resolve, reject) => {
      sock.write(frame, (e) => {
        if (!e) return resolve();
        sock.destroy();
        reject(new AuditError('audit_sink_failed', `syslog write failed: ${e.message}`, { cause: e }));
      });
    });
  }

  private connectTcp(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: this.opts.host, port: this.opts.port });
      sock.setNoDelay(true);
      const fail = (e: NodeJS.ErrnoException): void => {
        sock.destroy();
        reject(new AuditError('audit_sink_failed', `syslog server unreachable: ${e.code ?? e.message}`, { cause: e }));
      };
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        sock.on('error', () => sock.destroy()); // the next send reconnects
        sock.on('data', () => undefined);
        this.tcp = sock;
        resolve(sock);
      });
    });
  }

  async close(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    if (this.tcp) await new Promise<void>((r) => this.tcp?.end(() => r()));
    this.tcp?.destroy();
    this.tcp = undefined;
  }
}
