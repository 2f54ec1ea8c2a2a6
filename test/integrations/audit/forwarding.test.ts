/**
 * Forwarding off the workstation: a real HTTP collector on 127.0.0.1 (down → records queued →
 * up → delivered in order, once per hash even when an answer is lost, queue surviving a
 * restart, bounded queue warning), syslog RFC 5424 over UDP and TCP to sockets opened here, and
 * the Windows event log argument vectors (the only part that can run on Linux).
 */
import { strict as assert } from 'node:assert';
import { after, describe, it, mock } from 'node:test';
import http from 'node:http';
import https from 'node:https';
import { webcrypto } from 'node:crypto';
import { x509 } from '../../testbed/pki/test-pki.js';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AuditForwarder,
  AuditLog,
  HttpCollectorSink,
  MESSAGE_ENV,
  SyslogSink,
  WindowsEventLogSink,
  eventCreateCommand,
  parseRecordLine,
  sealRecord,
  recordLine,
  writeEventLogCommand,
  GENESIS_HASH,
  type AuditRecord,
  type SpoolWarning,
  type WindowsEventCommand,
} from '../../../src/main/integrations/audit/index.js';
import { sampleInput, tempDir } from './helpers.js';

const tmp = tempDir('tessera-audit-fwd-');
after(() => tmp.cleanup());
let n = 0;
const dirs = (): { logDir: string; spoolDir: string } => {
  const base = join(tmp.dir, `case-${n++}`);
  return { logDir: join(base, 'log'), spoolDir: join(base, 'spool') };
};

/** A collector that stores each record once per Idempotency-Key, optionally losing some answers. */
class Collector {
  readonly stored: AuditRecord[] = [];
  readonly keys = new Set<string>();
  received = 0;
  private server: http.Server | undefined;
  constructor(private readonly loseFirstAnswerFor: ReadonlySet<number> = new Set()) {}
  private readonly lost = new Set<number>();

  async listen(port = 0): Promise<number> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received += 1;
        const key = String(req.headers['idempotency-key']);
        const p = parseRecordLine(Buffer.concat(chunks).toString('utf8'));
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json' || !p.ok || p.record.hash !== key) {
          res.writeHead(400).end();
          return;
        }
        const fresh = !this.keys.has(key);
        if (fresh) {
          this.keys.add(key);
          this.stored.push(p.record);
        }
        if (this.loseFirstAnswerFor.has(p.record.seq) && !this.lost.has(p.record.seq)) {
          this.lost.add(p.record.seq);
          req.socket.destroy(); // stored, but the agent never hears it
          return;
        }
        res.writeHead(fresh ? 201 : 409).end();
      });
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
    this.server = undefined;
  }
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const fast = { initialMs: 10, maxMs: 80 };
const quiet = (): void => undefined;

async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('audit forwarding to an HTTP collector', () => {
  it('collector down → records queued → collector up → delivered in order, once per hash', async () => {
    const { logDir, spoolDir } = dirs();
    const port = await freePort();
    const warnings: string[] = [];
    const fwd = await AuditForwarder.open({ sink: new HttpCollectorSink({ url: `http://127.0.0.1:${port}/audit`, timeoutMs: 2000 }), spoolDir, backoff: fast, batch: 4, onWarning: (w) => warnings.push(w.code) });
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01' });
    await fwd.attach(log);
    fwd.start();
    const written: AuditRecord[] = [];
    for (let i = 0; i < 15; i++) written.push(await log.append(sampleInput(i)));
    await waitFor(() => fwd.state.consecutiveFailures >= 2, 'failed attempts while the collector is down');
    assert.ok(fwd.state.pendingBytes > 0);
    assert.equal(fwd.state.delivered, 0);
    assert.ok(warnings.includes('audit_forward_failing'));

    const collector = new Collector(new Set([3, 9]));
    await collector.listen(port);
    for (let i = 15; i < 20; i++) written.push(await log.append(sampleInput(i)));
    await fwd.idle();
    assert.deepEqual(collector.stored.map((r) => r.seq), written.map((r) => r.seq));
    assert.deepEqual(collector.stored.map((r) => r.hash), written.map((r) => r.hash));
    assert.equal(collector.keys.size, 20);
    assert.ok(collector.received >= 22, `two answers were lost, so records 3 and 9 were sent twice (${collector.received} requests)`);
    assert.equal(fwd.state.pendingBytes, 0);
    await fwd.stop();
    await log.close();
    await collector.close();
  });

  it('the queue survives a restart of the agent and is delivered in order afterwards', async () => {
    const { logDir, spoolDir } = dirs();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/audit`;
    const first = await AuditForwarder.open({ sink: new HttpCollectorSink({ url }), spoolDir, backoff: fast, onWarning: quiet });
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01' });
    await first.attach(log);
    first.start();
    const written: AuditRecord[] = [];
    for (let i = 0; i < 8; i++) written.push(await log.append(sampleInput(i)));
    await first.stop();
    await log.close();

    const collector = new Collector();
    await collector.listen(port);
    const second = await AuditForwarder.open({ sink: new HttpCollectorSink({ url }), spoolDir, backoff: fast, onWarning: quiet });
    second.start();
    await second.idle();
    assert.deepEqual(collector.stored.map((r) => r.hash), written.map((r) => r.hash));
    await second.stop();
    // a third start has nothing left to send
    const third = await AuditForwarder.open({ sink: new HttpCollectorSink({ url }), spoolDir, backoff: fast, onWarning: quiet });
    assert.equal(third.state.pendingBytes, 0);
    await third.stop();
    await collector.close();
  });

  it('catch-up: records that reached the log but not the queue (crash between the two fsyncs) are queued on attach', async () => {
    const { logDir, spoolDir } = dirs();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/audit`;
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01', maxFileBytes: 1500 });
    const first = await AuditForwarder.open({ sink: new HttpCollectorSink({ url }), spoolDir, backoff: fast, onWarning: quiet });
    const detach = await first.attach(log);
    const written: AuditRecord[] = [];
    for (let i = 0; i < 4; i++) written.push(await log.append(sampleInput(i)));
    detach();
    await first.stop();
    // the agent "crashed" after these reached the log but before the queue took them
    for (let i = 4; i < 12; i++) written.push(await log.append(sampleInput(i)));
    const rotations = (await log.files()).length - 1;
    assert.ok(rotations >= 2, 'the missed records span several files');
    const collector = new Collector();
    await collector.listen(port);
    const second = await AuditForwarder.open({ sink: new HttpCollectorSink({ url }), spoolDir, backoff: fast, onWarning: quiet });
    await second.attach(log);
    second.start();
    written.push(await log.append(sampleInput(12)));
    await second.idle();
    const all = await (async () => {
      const { verifyAuditFile } = await import('../../../src/main/integrations/audit/index.js');
      const v = await verifyAuditFile(await log.files());
      assert.ok(v.ok);
      return v.records;
    })();
    assert.equal(collector.stored.length, all, 'every record of the log, rotation records included, reached the collector');
    assert.deepEqual(collector.stored.map((r) => r.seq), Array.from({ length: all }, (_, i) => i + 1));
    for (const w of written) assert.ok(collector.keys.has(w.hash));
    await second.stop();
    await log.close();
    await collector.close();
  });

  it('a read error of the local queue is reported and retried, not fatal', async () => {
    const { logDir, spoolDir } = dirs();
    const collector = new Collector();
    const port = await collector.listen();
    const warnings: string[] = [];
    const fwd = await AuditForwarder.open({ sink: new HttpCollectorSink({ url: `http://127.0.0.1:${port}/` }), spoolDir, backoff: fast, onWarning: (w) => warnings.push(w.message) });
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01' });
    await fwd.attach(log);
    for (let i = 0; i < 3; i++) await log.append(sampleInput(i));
    const probe = await openFile(join(spoolDir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const spy = mock.method(proto, 'read');
    spy.mock.mockImplementationOnce(() => Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
    try {
      fwd.start();
      await fwd.idle();
    } finally {
      spy.mock.restore();
    }
    assert.deepEqual(collector.stored.map((r) => r.seq), [1, 2, 3]);
    assert.ok(warnings.some((w) => /local queue: EIO/.test(w)), warnings.join('\n'));
    await fwd.stop();
    await log.close();
    await collector.close();
  });

  it('the queue is bounded: when full, records stay in the local log, a warning counts them, and they are sent once there is room', async () => {
    const { logDir, spoolDir } = dirs();
    const port = await freePort();
    const warnings: SpoolWarning[] = [];
    const fwd = await AuditForwarder.open({ sink: new HttpCollectorSink({ url: `http://127.0.0.1:${port}/` }), spoolDir, maxSpoolBytes: 2048, backoff: fast, onWarning: (w) => { if (w.code !== 'audit_forward_failing') warnings.push(w as SpoolWarning); } });
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01' });
    await fwd.attach(log);
    for (let i = 0; i < 12; i++) await log.append(sampleInput(i));
    assert.equal(log.lastSeq, 12, 'every record is in the local log');
    assert.ok(fwd.state.pendingBytes <= 2048);
    assert.ok(warnings.some((w) => w.code === 'audit_spool_high'));
    const full = warnings.filter((w) => w.code === 'audit_spool_full');
    assert.ok(full.length > 0);
    assert.equal(full.length, 1, 'one warning when the queue fills (then one per 100 refused)');
    assert.ok(fwd.state.refused >= 5, `${fwd.state.refused} refused`);
    assert.match(full.at(-1)?.message ?? '', /kept only in the local audit log/);
    // the collector comes back: the queue drains, then the refused records are queued again
    // from the log, in order, and nothing is missing at the collector
    const collector = new Collector();
    await collector.listen(port);
    fwd.start();
    await fwd.idle();
    await log.append(sampleInput(12));
    await log.append(sampleInput(13));
    await fwd.idle();
    assert.deepEqual(collector.stored.map((r) => r.seq), Array.from({ length: 14 }, (_, i) => i + 1));
    assert.equal(fwd.state.refused, 0);
    assert.ok(warnings.some((w) => w.code === 'audit_spool_resumed'));
    await fwd.stop();
    await log.close();
    await collector.close();
  });
});

/** A self-signed ECDSA certificate for 127.0.0.1 (key and certificate PEM). */
async function localTlsIdentity(): Promise<{ key: string; cert: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=127.0.0.1',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`, cert: cert.toString('pem') };
}

describe('audit forwarding over HTTPS', () => {
  it('delivers to a collector whose certificate the configured CA vouches for, and keeps records for one it does not', async () => {
    const id = await localTlsIdentity();
    const got: string[] = [];
    const server = https.createServer({ key: id.key, cert: id.cert }, (req, res) => {
      req.resume();
      req.on('end', () => {
        got.push(String(req.headers['idempotency-key']));
        res.writeHead(201).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/audit`;
    const record = sealRecord(sampleInput(0), { seq: 1, prev: GENESIS_HASH, workstation: 'PC-URG-01', now: new Date() });
    const line = recordLine(record).slice(0, -1);
    const untrusted = new HttpCollectorSink({ url });
    await assert.rejects(untrusted.send(record, line), /collector unreachable: (SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED_CERT)/);
    await untrusted.close();
    const pinned = new HttpCollectorSink({ url, tls: { ca: id.cert } });
    await pinned.send(record, line);
    await pinned.close();
    assert.deepEqual(got, [record.hash]);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

const SYSLOG_5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[tessera@32473 [^\]]*\]) \uFEFF(.*)$/s;

function checkSyslog(msg: string, expected: AuditRecord): void {
  const m = SYSLOG_5424.exec(msg);
  assert.ok(m, msg);
  const [, pri, time, host, app, procId, msgId, sd, body] = m;
  const severity = expected.decision === 'deny' ? 4 : expected.decision === 'allow' || expected.decision === 'unlock' ? 5 : 6;
  assert.equal(Number(pri), 10 * 8 + severity);
  assert.equal(time, expected.time);
  assert.equal(host, expected.workstation);
  assert.equal(app, 'tessera');
  assert.equal(procId, String(process.pid));
  assert.equal(msgId, expected.event);
  assert.match(sd ?? '', new RegExp(`seq="${expected.seq}" hash="${expected.hash}" prev="${expected.prev}" decision="${expected.decision}" reason="${expected.reason}"`));
  const p = parseRecordLine(body ?? '');
  assert.ok(p.ok);
  assert.deepEqual(p.record, expected);
}

describe('audit forwarding to syslog (RFC 5424)', () => {
  it('UDP: one datagram per record, in order, in the RFC 5424 format', async () => {
    const { logDir, spoolDir } = dirs();
    const server = createSocket('udp4');
    server.bind(0, '127.0.0.1');
    await once(server, 'listening');
    const got: string[] = [];
    server.on('message', (m) => got.push(m.toString('utf8')));
    const fwd = await AuditForwarder.open({ sink: new SyslogSink({ host: '127.0.0.1', port: server.address().port, protocol: 'udp' }), spoolDir, backoff: fast, onWarning: quiet });
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01' });
    await fwd.attach(log);
    fwd.start();
    const written: AuditRecord[] = [];
    for (let i = 0; i < 4; i++) written.push(await log.append(sampleInput(i)));
    await fwd.idle();
    await waitFor(() => got.length === 4, 'four datagrams');
    got.forEach((msg, i) => checkSyslog(msg, written[i] as AuditRecord));
    await fwd.stop();
    await log.close();
    server.close();
  });

  it('TCP: octet-counted frames, reconnecting after the server comes back', async () => {
    const { logDir, spoolDir } = dirs();
    const port = await freePort();
    const fwd = await AuditForwarder.open({ sink: new SyslogSink({ host: '127.0.0.1', port, protocol: 'tcp' }), spoolDir, backoff: fast, onWarning: quiet });
    const log = await AuditLog.open({ dir: logDir, workstation: 'PC-URG-01' });
    await fwd.attach(log);
    fwd.start();
    const written: AuditRecord[] = [];
    for (let i = 0; i < 3; i++) written.push(await log.append(sampleInput(i)));
    await waitFor(() => fwd.state.consecutiveFailures >= 1, 'a failed connection');
    let data = Buffer.alloc(0);
    const server = createServer((s) => s.on('data', (d: Buffer) => { data = Buffer.concat([data, d]); }));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    await fwd.idle();
    const frames: string[] = [];
    await waitFor(() => {
      frames.length = 0;
      let rest = data;
      while (rest.length > 0) {
        const sp = rest.indexOf(0x20);
        const len = Number(rest.subarray(0, sp).toString());
        if (sp < 0 || rest.length < sp + 1 + len) break;
        frames.push(rest.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        rest = rest.subarray(sp + 1 + len);
      }
      return frames.length === 3;
    }, 'three frames');
    frames.forEach((f, i) => checkSyslog(f, written[i] as AuditRecord));
    await fwd.stop();
    await log.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('structured-data values are escaped (", \\ and ])', async () => {
    const { formatSyslog5424 } = await import('../../../src/main/integrations/audit/index.js');
    const r = sealRecord({ event: 'auth_failed', decision: 'deny', reason: 'wrong_pin' }, { seq: 1, prev: GENESIS_HASH, workstation: 'Poste accueil 2', now: new Date('2026-11-23T08:00:00.000Z') });
    const msg = formatSyslog5424(r, recordLine(r).slice(0, -1), { facility: 13, procId: 42 });
    assert.ok(msg.startsWith(`<108>1 2026-11-23T08:00:00.000Z Poste_accueil_2 tessera 42 auth_failed [tessera@32473 seq="1"`), msg);
    assert.ok(!msg.includes('person='));
  });
});

describe('audit forwarding to the Windows event log (argument vectors only: cannot run here)', () => {
  const record = sealRecord({ event: 'auth_failed', decision: 'deny', reason: 'wrong_pin', person: 'rpps:10001234567', details: { reader: 'Lecteur "A" & B' } }, { seq: 7, prev: GENESIS_HASH, workstation: 'PC-URG-01', now: new Date('2026-11-23T08:00:00.000Z') });
  const line = recordLine(record).slice(0, -1);

  it('eventcreate: the whole record as one /D argument, type and id from the decision', () => {
    const cmd = eventCreateCommand(record, line);
    assert.deepEqual(cmd, { file: 'eventcreate.exe', args: ['/L', 'APPLICATION', '/T', 'WARNING', '/SO', 'Tessera', '/ID', '200', '/D', line], env: {} });
  });

  it('PowerShell Write-EventLog: the record travels in an environment variable, never in the script', () => {
    const cmd = writeEventLogCommand({ ...record, decision: 'allow' } as AuditRecord, line, { source: 'Tessera Agent' });
    assert.equal(cmd.file, 'powershell.exe');
    assert.deepEqual(cmd.args.slice(0, 5), ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command']);
    assert.equal(cmd.args[5], `Write-EventLog -LogName 'Application' -Source 'Tessera Agent' -EventId 100 -EntryType Information -Message $env:${MESSAGE_ENV}`);
    assert.deepEqual(cmd.env, { [MESSAGE_ENV]: line });
    assert.ok(!cmd.args.join(' ').includes('Lecteur'));
  });

  it('source and log names are checked (no quote can reach the script)', () => {
    assert.throws(() => writeEventLogCommand(record, line, { source: "Tessera'; Remove-Item C:\\ -Recurse; '" }), /source/);
    assert.throws(() => eventCreateCommand(record, line, { log: 'App"lication' }), /log/);
  });

  it('the sink runs the command it built, and refuses on a non-Windows system', async () => {
    const ran: WindowsEventCommand[] = [];
    const sink = new WindowsEventLogSink({ method: 'eventcreate', run: async (c) => { ran.push(c); } });
    await sink.send(record, line);
    assert.deepEqual(ran, [eventCreateCommand(record, line)]);
    if (process.platform !== 'win32') await assert.rejects(new WindowsEventLogSink({ method: 'powershell' }).send(record, line), /only on Windows/);
  });
});
