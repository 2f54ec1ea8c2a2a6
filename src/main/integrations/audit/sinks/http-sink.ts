/**
 * HTTP(S) collector: one POST per record, body = the record's canonical JSON line,
 * `Idempotency-Key: <record hash>` so a record sent twice (at-least-once delivery after a crash
 * or a lost answer) is stored once. 2xx and 409 (already have it) count as delivered; anything
 * else, a timeout or a connection error is a failure the forwarder retries with back-off.
 */
import http from 'node:http';
import https from 'node:https';
import { AuditError } from '../audit-error.js';
import type { AuditRecord } from '../record.js';
import type { AuditSink } from './sink.js';

export interface HttpSinkOptions {
  /** Collector endpoint, `https://...` (or `http://` for a local collector). */
  readonly url: string;
  /** Per request (ms, default 10 s). */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. a collector's authorisation, read from managed configuration). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra TLS options for https (CA bundle, client certificate). */
  readonly tls?: https.AgentOptions;
  readonly name?: string;
}

export class HttpCollectorSink implements AuditSink {
  readonly name: string;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(private readonly opts: HttpSinkOptions) {
    this.url = new URL(opts.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new AuditError('audit_record_invalid', `collector url: http or https expected, got ${this.url.protocol}`);
    this.name = opts.name ?? 'http';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...opts.tls }) : new http.Agent({ keepAlive: true });
  }

  send(record: AuditRecord, line: string): Promise<void> {
    const body = Buffer.from(line, 'utf8');
    const request = this.url.protocol === 'https:' ? https.request : http.request;
    return new Promise<void>((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            ...this.opts.headers,
            'content-type': 'application/json',
            'content-length': String(body.length),
            'idempotency-key': record.hash,
          },
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            const status = res.statusCode ?? 0;
            if ((status >= 200 && status < 300) || status === 409) resolve();
            else reject(new AuditError('audit_sink_failed', `collector answered HTTP ${status} for sequence ${record.seq}`));
          });
          res.once('error', (e) => reject(new AuditError('audit_sink_failed', `collector answer cut: ${e.message}`, { cause: e })));
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.once('error', (e: NodeJS.ErrnoException) => reject(new AuditError('audit_sink_failed', `collector unreachable: ${e.code ?? e.message}`, { cause: e })));
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
