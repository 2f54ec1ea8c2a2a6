/**
 * The `fidoFallback` request on the control channel's wire: what is accepted and every refusal
 * (typed `bad_params`, never a crash), and a server without the fallback answering `unknown_method`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient, ControlError, ControlServer, parseRequestLine, type ControlHandler } from '../../../src/main/integrations/control/index.js';

const line = (params: unknown): string => JSON.stringify({ id: 7, method: 'fidoFallback', params });

describe('fidoFallback on the wire', () => {
  it('accepts a person, an optional PIN and an optional device', () => {
    assert.deepEqual(parseRequestLine(line({ person: 'rpps:10001234567' })), { ok: true, request: { id: 7, method: 'fidoFallback', params: { person: 'rpps:10001234567' } } });
    assert.deepEqual(parseRequestLine(line({ person: 'local:marie.c', pin: '97531', device: 'udp:127.0.0.1:8111' })), {
      ok: true,
      request: { id: 7, method: 'fidoFallback', params: { person: 'local:marie.c', pin: '97531', device: 'udp:127.0.0.1:8111' } },
    });
  });

  const refused: [string, unknown][] = [
    ['no params', undefined],
    ['no person', { pin: '1234' }],
    ['a person that is not a subject id', { person: '10001234567' }],
    ['a person with spaces', { person: 'rpps:1000 1234567' }],
    ['a PIN too short', { person: 'rpps:10001234567', pin: '123' }],
    ['a PIN too long', { person: 'rpps:10001234567', pin: '1'.repeat(64) }],
    ['a PIN that is a number', { person: 'rpps:10001234567', pin: 1234 }],
    ['an empty device', { person: 'rpps:10001234567', device: '' }],
    ['an unknown field', { person: 'rpps:10001234567', token: 'x' }],
  ];
  for (const [what, params] of refused) {
    it(`refuses ${what} with bad_params`, () => {
      const r = parseRequestLine(params === undefined ? JSON.stringify({ id: 7, method: 'fidoFallback' }) : line(params));
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.code, 'bad_params');
        assert.equal(r.id, 7);
        assert.ok(!r.message.includes('1234'), 'the message never repeats a PIN');
      }
    });
  }

  it('an agent without the fallback answers unknown_method', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fb-proto-'));
    const handler: ControlHandler = {
      status: () => ({ state: 'signed_out', degraded: false, readers: [] }),
      lock: () => ({ decision: 'ignore', reason: 'session.no_session' }),
      signOut: () => ({ decision: 'ignore', reason: 'session.no_session' }),
    };
    const server = await ControlServer.start({ path: join(dir, 's.sock'), handler });
    const client = await ControlClient.connect(server.path);
    try {
      await assert.rejects(client.request('fidoFallback', { person: 'rpps:10001234567' }), (e: unknown) => e instanceof ControlError && e.remoteCode === 'unknown_method');
    } finally {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
