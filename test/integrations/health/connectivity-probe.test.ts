/**
 * The identity provider probe against a real local HTTP server that the tests stop and start:
 * up on a matching discovery document; down (with why) on refusal, HTTP errors, a foreign
 * issuer, junk, an oversized answer or no answer; recovery on its own once the server is back.
 * And the degraded reasons set it feeds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectivityProbe, DegradedReasons, HealthError, MAX_DISCOVERY_BYTES, checkDiscovery, discoveryUrl, type DegradedChange, type ProbeResult } from '../../../src/main/integrations/health/index.js';
import { until } from '../../shells/agent/until.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Handler, port = 0): Promise<{ server: Server; port: number; issuer: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return { server, port: p, issuer: `http://127.0.0.1:${p}/realms/chu` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const discovery = (issuer: string): Handler => (req, res) => {
  if (req.url !== '/realms/chu/.well-known/openid-configuration') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth` }));
};


describe('discovery URL', () => {
  it('keeps the issuer path and drops a trailing slash (OIDC Discovery §4.1)', () => {
    assert.equal(discoveryUrl('https://idp.chu.local/realms/chu/').href, 'https://idp.chu.local/realms/chu/.well-known/openid-configuration');
    assert.equal(discoveryUrl('https://idp.chu.local').href, 'https://idp.chu.local/.well-known/openid-configuration');
  });
  it('refuses what is not an http(s) URL with a typed error', () => {
    assert.throws(() => discoveryUrl('not a url'), (e: unknown) => e instanceof HealthError && e.code === 'probe_invalid_url');
    assert.throws(() => discoveryUrl('ftp://idp.chu.local'), (e: unknown) => e instanceof HealthError && e.code === 'probe_invalid_url');
  });
});

describe('one check against a real HTTP server', () => {
  it('up when the provider serves its own discovery document', async () => {
    const s = await listen((req, res) => discovery(`http://127.0.0.1:${(s.server.address() as AddressInfo).port}/realms/chu`)(req, res));
    try {
      assert.deepEqual(await checkDiscovery(s.issuer, 2000), { state: 'up' });
    } finally {
      await close(s.server);
    }
  });

  const cases: { name: string; handler: Handler; detail: string }[] = [
    { name: 'a document for another issuer', handler: discovery('https://evil.example/realms/chu'), detail: 'issuer_mismatch' },
    { name: 'an HTTP 503', handler: (_q, res) => res.writeHead(503).end('maintenance'), detail: 'http_503' },
    { name: 'a body that is not JSON', handler: (_q, res) => res.writeHead(200).end('<html>portal</html>'), detail: 'discovery_not_json' },
    { name: 'a JSON array', handler: (_q, res) => res.writeHead(200).end('[]'), detail: 'issuer_mismatch' },
    { name: 'an answer larger than the limit', handler: (_q, res) => res.writeHead(200).end(Buffer.alloc(MAX_DISCOVERY_BYTES + 1024, 0x20)), detail: 'discovery_too_large' },
    { name: 'no answer at all', handler: () => undefined, detail: 'timeout' },
  ];
  for (const c of cases) {
    it(`down (idp_unreachable, ${c.detail}) on ${c.name}`, async () => {
      const s = await listen(c.handler);
      try {
        assert.deepEqual(await checkDiscovery(s.issuer, 300), { state: 'down', code: 'idp_unreachable', detail: c.detail });
      } finally {
        await close(s.server);
      }
    });
  }

  it('down (idp_unreachable, ECONNREFUSED) when nothing listens', async () => {
    const s = await listen(() => undefined);
    await close(s.server);
    assert.deepEqual(await checkDiscovery(s.issuer, 2000), { state: 'down', code: 'idp_unreachable', detail: 'ECONNREFUSED' });
  });

  it('down (network_down) when the name does not resolve', async () => {
    const r = await checkDiscovery('https://idp.invalid/realms/chu', 2000);
    assert.equal(r.state, 'down');
    assert.equal(r.code, 'network_down', JSON.stringify(r));
  });
});

describe('ConnectivityProbe', () => {
  it('reports up, then down when the server stops, then up again by itself when it is back', async () => {
    let issuer = '';
    const handler: Handler = (req, res) => discovery(issuer)(req, res);
    const first = await listen(handler);
    issuer = first.issuer;
    const seen: ProbeResult[] = [];
    const probe = new ConnectivityProbe({ issuerUrl: issuer, timeoutMs: 500, intervalMs: 20, backoff: { initialMs: 10, maxMs: 40 }, onChange: (r) => seen.push(r) });
    probe.start();
    try {
      await until('up', () => probe.state() === 'up');
      await close(first.server);
      await until('down', () => probe.state() === 'down');
      assert.equal(probe.last()?.code, 'idp_unreachable');
      assert.match(probe.last()?.detail ?? '', /^ECONN(REFUSED|RESET)$/, 'refused, or reset when the stop cut a check in flight');
      const again = await listen(handler, first.port);
      try {
        await until('up again', () => probe.state() === 'up');
      } finally {
        await probe.stop();
        await close(again.server);
      }
      // Changes only: repeated failures while down are not reported again.
      assert.deepEqual(seen.map((r) => r.state), ['up', 'down', 'up']);
    } finally {
      await probe.stop();
    }
  });

  it('stop() ends the checks: no more requests reach the server', async () => {
    let hits = 0;
    let issuer = '';
    const s = await listen((req, res) => {
      hits++;
      discovery(issuer)(req, res);
    });
    issuer = s.issuer;
    const probe = new ConnectivityProbe({ issuerUrl: issuer, intervalMs: 5 });
    probe.start();
    try {
      await until('a few checks', () => hits >= 3);
      await probe.stop();
      const after = hits;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(hits, after);
    } finally {
      await probe.stop();
      await close(s.server);
    }
  });
});

describe('DegradedReasons', () => {
  it('tells each start and end once, keeps the first start time, lists in a stable order', () => {
    let t = Date.parse('2026-01-05T08:00:00.000Z');
    const d = new DegradedReasons(() => new Date(t));
    const changes: DegradedChange[] = [];
    d.onChange((c) => changes.push(c));
    assert.equal(d.active, false);
    d.enter('idp_unreachable', 'ECONNREFUSED');
    t += 60_000;
    d.enter('idp_unreachable', 'timeout');
    d.enter('pcsc_unavailable');
    assert.equal(d.active, true);
    assert.deepEqual(d.list(), [
      { code: 'pcsc_unavailable', since: '2026-01-05T08:01:00.000Z' },
      { code: 'idp_unreachable', since: '2026-01-05T08:00:00.000Z', detail: 'timeout' },
    ]);
    d.leave('network_down');
    d.leave('idp_unreachable');
    d.leave('idp_unreachable');
    assert.deepEqual(changes.map((c) => [c.kind, c.reason.code]), [['entered', 'idp_unreachable'], ['entered', 'pcsc_unavailable'], ['left', 'idp_unreachable']]);
    assert.deepEqual(d.list().map((r) => r.code), ['pcsc_unavailable']);
  });

  it('a reason held by two sources ends only when both let it go', () => {
    const d = new DegradedReasons();
    const changes: DegradedChange[] = [];
    d.onChange((c) => changes.push(c));
    d.enter('idp_unreachable', 'ECONNREFUSED', 'probe');
    d.enter('idp_unreachable', 'token_refresh');
    d.leave('idp_unreachable', 'probe');
    assert.equal(d.has('idp_unreachable'), true, 'the token refresh still holds it');
    d.leave('idp_unreachable');
    assert.equal(d.has('idp_unreachable'), false);
    assert.deepEqual(changes.map((c) => c.kind), ['entered', 'left']);
  });

  it('a throwing listener does not stop the others', () => {
    const d = new DegradedReasons();
    let heard = 0;
    d.onChange(() => {
      throw new Error('boom');
    });
    d.onChange(() => heard++);
    d.enter('network_down');
    assert.equal(heard, 1);
  });
});
