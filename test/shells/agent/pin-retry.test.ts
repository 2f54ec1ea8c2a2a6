/**
 * The PIN pad asked again on the same inserted CPS card, through the real pcscd test bed and the
 * agent runtime (audit trail on disk): after a wrong PIN the pad is asked again with the tries
 * the card now reports, up to the card's limit; each wrong PIN is on the audit trail; a cancel
 * ends the attempt as `pin_entry_cancelled` (no try spent); a blocked PIN ends it with
 * `pin_blocked`; the card pulled while the pad is open ends it.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PinRequest } from '../../../src/main/means/cps/cps-login.js';
import type { EngineAgentRecord } from '../../../src/main/shells/agent/engine-agent.js';
import { UiError } from '../../../src/main/shells/ui-core/ui-error.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki, type CardCertificate } from '../../testbed/pki/test-pki.js';
import { startTestRuntime, type AuditLine, type TestRuntime } from './runtime-fixture.js';
import { until } from './until.js';

const PIN = '1234';
const WRONG = '9999';

/** What the scripted person does at each PIN request: type a PIN, cancel, or leave the pad open. */
type Answer = string | 'cancel' | 'hold';

describe('the agent asks the PIN pad again after a wrong PIN on the same card (real pcscd)', () => {
  let bed: TestBed;
  let t: TestRuntime;
  let cert: CardCertificate;
  let script: Answer[] = [];
  let asked: PinRequest[] = [];
  let handed: Buffer[] = [];
  let records: EngineAgentRecord[] = [];
  /** Rejects the open ('hold') request as a real pad does when the card goes. */
  let dropHeld: (() => void) | undefined;
  let auditBefore = 0;

  const card = (): CpsCard => new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: PIN });
  const newAudit = (): AuditLine[] => t.audit().slice(auditBefore);
  const failures = (): (string | undefined)[] =>
    newAudit().filter((l) => l.event === 'authentication_failed').map((l) => l.details?.errorCode as string | undefined);
  const loginFailures = (): { code: string; retriesLeft?: number }[] =>
    records.flatMap((r) => (r.type === 'login' ? [{ code: r.code, ...(r.retriesLeft !== undefined ? { retriesLeft: r.retriesLeft } : {}) }] : []));

  before(async () => {
    bed = await openTestBed();
    cert = await (await getSharedTestPki()).issueCardCertificate();
    t = await startTestRuntime('pin-retry', {
      report: (r) => {
        records.push(r);
        if (r.type === 'card' && r.status === 'removed') dropHeld?.();
      },
      pinPad: (_reader, req) => {
        asked.push(req);
        const answer = script.shift() ?? 'cancel';
        if (answer === 'cancel') return Promise.reject(new UiError('pin_cancelled', 'the person cancelled the PIN pad'));
        if (answer === 'hold') {
          return new Promise<Buffer>((_resolve, reject) => {
            dropHeld = () => reject(new UiError('pin_superseded', 'the card was pulled'));
          });
        }
        const pin = Buffer.from(answer);
        handed.push(pin);
        return Promise.resolve(pin);
      },
    });
  });

  after(async () => {
    await t.dispose();
    await bed.close();
  });

  beforeEach(() => {
    script = [];
    asked = [];
    handed = [];
    records = [];
    dropHeld = undefined;
    auditBefore = t.audit().length;
  });

  /** Ends each case: the card out, the session signed out, the agent idle. */
  afterEach(async () => {
    if (t.runtime.agent.readers().some((r) => r.card)) await bed.eject(0);
    await t.runtime.agent.idle();
    if (t.runtime.engine.status().state !== 'signed_out') await t.runtime.engine.signOut();
    await t.runtime.agent.idle();
  });

  it('wrong, wrong, right on one insertion: asked three times (3, 2, 1 tries), each wrong PIN recorded, then the session opens', async () => {
    script = [WRONG, WRONG, PIN];
    const c = card();
    await bed.insert(0, c);
    await until('the session', () => t.runtime.engine.status().state === 'active');
    await t.runtime.agent.idle();
    assert.deepEqual(asked.map((r) => r.retriesLeft), [3, 2, 1]);
    assert.deepEqual(loginFailures(), [{ code: 'wrong_pin', retriesLeft: 2 }, { code: 'wrong_pin', retriesLeft: 1 }]);
    assert.deepEqual(failures(), ['wrong_pin', 'wrong_pin']);
    const decisions = newAudit().filter((l) => l.event === 'authentication_failed' || l.decision === 'open').map((l) => l.decision);
    assert.deepEqual(decisions, ['refuse', 'refuse', 'open'], 'each wrong PIN is on the trail before the open');
    assert.equal(c.triesLeft, 3, 'the right PIN restored the counter');
    assert.ok(handed.length === 3 && handed.every((b) => b.every((x) => x === 0)), 'every PIN Buffer wiped');
    assert.ok(!t.auditText().includes(`"${WRONG}"`) && !t.auditText().includes(`"${PIN}"`), 'no PIN as a value on the trail');
  });

  it('wrong then cancel: the attempt ends as pin_entry_cancelled, the cancel spends no try, no third request', async () => {
    script = [WRONG, 'cancel'];
    const c = card();
    await bed.insert(0, c);
    await until('the two failures recorded', () => failures().length === 2);
    await t.runtime.agent.idle();
    assert.deepEqual(asked.map((r) => r.retriesLeft), [3, 2]);
    assert.deepEqual(failures(), ['wrong_pin', 'pin_entry_cancelled']);
    const cancelled = newAudit().at(-1);
    assert.equal(cancelled?.decision, 'refuse');
    assert.equal(cancelled?.means, 'cps');
    assert.equal(c.triesLeft, 2, 'only the wrong PIN spent a try');
    assert.equal(t.runtime.engine.status().state, 'signed_out');
  });

  it('a wrong PIN every time: asked up to the card’s limit, then pin_blocked; the same card again is not asked', async () => {
    script = [WRONG, WRONG, WRONG, WRONG];
    const c = card();
    await bed.insert(0, c);
    await until('the blocked PIN recorded', () => failures().includes('pin_blocked'));
    await t.runtime.agent.idle();
    assert.deepEqual(asked.map((r) => r.retriesLeft), [3, 2, 1]);
    assert.deepEqual(failures(), ['wrong_pin', 'wrong_pin', 'pin_blocked']);
    assert.equal(loginFailures().at(-1)?.code, 'pin_blocked');
    assert.equal(c.triesLeft, 0);
    assert.equal(t.runtime.engine.status().state, 'signed_out');
    await bed.eject(0);
    await t.runtime.agent.idle();
    await bed.insert(0, c);
    await until('the blocked card refused again', () => failures().length === 4);
    await t.runtime.agent.idle();
    assert.equal(asked.length, 3, 'a blocked card is never asked for a PIN');
    assert.equal(failures().at(-1), 'pin_blocked');
  });

  it('the card pulled while the pad asks again: the attempt ends, no further request, the try counter keeps the one wrong PIN', async () => {
    script = [WRONG, 'hold'];
    const c = card();
    await bed.insert(0, c);
    await until('the second request', () => asked.length === 2);
    assert.equal(asked[1]?.retriesLeft, 2);
    await bed.eject(0);
    await until('the attempt over', () => failures().length === 2);
    await t.runtime.agent.idle();
    assert.deepEqual(failures(), ['wrong_pin', 'pin_entry_cancelled']);
    assert.ok(newAudit().some((l) => l.event === 'card_removed' && l.reason === 'session.removed_during_authentication'), 'the removal during authentication is on the trail');
    assert.equal(asked.length, 2);
    assert.equal(c.triesLeft, 2);
    assert.equal(t.runtime.engine.status().state, 'signed_out');
    await t.runtime.agent.idle();
  });
});
