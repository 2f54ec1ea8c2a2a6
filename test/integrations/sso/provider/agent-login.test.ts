/**
 * Agent-asserted sign-in over real HTTP (a cookie-jar client in place of the browser; the
 * Chromium run is agent-login.browser.test.ts): session engine → loopback assertion endpoint →
 * embedded provider → openid-client as the RP. Negative cases forge proofs with the right
 * nonce and one thing wrong, and the provider must refuse each with its stable reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getSharedImpostorTestPki } from '../../../testbed/pki/test-pki.js';
import {
  LogoutNotifier,
  proofClaims,
  signClaims,
  signLogout,
  workstationIssuer,
  type ProofClaims,
} from '../../../../src/main/integrations/sso/assertion/index.js';
import { ALICE, WORKSTATION, memoryWorkstationKey, startSsoWorld, type SsoWorld } from './fixtures/sso-world.js';
import { JarClient } from './fixtures/jar-client.js';

/** Runs the RP's request up to the hop that goes to the agent; returns the agent URL. */
async function toAgent(world: SsoWorld, jar: JarClient): Promise<{ agentUrl: URL; attempt: Awaited<ReturnType<SsoWorld['authorize']>> }> {
  const attempt = await world.authorize();
  const agentPort = String(world.assertion.port);
  const r = await jar.follow(attempt.url, (u) => u.port === agentPort);
  assert.ok(r.next, `the provider did not send the browser to the agent (last status ${r.last.status})`);
  return { agentUrl: new URL(r.next), attempt };
}

/** Follows from `href` to the RP's callback and exchanges the code. */
async function complete(world: SsoWorld, jar: JarClient, href: string, attempt: Awaited<ReturnType<SsoWorld['authorize']>>) {
  const cb = new URL(world.callbackBase).port;
  const r = await jar.follow(href, (u) => u.port === cb);
  assert.ok(r.next, `no callback reached (last status ${r.last.status}: ${r.last.body.slice(0, 200)})`);
  return attempt.finish(r.next);
}

describe('agent-asserted sign-in (HTTP)', () => {
  let world: SsoWorld;
  before(async () => {
    world = await startSsoWorld();
    await world.signIn();
  });
  after(async () => world.close());

  it('a 2FA CPS session signs in with no prompt: ID token sub = RPPS, amr sc+pin+mfa, acr 2fa, PSC-like claims', async () => {
    const jar = new JarClient();
    const { agentUrl, attempt } = await toAgent(world, jar);
    assert.equal(agentUrl.searchParams.get('iss'), world.issuer);
    assert.match(agentUrl.searchParams.get('nonce') ?? '', /^[A-Za-z0-9_-]{43}$/);
    const { claims } = await complete(world, jar, agentUrl.href, attempt);
    assert.equal(claims.sub, '10001234567');
    assert.deepEqual(claims['amr'], ['sc', 'pin', 'mfa']);
    assert.equal(claims['acr'], 'urn:tessera:acr:2fa');
    assert.equal(claims['SubjectNameID'], '810001234567');
    assert.equal(claims['family_name'], 'MARTIN');
    assert.equal(claims.iss, world.issuer);
    const login = world.events.find((e) => e.event === 'login');
    assert.deepEqual(login, { event: 'login', account: '10001234567', workstation: WORKSTATION, amr: ['sc', 'pin', 'mfa'], acr: 'urn:tessera:acr:2fa' });
  });

  /** Gets a nonce at the provider, then answers with a proof built by `forge`; returns the provider's page. */
  async function answerWith(forge: (base: ProofClaims) => Promise<string>) {
    const jar = new JarClient();
    const { agentUrl } = await toAgent(world, jar);
    const session = world.engine.status().current;
    assert.ok(session);
    const base = proofClaims(
      { person: ALICE, means: 'cps', factors: ['possession', 'knowledge'], sessionId: 's', twoFactorAt: new Date(), twoFactorMeans: 'cps', windowEnd: new Date(Date.now() + 3_600_000), certificateChain: world.chain },
      { nonce: agentUrl.searchParams.get('nonce') ?? '', audience: world.issuer, issuer: workstationIssuer(WORKSTATION), nowMs: Date.now() },
    );
    const back = new URL(agentUrl.searchParams.get('return_to') ?? '');
    back.searchParams.set('proof', await forge(base));
    return { page: await jar.get(back.href), back: back.href, jar };
  }

  const refusedWith = async (reason: string, forge: (base: ProofClaims) => Promise<string>) => {
    const { page } = await answerWith(forge);
    assert.equal(page.status, 400);
    assert.match(page.body, new RegExp(`<code id="reason">${reason}</code>`));
    assert.match(page.body, /Connexion refusée/);
    assert.equal(page.location, undefined);
  };

  it('a well-formed forged proof with the right key is accepted (the harness itself is sound)', async () => {
    const { page } = await answerWith((b) => signClaims(world.key, b));
    assert.equal(page.status, 303);
  });

  it('refuses a proof replayed: same URL again, and at another interaction', async () => {
    const { page, back, jar } = await answerWith((b) => signClaims(world.key, b));
    assert.equal(page.status, 303);
    const again = await jar.get(back);
    assert.equal(again.status, 400);
    // The same proof at a fresh interaction (another nonce was issued for it): the nonce is spent.
    const proof = new URL(back).searchParams.get('proof') ?? '';
    await refusedWith('nonce_replayed', () => Promise.resolve(proof));
  });

  it('refuses an expired proof', async () => {
    await refusedWith('expired', (b) => signClaims(world.key, { ...b, iat: b.iat - 120, exp: b.iat - 60 }));
  });

  it('refuses a proof for another audience', async () => {
    await refusedWith('audience', (b) => signClaims(world.key, { ...b, aud: 'https://sso.autre-hopital.fr' }));
  });

  it('refuses a proof signed by a key that is not enrolled', async () => {
    const other = await memoryWorkstationKey();
    await refusedWith('unknown_key', (b) => signClaims(other, b));
  });

  it('refuses a proof whose signature does not verify with the enrolled key it names', async () => {
    const other = await memoryWorkstationKey();
    await refusedWith('signature', async (b) => {
      const good = await signClaims(world.key, b);
      const bad = await signClaims({ ...other, kid: world.key.kid }, b);
      return `${good.split('.').slice(0, 2).join('.')}.${bad.split('.')[2] ?? ''}`;
    });
  });

  it('refuses a proof carrying a card certificate from another PKI', async () => {
    const impostor = await getSharedImpostorTestPki();
    const card = await impostor.issueCardCertificate({ rpps: '10001234567' });
    await refusedWith('untrusted_certificate', (b) =>
      signClaims(world.key, { ...b, evidence: { type: 'x509-chain', x5c: [card.der.toString('base64'), impostor.intermediate.der.toString('base64')] } }),
    );
  });

  it('refuses a proof whose certificate names another person, and a CPS proof without its chain', async () => {
    const card = await world.pki.issueCardCertificate({ rpps: '10009999999' });
    await refusedWith('identity_mismatch', (b) => signClaims(world.key, { ...b, evidence: { type: 'x509-chain', x5c: [card.der.toString('base64')] } }));
    await refusedWith('evidence_required', (b) => {
      const { evidence: _e, ...rest } = b;
      return signClaims(world.key, rest);
    });
  });

  it('refuses a nonce issued for another interaction', async () => {
    const other = new JarClient();
    const { agentUrl } = await toAgent(world, other);
    const foreignNonce = agentUrl.searchParams.get('nonce') ?? '';
    await refusedWith('nonce_wrong_interaction', (b) => signClaims(world.key, { ...b, nonce: foreignNonce }));
  });

  it('an agent error is a refusal page with the protocol value only (never what the URL made up)', async () => {
    for (const [error, shown] of [['server_error', 'agent_server_error'], ['<b>x</b>', 'agent_no_answer']] as const) {
      const jar = new JarClient();
      const { agentUrl } = await toAgent(world, jar);
      const back = new URL(agentUrl.searchParams.get('return_to') ?? '');
      back.searchParams.set('error', error);
      const page = await jar.get(back.href);
      assert.equal(page.status, 400);
      assert.match(page.body, new RegExp(`<code id="reason">${shown}</code>`));
      assert.doesNotMatch(page.body, /<b>x<\/b>/);
    }
  });

  it('without a session at the agent, the provider shows its French sign-in page (English on request)', async () => {
    await world.engine.lock();
    try {
      for (const [lang, text] of [['fr-FR,fr;q=0.9', 'Connectez-vous à Tessera'], ['en-GB,en;q=0.8', 'Sign in to Tessera']] as const) {
        const jar = new JarClient(lang);
        const attempt = await world.authorize();
        const r = await jar.follow(attempt.url);
        assert.equal(r.last.status, 200);
        assert.ok(r.hops.some((h) => h.location?.includes('error=no_session')), 'the agent answered no_session');
        assert.match(r.last.body, new RegExp(text));
        const csp = r.last.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/);
        assert.doesNotMatch(r.last.body, /https?:\/\/(?!127\.0\.0\.1)/, 'no external resource');
      }
    } finally {
      await world.signIn();
    }
  });

  it('agent logout ends the provider session: the next request needs a new assertion', async () => {
    const jar = new JarClient();
    const first = await toAgent(world, jar);
    await complete(world, jar, first.agentUrl.href, first.attempt);
    // Signed in at the provider: a second request goes straight to the callback (no agent hop).
    const attempt2 = await world.authorize();
    const agentPort = String(world.assertion.port);
    const cb = new URL(world.callbackBase).port;
    const r2 = await jar.follow(attempt2.url, (u) => u.port === cb || u.port === agentPort);
    assert.equal(new URL(r2.next ?? '').port, cb, 'SSO session reused');

    const outcomes = await world.notifier.notifyLogout(ALICE);
    assert.deepEqual(outcomes.map((o) => o.status), [204]);
    const ended = world.events.filter((e) => e.event === 'agent_logout').at(-1);
    assert.ok(ended && ended.event === 'agent_logout' && ended.sessionsEnded >= 1);

    const attempt3 = await world.authorize();
    const r3 = await jar.follow(attempt3.url, (u) => u.port === cb || u.port === agentPort);
    assert.equal(new URL(r3.next ?? '').port, agentPort, 'a new assertion is needed');
  });

  it('the engine signing out notifies the provider (logoutOnSessionEnd)', async () => {
    const jar = new JarClient();
    const first = await toAgent(world, jar);
    await complete(world, jar, first.agentUrl.href, first.attempt);
    const before = world.events.filter((e) => e.event === 'agent_logout').length;
    await world.engine.signOut();
    for (let i = 0; i < 100 && world.events.filter((e) => e.event === 'agent_logout').length === before; i++) await new Promise((r) => setTimeout(r, 20));
    const last = world.events.filter((e) => e.event === 'agent_logout').at(-1);
    assert.ok(last && last.event === 'agent_logout' && last.sessionsEnded === 1 && last.account === '10001234567');
    await world.signIn();
  });

  it('refuses logout notices replayed, from an unknown key, for another audience', async () => {
    const post = (body: string) => fetch(`${world.issuer}/tessera/agent-logout`, { method: 'POST', headers: { 'Content-Type': 'application/jwt' }, body });
    const base = { iss: workstationIssuer(WORKSTATION), sub: ALICE.id, reason: 'sign_out' as const, nowMs: Date.now() };
    const notice = await signLogout(world.key, { ...base, aud: world.issuer });
    assert.equal((await post(notice)).status, 204);
    const replay = await post(notice);
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { reason: string }).reason, 'replayed');
    const stranger = await post(await signLogout(await memoryWorkstationKey(), { ...base, aud: world.issuer }));
    assert.equal(((await stranger.json()) as { reason: string }).reason, 'unknown_key');
    const elsewhere = await post(await signLogout(world.key, { ...base, aud: 'https://ailleurs.example' }));
    assert.equal(((await elsewhere.json()) as { reason: string }).reason, 'audience');
    const wrongType = await fetch(`${world.issuer}/tessera/agent-logout`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: notice });
    assert.equal(wrongType.status, 415);
    // A notifier for an unreachable provider reports it instead of throwing.
    const down = new LogoutNotifier({ key: world.key, workstation: WORKSTATION, providers: ['http://127.0.0.1:9'], timeoutMs: 2000 });
    const [o] = await down.notifyLogout(ALICE);
    assert.equal(o?.ok, false);
  });
});
