/**
 * The scenario's network: a TCP relay in front of the identity provider (the provider's address
 * as the workstation sees it: cut it and the provider is unreachable, while the provider keeps
 * its sessions and refresh tokens, as in a real outage) and an HTTP audit collector that records
 * what it receives in order. Both stop and start again on the same port.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { parseRecordLine, type AuditRecord } from '../../src/main/integrations/audit/index.js';

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as AddressInfo;
      s.close(() => done(a.port));
    });
  });
}

/** Something that listens on a fixed port and can be cut and brought back. */
abstract class Switchable<S extends Server | HttpServer> {
  private server: S | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(readonly port: number) {}

  protected abstract create(): S;

  get up(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const s = this.create();
    s.on('connection', (c: Socket) => {
      this.sockets.add(c);
      c.once('close', () => this.sockets.delete(c));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = s;
  }

  /** Refuses new connections and cuts the open ones (kept-alive ones included). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const c of this.sockets) c.destroy();
    await closed;
  }
}

/** A TCP relay 127.0.0.1:port → 127.0.0.1:target. */
export class Relay extends Switchable<Server> {
  constructor(port: number, private readonly target: number) {
    super(port);
  }

  protected create(): Server {
    return createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      client.pipe(upstream).pipe(client);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }
}

/** An HTTP audit collector (the `HttpCollectorSink` wire: one record per POST, idempotency key = hash). */
export class Collector extends Switchable<HttpServer> {
  /** Records as received, duplicates (a retried delivery) kept once. */
  readonly records: AuditRecord[] = [];
  private readonly keys = new Set<string>();

  protected create(): HttpServer {
    return createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const p = parseRecordLine(Buffer.concat(chunks).toString('utf8'));
        if (req.method !== 'POST' || !p.ok || p.record.hash !== req.headers['idempotency-key']) {
          res.writeHead(400).end();
          return;
        }
        if (!this.keys.has(p.record.hash)) {
          this.keys.add(p.record.hash);
          this.records.push(p.record);
        }
        res.writeHead(200).end();
      });
    });
  }
}
