/**
 * The provider's proof checks one by one (verify-proof.ts), without HTTP: each forged variant
 * fails with its own stable reason, the nonce is single-use and expires, and arbitrary input is
 * always a typed refusal, never a crash.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompactSign } from 'jose';
import fc from 'fast-check';
import { proofClaims, signClaims, PROOF_TYP, type ProofClaims, type WorkstationKey } from '../../../../src/main/integrations/sso/assertion/index.js';
import { NonceStore, WorkstationKeyRing, verifyProof, type ProofContext } from '../../../../src/main/integrations/sso/provider/index.js';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { ALICE, memoryWorkstationKey } from './fixtures/sso-world.js';

const ISSUER = 'https://sso.hopital-test.fr';
const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);

describe('verifyProof', () => {
  let key: WorkstationKey;
  let ring: WorkstationKeyRing;
  before(async () => {
    key = await memoryWorkstationKey();
    ring = await WorkstationKeyRing.fromPublicKeys([{ name: 'poste-1', key: key.publicKey }]);
  });

  function setup(nowMs = NOW) {
    let t = nowMs;
    const nonces = new NonceStore(60_000, () => t);
    const nonce = nonces.issue('uid-1');
    const base = proofClaims(
      { person: ALICE, means: 'desfire', factors: ['possession'], sessionId: 'sid-1', twoFactorAt: new Date(nowMs - 3_600_000), twoFactorMeans: 'desfire', windowEnd: new Date(nowMs + 3_600_000) },
      { nonce, audience: ISSUER, issuer: 'tessera:ws:poste-1', nowMs },
    );
    const ctx = (): ProofContext => ({ issuer: ISSUER, ring, consumeNonce: (n) => nonces.consume(n, 'uid-1'), maxAuthAgeS: 4 * 3600, nowMs: t });
    return { base, ctx, advance: (ms: number) => (t += ms) };
  }

  const refused = (reason: string) => (e: unknown) => e instanceof SsoError && e.code === 'sso_assertion_invalid' && e.reason === reason;

  it('accepts a good proof once (badge re-identification: amr from factors, no chain needed)', async () => {
    const { base, ctx } = setup();
    const jws = await signClaims(key, base);
    const v = await verifyProof(jws, ctx());
    assert.equal(v.claims.person.rpps, '10001234567');
    assert.equal(v.workstation.name, 'poste-1');
    await assert.rejects(verifyProof(jws, ctx()), refused('nonce_replayed'));
  });

  const cases: Array<[string, (b: ProofClaims) => ProofClaims]> = [
    ['audience', (b) => ({ ...b, aud: `${ISSUER}/other` })],
    ['expired', (b) => ({ ...b, iat: b.iat - 100, exp: b.iat - 10 })],
    ['not_yet_valid', (b) => ({ ...b, iat: b.iat + 60, exp: b.iat + 90 })],
    ['lifetime', (b) => ({ ...b, exp: b.iat + 3600 })],
    ['nonce_unknown', (b) => ({ ...b, nonce: randomBytes(32).toString('base64url') })],
    ['auth_too_old', (b) => ({ ...b, auth_time: b.iat - 5 * 3600 })],
    ['malformed', (b) => ({ ...b, factors: [] })],
    ['malformed', (b) => ({ ...b, person: { ...b.person, rpps: '123' } })],
  ];
  for (const [reason, change] of cases) {
    it(`refuses: ${reason}`, async () => {
      const { base, ctx } = setup();
      await assert.rejects(verifyProof(await signClaims(key, change(base)), ctx()), refused(reason));
    });
  }

  it('refuses an expired nonce', async () => {
    const { base, ctx, advance } = setup();
    advance(61_000);
    // A proof made now (fresh) for a nonce issued 61 s ago.
    const later = await signClaims(key, { ...base, iat: base.iat + 61, exp: base.iat + 91 });
    await assert.rejects(verifyProof(later, ctx()), refused('nonce_expired'));
  });

  it('refuses another algorithm, another typ, an unknown kid, a huge or malformed message', async () => {
    const { base, ctx } = setup();
    const payload = Buffer.from(JSON.stringify(base));
    const hs = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', typ: PROOF_TYP, kid: key.kid }).sign(randomBytes(32));
    await assert.rejects(verifyProof(hs, ctx()), refused('algorithm'));
    const typ = await new CompactSign(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
    await assert.rejects(verifyProof(typ, ctx()), refused('type'));
    const other = await memoryWorkstationKey();
    await assert.rejects(verifyProof(await signClaims(other, base), ctx()), refused('unknown_key'));
    await assert.rejects(verifyProof('a'.repeat(20_000), ctx()), refused('too_large'));
    await assert.rejects(verifyProof('not.a.jws!', ctx()), refused('malformed'));
    const notJson = await new CompactSign(Buffer.from('{oops')).setProtectedHeader({ alg: 'ES256', typ: PROOF_TYP, kid: key.kid }).sign(key.privateKey);
    await assert.rejects(verifyProof(notJson, ctx()), refused('malformed'));
  });

  it('arbitrary strings are always a typed refusal', async () => {
    const { ctx } = setup();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.base64String({ maxLength: 80 }), { minLength: 3, maxLength: 3 }).map((p) => p.join('.').replace(/[+/=]/g, 'A'))), async (s) => {
        await assert.rejects(verifyProof(s, ctx()), (e: unknown) => e instanceof SsoError && e.code === 'sso_assertion_invalid');
      }),
      { numRuns: 300 },
    );
  });
});
