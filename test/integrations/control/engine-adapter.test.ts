/**
 * The control channel wired to a real session engine (manual clock, the policy fixtures) over a
 * real socket: status shows the session, lock and signOut are the engine's decisions, and
 * subscribers receive each decision with public fields only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient, ControlServer, controlHandlerFor, streamDecisions, type ControlEvent } from '../../../src/main/integrations/control/index.js';
import { ManualClock, SessionEngine } from '../../../src/main/session/engine/index.js';
import { ALICE, MIN, T0, cpsPin, registry } from '../../session/policy/fixtures.js';

describe('control channel ↔ session engine', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-control-engine-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('status, lock, signOut and decision events go through the engine', async () => {
    const clock = new ManualClock(T0);
    const engine = new SessionEngine({ registry: registry(), clock, config: { exi14WindowMs: 60 * MIN } });
    const around = { degraded: () => false, readers: () => [{ name: 'Lecteur CPS 00 00', card: true }] };
    const server = await ControlServer.start({ path: join(dir, 'tessera', 'agent.sock'), handler: controlHandlerFor(engine, around) });
    const stop = streamDecisions(engine, server, around);
    const client = await ControlClient.connect(server.path);
    const events: ControlEvent[] = [];
    try {
      await client.subscribe((e) => events.push(e), ['decision']);
      assert.deepEqual(await client.status(), { state: 'signed_out', degraded: false, readers: [{ name: 'Lecteur CPS 00 00', card: true }] });

      assert.equal(engine.authenticate(cpsPin(ALICE, T0)).decision, 'open');
      clock.advance(10 * MIN);
      const active = await client.status();
      assert.equal(active.state, 'active');
      assert.deepEqual(active.session, { person: ALICE.id, means: 'cps', factors: ['possession', 'knowledge'], windowLeftMs: 50 * MIN, locked: false });

      assert.deepEqual(await client.request('lock'), { decision: 'lock', reason: 'session.user_lock' });
      assert.equal(engine.status().locked, true);
      assert.equal((await client.status()).session?.locked, true);
      assert.deepEqual(await client.request('signOut'), { decision: 'sign_out', reason: 'session.user_sign_out' });
      assert.equal((await client.status()).state, 'signed_out');

      assert.deepEqual(events.map((e) => (e.data as { decision: string }).decision), ['open', 'lock', 'sign_out']);
      const open = events[0]?.data as Record<string, unknown>;
      assert.deepEqual(Object.keys(open).sort(), ['at', 'decision', 'event', 'factors', 'means', 'person', 'reason']);
      assert.equal(open['person'], ALICE.id);
    } finally {
      stop();
      client.close();
      await server.close();
      engine.dispose();
    }
  });
});
