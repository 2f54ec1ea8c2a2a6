/**
 * What the vault and the broker read from outside — token endpoint answers, JWT access tokens,
 * `ss` output — under random input: a typed error or a value, never a crash or a hang.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { checkTokenAnswer, jwtAudiences } from '../../../../src/main/integrations/sso/tokens/index.js';
import { peerInodeFromSs } from '../../../../src/main/integrations/sso/broker/index.js';

describe('untrusted token input', () => {
  it('checkTokenAnswer: any JSON value gives a checked answer or SsoError(sso_provider_error, malformed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ access_token: fc.oneof(fc.string(), fc.jsonValue()), expires_in: fc.oneof(fc.double(), fc.integer(), fc.string()), refresh_token: fc.oneof(fc.string(), fc.constant(undefined)) }, { requiredKeys: [] })), (v) => {
        try {
          const a = checkTokenAnswer(v);
          assert.ok(/^[\x21-\x7e]+$/.test(a.access_token));
          if (a.expires_in !== undefined) assert.ok(a.expires_in > 0 && Number.isFinite(a.expires_in));
        } catch (e) {
          assert.ok(e instanceof SsoError && e.code === 'sso_provider_error' && e.reason === 'malformed', String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('jwtAudiences: any string gives a list of strings (empty for anything that is not a JWT with aud)', () => {
    const b64 = (x: unknown): string => Buffer.from(JSON.stringify(x)).toString('base64url');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((p) => `${b64({ alg: 'none' })}.${b64(p)}.sig`)), (t) => {
        const out = jwtAudiences(t);
        assert.ok(Array.isArray(out) && out.length <= 32 && out.every((x) => typeof x === 'string'));
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(jwtAudiences(`${b64({})}.${b64({ aud: ['a', 1, 'b'] })}.x`), ['a', 'b']);
  });

  it('peerInodeFromSs: any text gives a decimal inode or undefined', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('u_str ESTAB 0 0 /p 12 * 13', '* 13 * 12')), { maxLength: 20 }), fc.stringMatching(/^\d{1,8}$/), (lines, ino) => {
        const r = peerInodeFromSs(lines.join('\n'), ino);
        assert.ok(r === undefined || /^\d+$/.test(r));
      }),
      { numRuns: 1000 },
    );
  });
});
