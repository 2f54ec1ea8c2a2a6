/**
 * The agent-asserted sign-in in Debian Chromium (playwright-core): the RP's authorization
 * request (code + PKCE S256, openid-client) → embedded provider → agent's loopback endpoint →
 * provider → RP callback, with no page shown and nothing typed; the ID token carries the RPPS
 * identity and amr. Without a session, the French sign-in page; after the agent's logout, a
 * second request goes through the agent again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { CHROMIUM_MISSING, launchChromium } from '../client/fixtures/openers.js';
import { ALICE, cpsEvent, startSsoWorld, type SsoWorld } from './fixtures/sso-world.js';

describe('agent-asserted sign-in in Chromium', { skip: CHROMIUM_MISSING }, () => {
  let world: SsoWorld;
  let browser: Browser;
  before(async () => {
    world = await startSsoWorld();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  /** Navigates to the RP's request; resolves with the URLs the browser went through and the code exchange. */
  async function signIn(context: BrowserContext) {
    const page = await context.newPage();
    const seen: string[] = [];
    page.on('request', (r: Request) => {
      if (r.isNavigationRequest()) seen.push(r.url());
    });
    const attempt = await world.authorize();
    const callback = world.nextCallback();
    await page.goto(attempt.url);
    const tokens = await attempt.finish(await callback);
    await page.close();
    return { seen, tokens };
  }

  it('card + PIN session → signed in with no prompt; ID token sub = RPPS, amr sc+pin+mfa', async () => {
    await world.signIn();
    const context = await browser.newContext({ locale: 'fr-FR' });
    try {
      const { seen, tokens } = await signIn(context);
      const agent = seen.find((u) => new URL(u).port === String(world.assertion.port));
      assert.ok(agent, 'the browser went through the agent');
      assert.ok(seen.some((u) => u.includes('/assertion?proof=')), 'and came back with a proof');
      assert.equal(tokens.claims.sub, '10001234567');
      assert.deepEqual(tokens.claims['amr'], ['sc', 'pin', 'mfa']);
      assert.equal(tokens.claims['acr'], 'urn:tessera:acr:2fa');
      assert.equal(tokens.claims['given_name'], 'JEAN');

      // Signed in at the provider: the next request needs no assertion.
      const again = await signIn(context);
      assert.ok(!again.seen.some((u) => new URL(u).port === String(world.assertion.port)), 'SSO session reused');

      // The agent's session ends → the provider's ends → the next request asks the agent again.
      const [outcome] = await world.notifier.notifyLogout(ALICE);
      assert.equal(outcome?.status, 204);
      const third = await signIn(context);
      assert.ok(third.seen.some((u) => new URL(u).port === String(world.assertion.port)), 'a new assertion was needed');
      assert.equal(third.tokens.claims.sub, '10001234567');
    } finally {
      await context.close();
    }
  });

  it('no session at the agent → the provider shows the French sign-in page; a proof replayed is refused', async () => {
    await world.signIn();
    const context = await browser.newContext({ locale: 'fr-FR' });
    try {
      // Capture a proof URL from a successful sign-in, then replay it in this browser.
      const { seen } = await signIn(context);
      const proofUrl = seen.find((u) => u.includes('/assertion?proof='));
      assert.ok(proofUrl);
      const replay = await context.newPage();
      const res = await replay.goto(proofUrl);
      assert.equal(res?.status(), 400);
      await replay.close();

      await world.engine.lock();
      const fresh = await browser.newContext({ locale: 'fr-FR' });
      try {
        const page = await fresh.newPage();
        const attempt = await world.authorize();
        const answer = await page.goto(attempt.url);
        assert.equal(answer?.status(), 200);
        assert.match(page.url(), /\/interaction\/[^/]+\/assertion\?error=no_session$/);
        assert.match(await page.locator('h1').innerText(), /Connectez-vous à Tessera sur ce poste/);
        assert.equal(await page.locator('#retry').innerText(), 'Réessayer');
        assert.match(answer?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
      } finally {
        await fresh.close();
      }
    } finally {
      await context.close();
      await world.signIn();
    }
  });
});

describe('re-assertion at each authorization in Chromium (agent.reassertAfterSeconds = 0)', { skip: CHROMIUM_MISSING }, () => {
  let world: SsoWorld;
  let browser: Browser;
  before(async () => {
    // No lock notices: the case where one was lost (provider unreachable when the workstation locked).
    world = await startSsoWorld({ trustAnchors: false, reassertAfterSeconds: 0, logoutNotices: false });
    browser = await launchChromium();
    await world.signIn();
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  async function signIn(context: BrowserContext) {
    const page = await context.newPage();
    const attempt = await world.authorize();
    const callback = world.nextCallback();
    await page.goto(attempt.url);
    const tokens = await attempt.finish(await callback);
    await page.close();
    return tokens;
  }

  it('the person now at the workstation is who gets signed in, even over a provider session of someone else', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    try {
      assert.equal((await signIn(context)).claims.sub, '10001234567');
      await new Promise((r) => setTimeout(r, 1100)); // the provider's login time is in whole seconds
      const d = await world.engine.authenticate(cpsEvent({ id: 'rpps:10009999999', rpps: '10009999999', name: 'BOB PETIT' }, 'b0'.repeat(32)));
      assert.ok(d.decision === 'switch_user' || d.decision === 'open', d.decision);
      assert.equal((await signIn(context)).claims.sub, '10009999999');
    } finally {
      await context.close();
    }
  });
});
