/**
 * The headless agent through the real pcscd: the whole login path (monitor → recognition →
 * CPS login → session) with the faults a ward produces: a card pulled in the middle of the
 * login, and pcscd killed and restarted while the agent runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, type AgentRecord } from '../../../src/main/shells/agent/agent.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki, type CardCertificate } from '../../testbed/pki/test-pki.js';

describe('headless agent through the real pcscd', () => {
  let bed: TestBed;
  let agent: Agent;
  let cert: CardCertificate;
  const records: AgentRecord[] = [];
  const pinsHandedOut: Buffer[] = [];

  function waitRecord(match: (r: AgentRecord) => boolean, fromIndex: number, timeoutMs = 10000): Promise<AgentRecord> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = (): void => {
        const hit = records.slice(fromIndex).find(match);
        if (hit) resolve(hit);
        else if (Date.now() > deadline) reject(new Error(`no matching record; got ${JSON.stringify(records.slice(fromIndex))}`));
        else setTimeout(poll, 10);
      };
      poll();
    });
  }

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    cert = await pki.issueCardCertificate();
    agent = new Agent({
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      report: (r) => records.push(r),
      pinPad: async () => {
        const pin = Buffer.from('4711');
        pinsHandedOut.push(pin);
        return pin;
      },
    });
    await agent.start();
  });

  after(async () => {
    await agent.stop();
    await bed.close();
  });

  it('opens the session on card + PIN, wipes the PIN, and locks it when the card is pulled', async () => {
    const from = records.length;
    await bed.slots[0].insert(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '4711' }));
    const login = await waitRecord((r) => r.type === 'login', from);
    assert.equal(login.type === 'login' && login.status, 'succeeded');
    assert.equal(agent.session.state.state, 'active');
    assert.ok(pinsHandedOut.every((p) => p.every((b) => b === 0)), 'every PIN buffer is wiped after use');
    assert.ok(!JSON.stringify(records).includes('4711'), 'no record carries the PIN');
    await bed.slots[0].remove();
    await waitRecord((r) => r.type === 'session' && r.state === 'locked', from);
    assert.equal(agent.session.state.state, 'locked');
  });

  it('reports a card pulled in the middle of the login as card_removed and opens nothing', async () => {
    const before = agent.session.state.state;
    const from = records.length;
    // Pull on the 6th APDU: after the certificate started to be read, before the PIN is sent.
    await bed.slots[0].insert(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '4711' }), {
      beforeApdu: (_apdu, index) => (index === 5 ? 'pull' : undefined),
    });
    const failed = await waitRecord((r) => r.type === 'login', from);
    assert.equal(failed.type === 'login' && failed.status, 'failed');
    assert.equal(failed.type === 'login' && failed.status === 'failed' && failed.code, 'card_removed');
    assert.equal(agent.session.state.state, before, 'a failed login changes no session state');
    await waitRecord((r) => r.type === 'card' && r.status === 'removed', from);
  });

  it('keeps working when pcscd is killed and restarted while it runs', async () => {
    const from = records.length;
    await bed.pcscd.stop({ crash: true });
    await waitRecord((r) => r.type === 'daemon' && r.status === 'down', from);
    await bed.pcscd.start();
    await waitRecord((r) => r.type === 'daemon' && r.status === 'up', from);
    const again = records.length;
    await bed.slots[1].insert(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '4711' }));
    const login = await waitRecord((r) => r.type === 'login', again);
    assert.equal(login.type === 'login' && login.status, 'succeeded');
    assert.equal(login.type === 'login' && login.reader, bed.readerNames[1]);
    assert.equal(agent.session.state.state, 'active');
    await bed.slots[1].remove();
  });
});
