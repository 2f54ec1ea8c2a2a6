/**
 * The whole chain with a real card login: the agent runtime (session engine recorded in the audit
 * log, readers through the test bed's pcscd, a simulated CPS card and its PIN) with its assertion
 * endpoint, the embedded provider that enrolled the runtime's workstation key and checks the card's
 * chain (kept by the runtime from the login) against the test PKI, and openid-client
 * as the RP. Card + PIN → SSO sign-in with no prompt (sub = RPPS, amr) → sign-out at the agent →
 * the provider's session ended → the next request finds no session and shows the sign-in page.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../../src/main/config/config.js';
import { TrustStore } from '../../../../src/main/means/cps/trust-store.js';
import type { EmbeddedProvider, ProviderEvent } from '../../../../src/main/integrations/sso/provider/index.js';
import { startAgentRuntime, type AgentRuntime } from '../../../../src/main/shells/agent/agent-runtime.js';
import { ReaderMonitor } from '../../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../../testbed/bed.js';
import { CpsCard } from '../../../testbed/cards/cps-card.js';
import { getSharedTestPki } from '../../../testbed/pki/test-pki.js';
import type * as oidc from 'openid-client';
import { JarClient } from '../provider/fixtures/jar-client.js';
import { freePort } from '../provider/fixtures/sso-world.js';
import { rpRequest, startRuntimeProvider } from '../provider/fixtures/runtime-provider.js';
import { until } from '../../../shells/agent/until.js';

describe('agent runtime → embedded provider, real CPS login through pcscd', () => {
  let bed: TestBed;
  let dir: string;
  let runtime: AgentRuntime;
  let provider: EmbeddedProvider;
  let rp: oidc.Configuration;
  const events: ProviderEvent[] = [];

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    const cert = await pki.issueCardCertificate({ rpps: '10007654321', givenName: 'CLAIRE', surname: 'DUBOIS' });
    dir = mkdtempSync(join(tmpdir(), 'tessera-runtime-sso-'));
    const [agentPort, providerPort] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${providerPort}`;
    runtime = await startAgentRuntime({
      config: parseConfig(JSON.stringify({ audit: { dir: join(dir, 'audit') }, control: { socketPath: join(dir, 'agent.sock') } }), 'test'),
      workstation: 'poste-runtime',
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      pinPad: async () => Buffer.from('1234'),
      assertion: { keyDir: join(dir, 'agent-keys'), port: agentPort, providers: [issuer] },
    });
    assert.ok(runtime.assertion);
    ({ provider, rp } = await startRuntimeProvider({ dir, issuer, assertion: runtime.assertion, workstation: 'poste-runtime', log: (e) => events.push(e) }));
    await bed.slots[0].insert(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    await until('the card login', () => runtime.engine.status().state === 'active');
  });

  after(async () => {
    await provider?.close();
    await runtime?.stop();
    await bed?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (jar: JarClient) => rpRequest(rp, jar);

  it('card + PIN → signed in at the provider with no prompt; sign-out at the agent ends it', async () => {
    const jar = new JarClient();
    const first = await request(jar);
    assert.ok(first.r.next, `no code (last: ${first.r.last.status} ${first.r.last.body.slice(0, 200)})`);
    const claims = (await first.finish(first.r.next)).claims();
    assert.equal(claims?.sub, '10007654321');
    // The runtime holds the card (sso.assertion.cardSignature by default): the provider verified the card's own signature.
    assert.deepEqual(claims?.['amr'], ['sc', 'hwk', 'pin', 'mfa']);
    assert.equal(claims?.['family_name'], 'DUBOIS');

    await runtime.engine.signOut();
    await until('the agent logout at the provider', () => events.some((e) => e.event === 'agent_logout'));
    const ended = events.find((e) => e.event === 'agent_logout');
    assert.deepEqual(ended, { event: 'agent_logout', account: '10007654321', workstation: 'poste-runtime', sessionsEnded: 1 });

    const second = await request(jar);
    assert.equal(second.r.next, undefined, 'no code without a session');
    assert.equal(second.r.last.status, 200);
    assert.match(second.r.last.body, /Connectez-vous à Tessera sur ce poste/);
  });
});
