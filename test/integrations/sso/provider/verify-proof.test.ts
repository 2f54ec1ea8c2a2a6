/**
 * The provider's proof checks one by one (verify-proof.ts), without HTTP: each forged variant
 * fails with its own stable reason, the nonce is single-use and expires, and arbitrary input is
 * always a typed refusal, never a crash.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, sign as signBytes, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import fc from 'fast-check';
import { amrFor, cardSignatureInput, proofClaims, signClaims, PROOF_TYP, type ProofClaims, type WorkstationKey } from '../../../../src/main/integrations/sso/assertion/index.js';
import { TrustStore } from '../../../../src/main/means/cps/trust-store.js';
import { getSharedTestPki, type CardCertificate } from '../../../testbed/pki/test-pki.js';
import { NonceStore, WorkstationKeyRing, verifyProof, type ProofContext } from '../../../../src/main/integrations/sso/provider/index.js';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { ALICE, memoryWorkstationKey } from './fixtures/sso-world.js';

const ISSUER = 'https://sso.hopital-test.fr';
const NOW = Date.UTC(2026, 10, 23, 9, 0, 0);

const refused = (reason: string) => (e: unknown) => e instanceof SsoError && e.code === 'sso_assertion_invalid' && e.reason === reason;

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

describe('card signature (evidence.cardSignature, §4.1 and §5 check 13)', () => {
  let key: WorkstationKey;
  let ring: WorkstationKeyRing;
  let trust: TrustStore;
  let card: CardCertificate;
  let otherCard: CardCertificate;
  let chain: string[];
  before(async () => {
    key = await memoryWorkstationKey();
    ring = await WorkstationKeyRing.fromPublicKeys([{ name: 'poste-1', key: key.publicKey }]);
    const pki = await getSharedTestPki();
    trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    card = await pki.issueCardCertificate({ rpps: ALICE.rpps ?? '' });
    otherCard = await pki.issueCardCertificate({ rpps: ALICE.rpps ?? '' });
    chain = [card.der.toString('base64'), pki.intermediate.der.toString('base64')];
  });

  it('the signed bytes are exactly the five lines of the protocol', () => {
    const bytes = cardSignatureInput({ aud: 'https://sso.hopital-test.fr', nonce: 'n'.repeat(43), jti: 'jti-1', iat: 1795456812 });
    assert.equal(bytes.toString('hex'), Buffer.from(`tessera-card-signature-v1\nhttps://sso.hopital-test.fr\n${'n'.repeat(43)}\njti-1\n1795456812`, 'utf8').toString('hex'));
    assert.throws(() => cardSignatureInput({ aud: 'a', nonce: 'b', jti: 'c\nd', iat: 1 }), RangeError);
    assert.throws(() => cardSignatureInput({ aud: 'a', nonce: 'b', jti: 'c', iat: 1.5 }), RangeError);
  });

  function setup(opts: { requireCardSignature?: boolean; means?: 'cps' | 'desfire' } = {}) {
    // The test PKI's certificates are valid from now on: real time here.
    const now = Date.now();
    const nonces = new NonceStore(60_000, () => now);
    const nonce = nonces.issue('uid-1');
    const means = opts.means ?? 'cps';
    const base = proofClaims(
      { person: ALICE, means, factors: means === 'cps' ? ['possession', 'knowledge'] : ['possession'], sessionId: 'sid-1', twoFactorAt: new Date(now - 60_000), twoFactorMeans: means, windowEnd: new Date(now + 3_600_000) },
      { nonce, audience: ISSUER, issuer: 'tessera:ws:poste-1', nowMs: now },
    );
    const withChain: ProofClaims = means === 'cps' ? { ...base, evidence: { type: 'x509-chain', x5c: chain } } : base;
    const ctx = (): ProofContext => ({ issuer: ISSUER, ring, trust, consumeNonce: (n) => nonces.consume(n, 'uid-1'), maxAuthAgeS: 4 * 3600, nowMs: now, ...(opts.requireCardSignature ? { requireCardSignature: true } : {}) });
    return { base: withChain, ctx };
  }
  /** What the card computes: RSASSA-PKCS1-v1_5 SHA-256 over the bytes (the card signs their DigestInfo). */
  const cardSign = (k: KeyObject, c: Pick<ProofClaims, 'aud' | 'nonce' | 'jti' | 'iat'>): string => signBytes('sha256', cardSignatureInput(c), k).toString('base64url');
  const signedBy = (c: ProofClaims, sig: string): ProofClaims => ({ ...c, evidence: { type: 'x509-chain', x5c: chain, cardSignature: sig } });

  it('accepts a good card signature: card-signed, and the provider amr says hwk beside sc', async () => {
    const { base, ctx } = setup({ requireCardSignature: true });
    const v = await verifyProof(await signClaims(key, signedBy(base, cardSign(card.privateKey, base))), ctx());
    assert.equal(v.cardSigned, true);
    assert.deepEqual(amrFor(v.claims.means, v.claims.factors, v.cardSigned), ['sc', 'hwk', 'pin', 'mfa']);
  });

  it('without one: accepted (not card-signed, amr as before) unless required', async () => {
    const plain = setup();
    const v = await verifyProof(await signClaims(key, plain.base), plain.ctx());
    assert.equal(v.cardSigned, false);
    assert.deepEqual(amrFor(v.claims.means, v.claims.factors, v.cardSigned), ['sc', 'pin', 'mfa']);
    const required = setup({ requireCardSignature: true });
    await assert.rejects(verifyProof(await signClaims(key, required.base), required.ctx()), refused('card_signature_required'));
  });

  it('required applies to CPS sessions only: a badge session is accepted', async () => {
    const { base, ctx } = setup({ requireCardSignature: true, means: 'desfire' });
    assert.equal((await verifyProof(await signClaims(key, base), ctx())).cardSigned, false);
  });

  const forged: Array<[string, (b: ProofClaims) => string]> = [
    ['a flipped bit', (b) => {
      const sig = Buffer.from(cardSign(card.privateKey, b), 'base64url');
      sig[10] = (sig[10] ?? 0) ^ 1;
      return sig.toString('base64url');
    }],
    ['another nonce', (b) => cardSign(card.privateKey, { ...b, nonce: randomBytes(32).toString('base64url') })],
    ['another audience', (b) => cardSign(card.privateKey, { ...b, aud: 'https://sso.autre-hopital.fr' })],
    ['another proof (jti)', (b) => cardSign(card.privateKey, { ...b, jti: randomBytes(16).toString('base64url') })],
    ['another proof (iat)', (b) => cardSign(card.privateKey, { ...b, iat: b.iat - 1 })],
    ['another card of the same person', (b) => cardSign(otherCard.privateKey, b)],
    ['garbage', () => 'AAAA'],
  ];
  for (const [what, forge] of forged) {
    it(`refuses a card signature over ${what}: card_signature (never ignored)`, async () => {
      const { base, ctx } = setup();
      await assert.rejects(verifyProof(await signClaims(key, signedBy(base, forge(base))), ctx()), refused('card_signature'));
    });
  }

  it('refuses a card signature whose encoding is not base64url', async () => {
    const { base, ctx } = setup();
    await assert.rejects(verifyProof(await signClaims(key, signedBy(base, 'ab+/=')), ctx()), refused('malformed'));
  });
});
