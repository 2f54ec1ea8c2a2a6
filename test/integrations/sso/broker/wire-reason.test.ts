/** The `reason` a refused `token` request carries on the wire: a code or nothing, on both sides. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerLine } from '../../../../src/main/integrations/control/protocol.js';

describe('wire error reason', () => {
  it('kept when it is a code, dropped when it is anything else', () => {
    const line = (reason: unknown): string => JSON.stringify({ id: 1, ok: false, error: { code: 'sso_no_token', message: 'token failed', reason } });
    assert.deepEqual(parseServerLine(line('session_locked')), { kind: 'response', response: { id: 1, ok: false, error: { code: 'sso_no_token', message: 'token failed', reason: 'session_locked' } } });
    for (const bad of ['Session locked', 'x'.repeat(65), 42, '', 'eyJhbGciOi.x.y']) {
      assert.deepEqual(parseServerLine(line(bad)), { kind: 'response', response: { id: 1, ok: false, error: { code: 'sso_no_token', message: 'token failed' } } }, String(bad));
    }
  });
});
