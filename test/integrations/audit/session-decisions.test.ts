/**
 * The session engine's real decisions recorded in the audit log through RecordedSessionEngine:
 * every decision becomes a record (in order, durable before the call resolves) with the fields
 * the auditor needs, and the log verifies.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { ManualClock } from '../../../src/main/session/engine/clock.js';
import { RecordedSessionEngine } from '../../../src/main/session/engine/recorded-engine.js';
import { SessionEngine } from '../../../src/main/session/engine/session-engine.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import { AuditLog, auditInputFromDecision, listAuditFiles, parseRecordLine, verifyAuditFile, type AuditRecord } from '../../../src/main/integrations/audit/index.js';
import { ALICE, BOB, MIN, T0, cpsPin, fido, registry, tap } from '../../session/policy/fixtures.js';
import { readLinesOf, tempDir } from './helpers.js';

const tmp = tempDir('tessera-audit-session-');
after(() => tmp.cleanup());

describe('audit trail of session engine decisions', () => {
  it('records every decision in order, before the call resolves, with its means, factors, person and reason', async () => {
    const dir = join(tmp.dir, 'audit');
    const clock = new ManualClock(T0);
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01', clock: () => new Date(clock.now()) });
    const engine = new SessionEngine({ registry: registry(), clock, config: { exi14WindowMs: 60 * MIN } });
    const onDisk = (): number => readLinesOf(log.currentFile).filter(Boolean).length;
    const rec = new RecordedSessionEngine(engine, async (d) => {
      await log.append(auditInputFromDecision(d));
    });
    const decisions: Decision[] = [];
    rec.onRecorded((d) => decisions.push(d));
    const step = async (p: Promise<Decision>): Promise<void> => {
      const before = onDisk();
      const d = await p;
      // a call may decide several things (a switch locks the previous session first)
      assert.ok(onDisk() > before, `${d.decision} is on disk when the call resolves`);
      assert.equal(onDisk(), decisions.length);
    };
    await step(rec.authenticate(cpsPin(ALICE, T0)));
    clock.advance(5 * MIN);
    await step(rec.lock());
    clock.advance(5 * MIN);
    await step(rec.badgeTapped(tap(ALICE, clock.now())));
    await step(rec.authenticationFailed('wrong_pin', { means: 'cps', person: BOB.id }));
    await step(rec.authenticate(fido(BOB, clock.now(), ['possession', 'knowledge'], true, true)));
    await step(rec.signOut(BOB.id));
    await rec.idle();
    rec.dispose();
    await log.close();

    const records: AuditRecord[] = readLinesOf(log.currentFile).map((l) => {
      const p = parseRecordLine(l);
      assert.ok(p.ok);
      return p.record;
    });
    assert.equal(records.length, decisions.length);
    records.forEach((r, i) => {
      const d = decisions[i] as Decision;
      assert.equal(r.decision, d.decision);
      assert.equal(r.reason, d.reason);
      assert.equal(r.event, d.event);
      assert.equal(r.person, d.person ?? null);
      assert.equal(r.means, d.means ?? null);
      assert.equal(r.time, d.at.toISOString());
    });
    const opened = records[0] as AuditRecord;
    assert.equal(opened.decision, 'open');
    assert.deepEqual(opened.factors, ['possession', 'knowledge']);
    assert.match(opened.details?.certificateSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok(opened.details?.windowEndsAt);
    assert.equal(records[3]?.details?.errorCode, 'wrong_pin');
    const bob = records.find((r) => r.person === BOB.id && r.means === 'fido2') as AuditRecord;
    assert.deepEqual(records.map((r) => [r.event, r.decision, r.person]), [
      ['authentication', 'open', ALICE.id],
      ['lock_request', 'lock', ALICE.id],
      ['badge_tap', 'unlock', ALICE.id],
      ['authentication_failed', 'refuse', BOB.id],
      ['authentication', 'lock', ALICE.id],
      ['authentication', 'switch_user', BOB.id],
      ['sign_out_request', 'sign_out', BOB.id],
    ]);
    assert.equal(records[5]?.details?.previousPerson, ALICE.id);
    assert.match(records[2]?.details?.enrolmentId ?? '', /\S/, 'the tap names the enrolled badge');
    assert.equal(bob.means, 'fido2');
    assert.equal(bob.details?.fallback, true);
    const v = await verifyAuditFile(await listAuditFiles(dir));
    assert.ok(v.ok);
    assert.equal(v.records, decisions.length);
  });
});
