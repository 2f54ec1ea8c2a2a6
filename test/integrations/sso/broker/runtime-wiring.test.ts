/**
 * The vault and the broker as `startAgentRuntime` wires them: the recorded engine drives the
 * vault, a child `node` process asks for a token over the runtime's control socket, the
 * hand-out lands on the runtime's audit chain, and a sign-out over the engine drops the tokens
 * and deletes the keychain item. No reader is used (the session comes straight from an
 * authentication event).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../../src/main/config/config.js';
import { TrustStore } from '../../../../src/main/means/cps/trust-store.js';
import { refreshAccount } from '../../../../src/main/integrations/sso/tokens/index.js';
import { startAgentRuntime, type AgentRuntime } from '../../../../src/main/shells/agent/agent-runtime.js';
import { ReaderMonitor } from '../../../../src/main/transports/pcsc/reader-monitor.js';
import { ALICE, cpsPin } from '../../../session/policy/fixtures.js';
import { MemorySecretStore, ScriptedSource, accessToken } from '../tokens/fakes.js';
import { nodeClient } from './peer-client.js';

const DPI = 'https://dpi.chu.local/api';

describe('agent runtime: token vault and broker wiring', { skip: process.platform !== 'linux' }, () => {
  let dir: string;
  let runtime: AgentRuntime;
  const store = new MemorySecretStore();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-runtime-broker-'));
    const config = parseConfig(
      JSON.stringify({
        audit: { dir: join(dir, 'audit') },
        control: { socketPath: join(dir, 'agent.sock') },
        tokenBroker: { applications: [{ path: process.execPath, audiences: [DPI] }], audiences: [{ audience: DPI, resource: DPI }] },
      }),
      'test',
    );
    runtime = await startAgentRuntime({
      config,
      workstation: 'poste-broker',
      trust: TrustStore.fromCertificates([]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      pinPad: () => Promise.resolve(Buffer.from('1234')),
      tokens: { store, source: new ScriptedSource() },
    });
  });

  after(async () => {
    await runtime?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 2FA session, tokens adopted, a token handed to an allow-listed node child and audited; sign-out drops it all', async () => {
    assert.ok(runtime.tokens);
    await runtime.engine.authenticate(cpsPin(ALICE, Date.now()));
    const at = accessToken(DPI, ALICE.id);
    await runtime.tokens.adopt(ALICE.id, { access_token: at, expires_in: 600, refresh_token: 'rt-runtime' });
    const c = nodeClient(runtime.socketPath, { line: JSON.stringify({ id: 1, method: 'token', params: { audience: DPI } }) });
    const answer = JSON.parse(await c.answer()) as { ok: boolean; result?: { accessToken?: string; person?: string } };
    await c.stop();
    assert.equal(answer.ok, true, JSON.stringify(answer));
    assert.equal(answer.result?.accessToken, at);
    assert.equal(answer.result?.person, ALICE.id);
    await runtime.audit.append({ event: 'agent_stopped', decision: 'info', reason: 'test.marker' });
    const lines = readFileSync(join(dir, 'audit', 'audit-000001.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: string; decision: string; details?: { application?: string } });
    const handed = lines.filter((l) => l.event === 'token_request');
    assert.equal(handed.length, 1);
    assert.equal(handed[0]?.decision, 'allow');
    assert.ok(handed[0]?.details?.application?.endsWith('node') || handed[0]?.details?.application?.includes('node'));

    await runtime.engine.signOut();
    await runtime.tokens.settled();
    assert.equal(runtime.tokens.view(), undefined);
    assert.equal(store.items.has(refreshAccount(ALICE.id)), false);
  });
});
