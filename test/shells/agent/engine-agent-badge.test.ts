/**
 * Badges in the agent runtime, through the real pcscd: after a CPS login and the card pulled,
 * the person's enrolled badge re-identifies inside the window (unlock, recorded); a revoked
 * badge is refused and unlocks nothing; the chain verifies.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/main/config/config.js';
import { listAuditFiles, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import type { Kms } from '../../../src/main/integrations/kms/index.js';
import { enrolBlankBadge } from '../../../src/main/means/desfire/index.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { startAgentRuntime, type AgentRuntime } from '../../../src/main/shells/agent/agent-runtime.js';
import type { EngineAgentRecord } from '../../../src/main/shells/agent/engine-agent.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { SimulatedChannel } from '../../means/cps/simulated-channel.js';
import { AID, cpsTwoFactor, kmsFor, newMasters, tempRegister } from '../../means/desfire/badge-fixture.js';
import { until } from './until.js';

const ALICE = { id: 'rpps:10001234567', name: 'Alice Durand' }; // the CPS holder of the test PKI


describe('agent runtime: badges through the real pcscd', () => {
  let bed: TestBed;
  let kms: Kms;
  let runtime: AgentRuntime;
  let dir: string;
  const masters = newMasters();
  const reg = tempRegister();
  const good = new DesfireCard({ ev2: true, randomUid: true });
  const revoked = new DesfireCard({ ev2: false });
  let badgePins = 0;
  let revokedId = '';
  const records: EngineAgentRecord[] = [];

  const decisions = (): { decision: string; reason: string; event: string }[] =>
    readFileSync(join(dir, 'audit', 'audit-000001.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { decision: string; reason: string; event: string });

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    kms = kmsFor(masters);
    for (const card of [good, revoked]) {
      const r = await enrolBlankBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, proof: cpsTwoFactor(ALICE), person: ALICE, pin: Buffer.from('4826'), register: reg.register });
      if (card === revoked) revokedId = r.enrolmentId;
    }
    dir = mkdtempSync(join(tmpdir(), 'tessera-engine-badge-'));
    const config = parseConfig(JSON.stringify({ audit: { dir: join(dir, 'audit') }, control: { socketPath: join(dir, 'agent.sock') } }), 'test');
    runtime = await startAgentRuntime({
      config,
      workstation: 'poste-test-02',
      report: (r) => records.push(r),
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      pinPad: async () => Buffer.from('1234'),
      badge: {
        keys: kms,
        register: reg.register,
        aid: AID,
        pinPad: async () => {
          badgePins += 1;
          return Buffer.from('4826');
        },
      },
    });
    const cert = await pki.issueCardCertificate();
    await bed.slots[1].insert(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    await until('the CPS session', () => runtime.engine.status().state === 'active');
    await bed.slots[1].remove();
    await until('the lock', () => runtime.engine.status().locked);
    await runtime.agent.idle();
  });

  after(async () => {
    await runtime.stop();
    await kms.close();
    await bed.close();
    reg.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the person’s badge re-identifies inside the window: unlock, recorded, no PIN asked', async () => {
    await bed.slots[0].insert(good);
    await until('the unlock', () => runtime.engine.status().state === 'active');
    await runtime.agent.idle();
    await bed.eject(0);
    await until('the agent to see the badge leave', () => !runtime.agent.readers().some((r) => r.card));
    const taps = decisions().filter((d) => d.event === 'badge_tap');
    assert.deepEqual(taps.map((d) => [d.decision, d.reason]), [['unlock', 'exi14.reidentified']]);
    assert.equal(badgePins, 0);
  });

  it('a revoked badge is refused and unlocks nothing', async () => {
    await runtime.engine.lock();
    reg.register.revoke({ enrolmentId: revokedId, revokedAt: new Date().toISOString(), revokedBy: 'rpps:10005555555', reason: 'lost' });
    const before = decisions().length;
    await bed.slots[0].insert(revoked);
    await until('the refusal', () => decisions().slice(before).some((d) => d.event === 'badge_tap')).catch((e: unknown) => assert.fail(`${String(e)}: ${JSON.stringify(records)}`));
    await runtime.agent.idle();
    await bed.eject(0);
    await until('the agent to see the badge leave', () => !runtime.agent.readers().some((r) => r.card));
    assert.equal(runtime.engine.status().locked, true);
    const tap = decisions().slice(before).find((d) => d.event === 'badge_tap');
    assert.deepEqual([tap?.decision, tap?.reason], ['refuse', 'exi14.means_revoked']);
    assert.equal(badgePins, 0);
    assert.equal((await verifyAuditFile(await listAuditFiles(join(dir, 'audit')))).ok, true);
  });
});
