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
import { join } from 'node:path';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { ControlClient, type ControlEvent, type DegradedModeView } from '../../../src/main/integrations/control/index.js';
import type { AgentRuntime } from '../../../src/main/shells/agent/agent-runtime.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { cpsLogin, startTestRuntime, type AuditLine, type TestRuntime } from './runtime-fixture.js';
import { until } from './until.js';



describe('agent runtime: identity provider down, local sessions go on', () => {
  let bed: TestBed;
  let dir: string;
  let runtime: AgentRuntime;
  let fixture: TestRuntime;
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
  const audit = (): AuditLine[] => fixture.audit();
  const codes = (): string[] => runtime.degraded().map((r) => r.code);

  before(async () => {
    bed = await openTestBed();
    await startIdp();
    fixture = await startTestRuntime('degraded', {
      config: { sso: { issuerUrl: issuer, clientId: 'tessera-agent' } },
      probe: { timeoutMs: 1000, intervalMs: 25, backoff: { initialMs: 10, maxMs: 50 } },
    });
    runtime = fixture.runtime;
    dir = fixture.dir;
    client = await ControlClient.connect(join(dir, 'agent.sock'));
    await client.subscribe((e) => events.push(e), ['degraded']);
  });

  after(async () => {
    client.close();
    await fixture.dispose();
    await stopIdp();
    await bed.close();
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
    assert.match(String(entered?.details?.['errorCode']), /^econn(refused|reset)$/);
  });

  it('a CPS login while the provider is down opens the session under the same policy (reason unchanged), marked offline', async () => {
    await cpsLogin(bed, 0, runtime);
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
