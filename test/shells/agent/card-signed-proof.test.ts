/**
 * The held card through the real pcscd with the simulated CPS card: after a card + PIN login the
 * agent runtime keeps the card PIN-verified on its connection, and every proof of the session
 * carries the card's own signature (`evidence.cardSignature`), with no second PIN. The embedded
 * provider with `agent.requireCardSignature` signs the person in with no prompt (amr sc+hwk).
 * Sign-out and pulling the card let it go with a reset: the simulator's verified state is gone and
 * an INTERNAL AUTHENTICATE on a fresh connection is refused 6982. With
 * `sso.assertion.cardSignature: false` the card is reset right after login and the proofs carry
 * the chain only, which that provider refuses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes, verify as verifyBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { parseConfig } from '../../../src/main/config/config.js';
import { cardSignatureInput, type ProofClaims } from '../../../src/main/integrations/sso/assertion/index.js';
import type { EmbeddedProvider, ProviderEvent } from '../../../src/main/integrations/sso/provider/index.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { selectCpsApplication, signChallenge } from '../../../src/main/protocols/iasecc/cps-commands.js';
import { IasEccError } from '../../../src/main/protocols/iasecc/iasecc-error.js';
import { startAgentRuntime, type AgentRuntime } from '../../../src/main/shells/agent/agent-runtime.js';
import type { EngineAgentRecord } from '../../../src/main/shells/agent/engine-agent.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { JarClient } from '../../integrations/sso/provider/fixtures/jar-client.js';
import { freePort } from '../../integrations/sso/provider/fixtures/sso-world.js';
import { rpRequest, startRuntimeProvider } from '../../integrations/sso/provider/fixtures/runtime-provider.js';
import { until } from './until.js';

const RPPS = '10005550123';

describe('card-signed proofs: the session card held PIN-verified through pcscd', () => {
  let bed: TestBed;
  let dir: string;
  let issuer: string;
  let provider: EmbeddedProvider;
  let rp: oidc.Configuration;
  let card: CpsCard;
  let leaf: X509Certificate;
  let runtime: AgentRuntime | undefined;
  let pinRequests = 0;
  const records: EngineAgentRecord[] = [];
  const events: ProviderEvent[] = [];

  const startRuntime = async (name: string, cardSignature: boolean): Promise<AgentRuntime> => {
    const pki = await getSharedTestPki();
    const agentPort = new URL(providerEndpoint).port;
    const r = await startAgentRuntime({
      config: parseConfig(JSON.stringify({ audit: { dir: join(dir, `audit-${name}`) }, control: { socketPath: join(dir, `${name}.sock`) } }), 'test'),
      workstation: 'poste-card',
      trust: TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      pinPad: async () => {
        pinRequests++;
        return Buffer.from('1234');
      },
      report: (rec) => records.push(rec),
      assertion: { keyDir: join(dir, 'agent-keys'), port: Number(agentPort), providers: [issuer], cardSignature },
    });
    runtime = r;
    return r;
  };
  let providerEndpoint = '';

  /** Asks the agent's endpoint for a proof directly (as the browser would, redirected by a provider). */
  const proofFromAgent = async (nonce = randomBytes(32).toString('base64url')): Promise<{ claims: ProofClaims; nonce: string }> => {
    const url = new URL(providerEndpoint);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('iss', issuer);
    url.searchParams.set('return_to', `${issuer}/interaction/x/assertion`);
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const back = new URL(res.headers.get('location') ?? '');
    const jws = back.searchParams.get('proof');
    assert.ok(jws, `no proof: ${back.href}`);
    return { claims: decodeJwt(jws) as unknown as ProofClaims, nonce };
  };

  /** An INTERNAL AUTHENTICATE on a connection of our own, as another program would try it. */
  const signOnFreshConnection = async (): Promise<Buffer> => {
    const m = new ReaderMonitor();
    await m.start();
    await m.settled(3000);
    try {
      return await m.withCard(bed.readerNames[0], async (ch) => {
        assert.ok(await selectCpsApplication(ch));
        return signChallenge(ch, randomBytes(32));
      });
    } finally {
      await m.stop();
    }
  };

  const signIn = (jar: JarClient) => rpRequest(rp, jar);

  before(async () => {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    dir = mkdtempSync(join(tmpdir(), 'tessera-card-signed-'));
    const providerPort = await freePort();
    issuer = `http://127.0.0.1:${providerPort}`;
    providerEndpoint = `http://127.0.0.1:${await freePort()}/tessera/assert`;
    // The first runtime creates the workstation key; the provider enrols it.
    const first = await startRuntime('held', true);
    assert.ok(first.assertion);
    assert.equal(first.assertion.server.url, providerEndpoint);
    ({ provider, rp } = await startRuntimeProvider({ dir, issuer, assertion: first.assertion, workstation: 'poste-card', requireCardSignature: true, log: (e) => events.push(e) }));
    const cert = await pki.issueCardCertificate({ rpps: RPPS, givenName: 'LUCIE', surname: 'PETIT' });
    leaf = new X509Certificate(cert.der);
    card = new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' });
  });

  after(async () => {
    await runtime?.stop();
    await provider?.close();
    await bed?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('card + PIN: the card is held PIN-verified, nothing else can open it', async () => {
    const r = runtime as AgentRuntime;
    await bed.insert(0, card);
    await until('the card session', () => r.engine.status().state === 'active');
    await r.agent.idle();
    assert.equal(pinRequests, 1);
    assert.ok(records.some((x) => x.type === 'held_card' && x.status === 'held' && x.person === `rpps:${RPPS}`), JSON.stringify(records.filter((x) => x.type === 'held_card')));
    assert.equal(r.agent.heldCard?.person, `rpps:${RPPS}`);
    assert.equal(card.pinVerified, true, 'the card kept its verified state');
    await assert.rejects(signOnFreshConnection(), (e: unknown) => e instanceof PcscError && e.code === 'reader_busy');
  });

  it('each proof carries a card signature over its own nonce, audience, jti and iat; a second one needs no PIN', async () => {
    const one = await proofFromAgent();
    const two = await proofFromAgent();
    for (const { claims, nonce } of [one, two]) {
      assert.equal(claims.nonce, nonce);
      const sig = claims.evidence?.cardSignature;
      assert.ok(sig, 'a card signature');
      assert.equal(claims.evidence?.x5c[0], leaf.raw.toString('base64'));
      assert.ok(verifyBytes('sha256', cardSignatureInput(claims), leaf.publicKey, Buffer.from(sig, 'base64url')), 'verifies with the card certificate key');
    }
    assert.notEqual(one.claims.evidence?.cardSignature, two.claims.evidence?.cardSignature);
    assert.ok(!verifyBytes('sha256', cardSignatureInput(two.claims), leaf.publicKey, Buffer.from(one.claims.evidence?.cardSignature ?? '', 'base64url')), 'not valid for another proof');
    assert.equal(pinRequests, 1, 'no PIN asked again');
  });

  it('the provider requiring card signatures signs the person in with no prompt: amr sc+hwk+pin+mfa', async () => {
    const s = await signIn(new JarClient());
    assert.ok(s.r.next, `no code (last: ${s.r.last.status} ${s.r.last.body.slice(0, 300)}) ${JSON.stringify(events)}`);
    const claims = (await s.finish(s.r.next)).claims();
    assert.equal(claims?.sub, RPPS);
    assert.deepEqual(claims?.['amr'], ['sc', 'hwk', 'pin', 'mfa']);
    assert.equal(pinRequests, 1);
  });

  it('sign-out: the card is reset (verified state gone, a fresh INTERNAL AUTHENTICATE is refused 6982)', async () => {
    const r = runtime as AgentRuntime;
    await r.engine.signOut();
    await r.agent.idle();
    assert.ok(records.some((x) => x.type === 'held_card' && x.status === 'released' && x.reason === 'session_ended'));
    assert.equal(r.agent.heldCard?.person, undefined);
    assert.equal(card.pinVerified, false);
    await assert.rejects(signOnFreshConnection(), (e: unknown) => e instanceof IasEccError && e.sw === 0x6982);
  });

  it('pulled card: released (card_removed), the session locked, no proof', async () => {
    const r = runtime as AgentRuntime;
    await bed.eject(0);
    await bed.insert(0, card);
    await until('the second card session', () => r.engine.status().state === 'active');
    await r.agent.idle();
    assert.equal(r.agent.heldCard?.person, `rpps:${RPPS}`);
    assert.equal(card.pinVerified, true);
    await bed.eject(0);
    await until('the release', () => r.agent.heldCard?.person === undefined);
    await r.agent.idle();
    assert.ok(records.some((x) => x.type === 'held_card' && x.status === 'released' && x.reason === 'card_removed'));
    assert.equal(r.engine.status().state, 'locked');
  });

  it('stop: the held card is reset', async () => {
    const r = runtime as AgentRuntime;
    await bed.insert(0, card);
    await until('the third card session', () => r.engine.status().state === 'active' && r.agent.heldCard?.person !== undefined);
    await r.agent.idle();
    assert.equal(card.pinVerified, true);
    await r.stop();
    runtime = undefined;
    assert.equal(card.pinVerified, false);
  });

  it('sso.assertion.cardSignature false: reset after login, proofs carry the chain only, the requiring provider refuses', async () => {
    const r = await startRuntime('plain', false);
    await until('the card session', () => r.engine.status().state === 'active');
    await r.agent.idle();
    assert.equal(r.agent.heldCard, undefined);
    await until('the reset after login', () => !card.pinVerified);
    const { claims } = await proofFromAgent();
    assert.equal(claims.evidence?.type, 'x509-chain');
    assert.equal(claims.evidence?.cardSignature, undefined);
    const s = await signIn(new JarClient());
    assert.equal(s.r.next, undefined);
    assert.match(s.r.last.body, /card_signature_required/);
  });
});
