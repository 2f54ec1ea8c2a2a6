/**
 * Degraded mode in the agent runtime, with a real local identity provider (an HTTP server that
 * serves its discovery document) stopped and started by the test, and the real pcscd: while the
 * provider is down a CPS login still opens the session with the same decision and reason, the
 * status says `idp_unreachable`, subscribers get `degraded` events, the audit trail records the
 * start and the end and marks the decision `offline`; once the provider is back the reason clears.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/main/config/config.js';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { ControlClient, type ControlEvent, type DegradedModeView } from '../../../src/main/integrations/control/index.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { startAgentRuntime, type AgentRuntime } from '../../../src/main/shells/agent/agent-runtime.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki, type CardCertificate } from '../../testbed/pki/test-pki.js';
import { until } from './until.js';


interface AuditLine { event: string; decision: string; reason: string; details?: { offline?: boolean; errorCode?: string } }

describe('agent runtime: identity provider down, local sessions go on', () => {
  let bed: TestBed;
  let dir: string;
  let runtime: AgentRuntime;
  let cert: CardCertificate;
  let idp: Server | undefined;
  let port = 0;
  let issuer = '';
  let client: ControlClient;
  const events: ControlEvent[] = [];

  const startIdp = async (): Promise<void> => {
    const server = createServer((req, res) => {
      if (req.url === '/realms/chu/.well-known/openid-configuration') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
    issuer = `http://127.0.0.1:${port}/realms/chu`;
    idp = server;
  };
  const stopIdp = async (): Promise<void> => {
    const s = idp;
    idp = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  const audit = (): AuditLine[] => readFileSync(join(dir, 'audit', 'audit-000001.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as AuditLine);
  const codes = (): string[] => runtime.degraded().map((r) => r.code);

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    cert = await pki.issueCardCertificate();
    await startIdp();
    dir = mkdtempSync(join(tmpdir(), 'tessera-degraded-'));
    const config = parseConfig(JSON.stringify({ audit: { dir: join(dir, 'audit') }, control: { socketPath: join(dir, 'agent.sock') }, sso: { issuerUrl: issuer, clientId: 'tessera-agent' } }), 'test');
    runtime = await startAgentRuntime({
      config,
      workstation: 'poste-test-03',
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      pinPad: async () => Buffer.from('1234'),
      probe: { timeoutMs: 1000, intervalMs: 25, backoff: { initialMs: 10, maxMs: 50 } },
    });
    client = await ControlClient.connect(join(dir, 'agent.sock'));
    await client.subscribe((e) => events.push(e), ['degraded']);
  });

  after(async () => {
    client.close();
    await runtime.stop();
    await stopIdp();
    await bed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('provider up: not degraded', async () => {
    await until('the first probe', () => runtime.probe?.state() === 'up');
    assert.deepEqual(codes(), []);
    assert.deepEqual((await client.status()).degradedMode, { active: false, reasons: [] });
  });

  it('provider down: status shows idp_unreachable with its detail; subscribers get a degraded event; recorded', async () => {
    await stopIdp();
    await until('idp_unreachable', () => codes().includes('idp_unreachable'));
    const s = await client.status();
    assert.equal(s.degraded, true);
    assert.equal(s.degradedMode?.active, true);
    assert.equal(s.degradedMode?.reasons[0]?.code, 'idp_unreachable');
    // Refused, or reset when the stop cut a check in flight.
    assert.match(s.degradedMode?.reasons[0]?.detail ?? '', /^ECONN(REFUSED|RESET)$/);
    assert.ok(!Number.isNaN(Date.parse(s.degradedMode?.reasons[0]?.since ?? '')));
    await until('the degraded event', () => events.length > 0);
    assert.deepEqual((events[0]?.data as DegradedModeView).reasons.map((r) => r.code), ['idp_unreachable']);
    const entered = audit().find((l) => l.event === 'degraded_mode_entered');
    assert.equal(entered?.reason, 'idp_unreachable');
    assert.match(entered?.details?.errorCode ?? '', /^econn(refused|reset)$/);
  });

  it('a CPS login while the provider is down opens the session under the same policy (reason unchanged), marked offline', async () => {
    await bed.slots[0].insert(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    await until('the session', () => runtime.engine.status().state === 'active');
    await runtime.agent.idle();
    const open = audit().find((l) => l.decision === 'open');
    assert.equal(open?.reason, 'rie.cps_pin');
    assert.equal(open?.details?.offline, true);
    assert.deepEqual(codes(), ['idp_unreachable'], 'still degraded: the session did not need the provider');
  });

  it('provider back: the reason clears by itself, subscribers are told, the end is recorded; the chain verifies', async () => {
    await startIdp();
    await until('recovery', () => codes().length === 0);
    assert.deepEqual((await client.status()).degradedMode, { active: false, reasons: [] });
    await until('the recovery event', () => events.some((e) => (e.data as DegradedModeView).active === false));
    await until('the end recorded', () => audit().some((l) => l.event === 'degraded_mode_left' && l.reason === 'idp_unreachable'));
    assert.equal(runtime.engine.status().state, 'active', 'the session was never touched');
    assert.equal((await verifyAuditFile(await listAuditFiles(join(dir, 'audit')))).ok, true);
  });
});
