/**
 * Tap to unlock (EXI 14) in the headless agent, through the real pcscd: CPS + PIN in the
 * morning, card pulled (locked), the person's badge unlocks without PIN; a revoked badge, an
 * unenrolled badge, another person's badge and an expired window never unlock; badge + PIN
 * after the window; the badge PIN counter survives an agent restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, type AgentRecord } from '../../../src/main/shells/agent/agent.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { MinimalSession } from '../../../src/main/session/minimal-session.js';
import { enrolBlankBadge, type JsonEnrolmentRegister } from '../../../src/main/means/desfire/index.js';
import type { Kms } from '../../../src/main/integrations/kms/index.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { getSharedTestPki, type TestPki } from '../../testbed/pki/test-pki.js';
import { SimulatedChannel } from '../../means/cps/simulated-channel.js';
import { AID, BOB, cpsTwoFactor, kmsFor, newMasters, tempRegister } from '../../means/desfire/badge-fixture.js';

const ALICE = { id: 'rpps:10001234567', name: 'Alice Durand' }; // the CPS holder of the test PKI
const HOUR = 3600_000;

describe('agent: tap to unlock through the real pcscd', () => {
  let bed: TestBed;
  let pki: TestPki;
  let agent: Agent;
  let kms: Kms;
  const masters = newMasters();
  const reg = tempRegister();
  const records: AgentRecord[] = [];
  let clock = Date.now();
  const session = new MinimalSession({ now: () => new Date(clock), windowMs: HOUR });
  /** Read through a function so assertions on one state do not narrow the next read. */
  const st = (): MinimalSession['state'] => session.state;
  let badgePins: string[] = [];
  let badgePinRequests = 0;
  const handedOut: Buffer[] = [];
  const badges: Record<string, DesfireCard> = {};

  async function enrolInProcess(card: DesfireCard, person: { id: string; name: string }, pin: string, register: JsonEnrolmentRegister = reg.register): Promise<string> {
    const r = await enrolBlankBadge(new SimulatedChannel(card), { keys: kmsFor(masters), aid: AID, proof: cpsTwoFactor(person), person, pin: Buffer.from(pin), register });
    return r.enrolmentId;
  }

  function waitRecord(match: (r: AgentRecord) => boolean, from: number, timeoutMs = 10000): Promise<AgentRecord> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = (): void => {
        const hit = records.slice(from).find(match);
        if (hit) resolve(hit);
        else if (Date.now() > deadline) reject(new Error(`no matching record; got ${JSON.stringify(records.slice(from))}`));
        else setTimeout(poll, 5);
      };
      poll();
    });
  }

  function newAgent(): Agent {
    return new Agent({
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      report: (r) => records.push(r),
      pinPad: async () => Buffer.from('1234'),
      session,
      badge: {
        keys: kms,
        register: reg.register,
        aid: AID,
        now: () => new Date(clock),
        pinPad: async () => {
          badgePinRequests += 1;
          const pin = Buffer.from(badgePins.shift() ?? '9999');
          handedOut.push(pin);
          return pin;
        },
      },
    });
  }

  /** Taps `card` (insert, wait for the decision, remove) and returns the records it produced. */
  async function tap(card: DesfireCard, until: (r: AgentRecord) => boolean): Promise<AgentRecord[]> {
    const from = records.length;
    await bed.slots[0].insert(card);
    await waitRecord(until, from);
    await agent.idle();
    await bed.eject(0);
    return records.slice(from);
  }

  const sessionRecord = (decision: string) => (r: AgentRecord) => r.type === 'session' && r.decision === decision;

  before(async () => {
    bed = await openTestBed();
    pki = await getSharedTestPki();
    kms = kmsFor(masters);
    badges['alice'] = new DesfireCard({ ev2: true, randomUid: true });
    badges['aliceRevoked'] = new DesfireCard({ ev2: false });
    badges['stranger'] = new DesfireCard({ ev2: true });
    badges['bob'] = new DesfireCard({ ev2: false, randomUid: true });
    await enrolInProcess(badges['alice'], ALICE, '4826');
    const revokedId = await enrolInProcess(badges['aliceRevoked'], ALICE, '4826');
    reg.register.revoke({ enrolmentId: revokedId, revokedAt: new Date().toISOString(), revokedBy: 'rpps:10005555555', reason: 'lost' });
    const elsewhere = tempRegister();
    await enrolInProcess(badges['stranger'], ALICE, '4826', elsewhere.register);
    elsewhere.dispose();
    await enrolInProcess(badges['bob'], BOB, '7777');
    agent = newAgent();
    await agent.start();
  });

  after(async () => {
    await agent.stop();
    await kms.close();
    await bed.close();
    reg.dispose();
  });

  it('CPS + PIN opens the session; pulling the CPS locks it; the person’s badge unlocks it without PIN', async () => {
    const cert = await pki.issueCardCertificate();
    const cps = new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' });
    let from = records.length;
    await bed.slots[1].insert(cps);
    await waitRecord(sessionRecord('opened'), from);
    from = records.length;
    await bed.slots[1].remove();
    await waitRecord(sessionRecord('locked'), from);
    assert.equal(st().state, 'locked');

    clock += 20 * 60_000;
    const seen = await tap(badges['alice'] as DesfireCard, sessionRecord('unlocked'));
    assert.equal(st().state, 'active');
    assert.equal((() => { const s = st(); return s.state === 'active' && s.subject.id; })(), ALICE.id);
    assert.ok(seen.some((r) => r.type === 'session' && r.reason === 'exi14_window'));
    assert.equal(badgePinRequests, 0, 'no PIN inside the window');
  });

  it('a revoked badge of the same person does not unlock (badge_revoked), no PIN asked', async () => {
    session.lock();
    const seen = await tap(badges['aliceRevoked'] as DesfireCard, sessionRecord('second_factor_required'));
    assert.ok(seen.some((r) => r.type === 'login' && r.status === 'failed' && r.code === 'badge_revoked'));
    assert.ok(seen.some((r) => r.type === 'session' && r.reason === 'badge_revoked'));
    assert.equal(st().state, 'locked');
    assert.equal(badgePinRequests, 0);
  });

  it('a badge whose enrolment the register does not know does not unlock (badge_not_enrolled)', async () => {
    const seen = await tap(badges['stranger'] as DesfireCard, sessionRecord('second_factor_required'));
    assert.ok(seen.some((r) => r.type === 'session' && r.reason === 'badge_not_enrolled'));
    assert.equal(st().state, 'locked');
  });

  it("another person's badge asks for the second factor; a wrong badge PIN keeps the session locked", async () => {
    badgePins = ['0000'];
    const seen = await tap(badges['bob'] as DesfireCard, (r) => r.type === 'login');
    assert.ok(seen.some((r) => r.type === 'session' && r.reason === 'other_person'));
    const failed = seen.find((r) => r.type === 'login');
    assert.equal(failed?.type === 'login' && failed.status === 'failed' && failed.code, 'wrong_pin');
    assert.equal(failed?.type === 'login' && failed.status === 'failed' && failed.retriesLeft, 4);
    assert.equal((() => { const s = st(); return s.state === 'locked' && s.subject.id; })(), ALICE.id);
    assert.ok(handedOut.every((p) => p.every((b) => b === 0)), 'badge PIN buffers are wiped');
  });

  it('after the window a tap asks for the badge PIN; badge + PIN reopens the session and restarts the window', async () => {
    clock += HOUR; // 80 min after the CPS login
    badgePins = ['4826'];
    const seen = await tap(badges['alice'] as DesfireCard, sessionRecord('opened'));
    assert.ok(seen.some((r) => r.type === 'session' && r.reason === 'window_expired'));
    const ok = seen.find((r) => r.type === 'login');
    assert.equal(ok?.type === 'login' && ok.status === 'succeeded' && ok.means, 'desfire');
    assert.deepEqual(ok?.type === 'login' && ok.status === 'succeeded' && ok.factors, ['possession', 'knowledge']);
    assert.equal(session.reidentification?.twoFactorAt.getTime(), clock);
    session.lock();
    const again = await tap(badges['alice'] as DesfireCard, sessionRecord('unlocked'));
    assert.ok(again.length > 0);
  });

  it('the badge PIN counter survives an agent restart (a new agent object)', async () => {
    await agent.stop();
    agent = newAgent();
    await agent.start();
    session.lock();
    badgePins = ['1111'];
    const seen = await tap(badges['bob'] as DesfireCard, (r) => r.type === 'login');
    const failed = seen.find((r) => r.type === 'login');
    assert.equal(failed?.type === 'login' && failed.status === 'failed' && failed.retriesLeft, 3, 'the try spent before the restart is still spent');
  });
});
