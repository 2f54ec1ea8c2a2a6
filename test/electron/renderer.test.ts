/**
 * The built status window in Debian Chromium, under the app's CSP. The preload is stood in for
 * by an init script that defines `window.tessera` before the page runs, as the preload does.
 * Skipped (with the reason) when Chromium or the renderer build is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from './repo-root.js';
import { serveRenderer, type RendererServer } from './renderer-server.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const rendererDir = path.join(repoRoot, 'build', 'renderer');
const skip = !existsSync(chromiumPath)
  ? `no Chromium at ${chromiumPath}`
  : !existsSync(path.join(rendererDir, 'index.html'))
    ? 'renderer not built (vite build src/renderer)'
    : false;

let browser: Browser;
let server: RendererServer;

before(async () => {
  if (skip) return;
  server = await serveRenderer(rendererDir);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

interface Opened {
  page: Page;
  context: BrowserContext;
  violations: () => Promise<string[]>;
  errors: string[];
}

/** Opens the page; `bridge` is the source of an init script that plays the preload's part. */
async function open(locale: string, bridge?: string): Promise<Opened> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Browser-side code is written as strings: the test program is compiled without DOM types.
  await page.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation',
        (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  if (bridge) await page.addInitScript({ content: bridge });
  await page.goto(server.url);
  const violations = () => page.evaluate<string[]>('window.__cspViolations');
  return { page, context, violations, errors };
}

const activeBridge = `
  (() => {
    let push = null;
    const api = {
      getStatus: async () => ({ ok: true, value: { session: 'active', holder: 'Dr Marie Curie', means: 'cps', health: 'ok' } }),
      onStatus: (listener) => { push = listener; return () => { push = null; }; },
    };
    Object.defineProperty(window, 'tessera', { value: Object.freeze(api) });
    window.__push = (status) => push && push(status);
  })();`;

test('in a plain browser the window says the agent is not connected, in French', { skip }, async () => {
  const { page, context, violations, errors } = await open('fr-FR');
  await page.getByText('Agent non connecté').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Tessera');
  assert.equal(await page.getByRole('main').count(), 1);
  assert.equal(await page.getByRole('banner').count(), 1);
  assert.deepEqual(await violations(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the status comes through window.tessera and follows pushed changes', { skip }, async () => {
  const { page, context, violations, errors } = await open('fr-FR', activeBridge);
  await page.getByText('Session de Dr Marie Curie — carte CPS').waitFor();
  await page.screenshot({ path: path.join(repoRoot, 'build', 'renderer-status-fr.png') });
  await page.evaluate(`window.__push({ session: 'locked', holder: 'Dr Marie Curie', means: 'desfire', health: 'degraded' })`);
  await page.getByText('Session de Dr Marie Curie verrouillée — badge sans contact').waitFor();
  await page.getByRole('status').getByText(/^Mode dégradé/).waitFor();
  // A pushed value that breaks the contract is ignored, not displayed.
  await page.evaluate(`window.__push({ session: 'active', holder: '<b>x</b>' })`);
  await page.getByText('verrouillée').waitFor();
  await page.screenshot({ path: path.join(repoRoot, 'build', 'renderer-status-degraded.png') });
  assert.deepEqual(await violations(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a status pushed while the first read is pending is not overwritten by the older answer', { skip }, async () => {
  const slowBridge = `
    (() => {
      let push = null;
      let answer = null;
      const api = {
        getStatus: () => new Promise((resolve) => { answer = resolve; }),
        onStatus: (listener) => { push = listener; return () => { push = null; }; },
      };
      Object.defineProperty(window, 'tessera', { value: Object.freeze(api) });
      window.__push = (status) => push && push(status);
      window.__answer = (result) => answer && answer(result);
    })();`;
  const { page, context } = await open('fr-FR', slowBridge);
  await page.getByText('Lecture de l’état…').waitFor();
  await page.evaluate(`window.__push({ session: 'active', holder: 'Dr Marie Curie', means: 'fido2', health: 'ok' })`);
  await page.getByText('Session de Dr Marie Curie — clé FIDO2').waitFor();
  await page.evaluate(`window.__answer({ ok: true, value: { session: 'none', health: 'ok' } })`);
  await page.waitForTimeout(100);
  assert.equal(await page.getByText('Session de Dr Marie Curie — clé FIDO2').count(), 1);
  assert.equal(await page.getByText('Aucune session ouverte').count(), 0);
  await context.close();
});

test('English when the browser prefers it', { skip }, async () => {
  const { page, context } = await open('en-US', activeBridge);
  await page.getByText('Session of Dr Marie Curie — CPS card').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await context.close();
});

test('an answer that breaks the contract shows an error, not its content', { skip }, async () => {
  const bad = `Object.defineProperty(window, 'tessera', { value: {
    getStatus: async () => ({ ok: true, value: { session: 'active', holder: 'Mallory', means: 'uid', health: 'ok' } }),
    onStatus: () => () => {} } });`;
  const { page, context } = await open('fr-FR', bad);
  await page.getByRole('alert').getByText('Impossible de lire l’état de l’agent.').waitFor();
  assert.equal(await page.getByText('Mallory').count(), 0);
  await context.close();
});

test('the CSP blocks inline scripts and foreign resources', { skip }, async () => {
  const { page, context, violations } = await open('fr-FR');
  await page.getByText('Agent non connecté').waitFor();
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): the CSP refuses it before any request is made.
  const ran = await page.evaluate<boolean>(`(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.append(s);
    const img = document.createElement('img');
    img.src = 'http://192.0.2.1/x.png';
    document.body.append(img);
    await new Promise((r) => setTimeout(r, 100));
    return window.__inlineRan === true;
  })()`);
  assert.equal(ran, false);
  const seen = await violations();
  assert.ok(seen.some((v) => v.startsWith('script-src')), seen.join('; '));
  assert.ok(seen.some((v) => v.startsWith('img-src')), seen.join('; '));
  await context.close();
});

test('keyboard focus on the refresh button is visible', { skip }, async () => {
  const { page, context } = await open('fr-FR', activeBridge);
  await page.getByText('Session de Dr Marie Curie — carte CPS').waitFor();
  await page.keyboard.press('Tab');
  const button = page.getByRole('button', { name: 'Actualiser' });
  assert.equal(await button.evaluate((el) => el.ownerDocument.activeElement === el), true);
  const outline = await button.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).outlineStyle);
  assert.equal(outline, 'solid');
  await context.close();
});
