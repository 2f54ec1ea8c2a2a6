/**
 * End to end in Debian Chromium (playwright-core), through the web shell and the real core:
 * the simulator panel inserts the CPS card → the PIN pad shows the holder → the PIN typed on
 * the keyboard → the status shows the person and the time left → lock → badge tap → unlocked →
 * locked again, card pulled, "I forgot my card" → the key's PIN → unlocked with the key → key
 * unplugged: told so, still locked; plugged again: unlocked →
 * network cut → degraded mode shown (identity provider unreachable) → restored → signed out, a
 * badge tap asks the badge PIN → a badge + PIN session → a new badge enrolled from the wizard →
 * a new security key enrolled from the wizard (plugged in, its PIN, touched), the touch cancelled
 * (cancelled, no error), already enrolled, a wrong PIN → the forgotten-card fallback's touch
 * cancelled (still locked), then touched (unlocked) → the web shell
 * stopped (agent unreachable shown) and started again (the page reconnects and catches up).
 * Refused: no token, a wrong Host, a page of another origin opening the socket.
 *
 * Screenshots go to a temporary folder (TESSERA_E2E_SHOTS keeps them where you say).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { listAuditFiles } from '../../../src/main/integrations/audit/index.js';
import { startWebShell, type WebShell } from '../../../src/main/shells/web/web-shell.js';
import { DEMO_BADGE_PIN, DEMO_CARD_PIN, DEMO_KEY_PIN, openDemoWorld, type DemoWorld } from './demo-world.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const renderer = resolve(import.meta.dirname, '../../../renderer');
const skip = !existsSync(CHROMIUM) ? 'no /usr/bin/chromium' : !existsSync(join(renderer, 'simulator', 'index.html')) ? 'renderer not built (npm run build)' : false;

describe('UI end to end in Chromium through the web shell', { skip }, () => {
  let world: DemoWorld;
  let browser: Browser;
  let context: BrowserContext;
  let app: Page;
  let panel: Page;
  let shots: string;
  let keepShots = false;
  let foreign: Server;
  let restarted: WebShell | undefined;
  const consoleErrors: string[] = [];
  let shellDown = false;
  let n = 0;

  const shot = async (name: string): Promise<void> => {
    n += 1;
    await app.screenshot({ path: join(shots, `${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const act = async (label: RegExp): Promise<void> => {
    const button = panel.getByRole('button', { name: label });
    await button.waitFor({ state: 'visible' });
    await panel.waitForFunction((el) => !(el as unknown as { disabled: boolean }).disabled, await button.elementHandle(), { timeout: 15_000 });
    await button.click();
    await panel.locator('#panel-status').filter({ hasText: /Fait\.|Done\./ }).waitFor({ timeout: 20_000 });
  };
  /** Types a PIN on the PIN pad with the keyboard, as a person would, and validates with Enter. */
  const typePin = async (pin: string): Promise<void> => {
    await app.locator('#pin-input').focus();
    await app.keyboard.type(pin);
    await app.keyboard.press('Enter');
  };
  const sessionState = (state: string) => app.locator(`.session.session-${state}`).waitFor({ timeout: 20_000 });
  const auditLines = async (): Promise<{ decision: string; event: string; means: string | null; details?: { fallback?: boolean } }[]> =>
    (await listAuditFiles(world.auditDir)).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { decision: string; event: string; means: string | null }));

  before(async () => {
    const keep = process.env['TESSERA_E2E_SHOTS'];
    keepShots = keep !== undefined && keep !== '';
    shots = keepShots ? keep! : mkdtempSync(join(tmpdir(), 'tessera-e2e-shots-'));
    mkdirSync(shots, { recursive: true });
    world = await openDemoWorld({ rendererRoot: renderer });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 900, height: 900 } });
    app = await context.newPage();
    app.on('console', (m) => {
      // While the test has stopped the web shell on purpose, the page's reconnection attempts
      // (backoff from 250 ms) are refused and Chromium logs each one: expected, not a fault.
      if (m.type() === 'error' && !(shellDown && /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/bridge' failed: .*ERR_CONNECTION_REFUSED$/.test(m.text()))) consoleErrors.push(m.text());
    });
    app.on('response', (r) => {
      if (r.status() >= 400 && r.url().startsWith(world.shell.origin)) consoleErrors.push(`${r.status()} ${r.url()}`);
    });
    panel = await context.newPage();
    foreign = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>autre page</title>'));
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
  });

  after(async () => {
    await browser?.close();
    await restarted?.close();
    await world?.close();
    await new Promise<void>((r) => (foreign ? foreign.close(() => r()) : r()));
    if (!keepShots && shots) rmSync(shots, { recursive: true, force: true });
  });

  it('refused: no token, a wrong Host, a page of another origin opening the bridge socket', async () => {
    const stranger = await browser.newContext();
    try {
      const page = await stranger.newPage();
      const noToken = await page.goto(`${world.shell.origin}/`);
      assert.equal(noToken?.status(), 403);
      const wrongHost = await page.goto(world.shell.url.replace('127.0.0.1', 'localhost'));
      assert.equal(wrongHost?.status(), 421);
    } finally {
      await stranger.close();
    }
    // Same browser, cookie present (cookies ignore ports): only the Origin check stops it.
    await app.goto(world.shell.url);
    const page = await context.newPage();
    try {
      const address = foreign.address();
      assert.ok(address && typeof address === 'object');
      await page.goto(`http://127.0.0.1:${address.port}/`);
      const outcome = await page.evaluate(
        (url) =>
          new Promise<string>((done) => {
            const ws = new WebSocket(url);
            ws.onopen = () => done('open');
            ws.onerror = () => done('refused');
            setTimeout(() => done('timeout'), 5000);
          }),
        `ws://127.0.0.1:${world.shell.port}/bridge`,
      );
      assert.equal(outcome, 'refused');
    } finally {
      await page.close();
    }
  });

  it('the app opens with no session and no bridge of Electron; the panel shows the simulated devices', async () => {
    await sessionState('none');
    assert.equal(await app.evaluate(() => typeof (globalThis as { tessera?: unknown }).tessera), 'undefined');
    assert.equal(new URL(app.url()).search, '', 'the token left the address bar');
    await panel.goto(world.shell.simulatorUrl ?? '');
    await panel.getByRole('button', { name: /Insérer la carte/ }).waitFor();
    await panel.screenshot({ path: join(shots, '00-simulator.png'), fullPage: true });
    await shot('no-session');
  });

  it('card in → PIN pad with the holder and tries left', async () => {
    await act(/Insérer la carte/);
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    assert.match(await app.locator('.pin-holder').innerText(), /JEAN MARTIN/);
    assert.match(await app.locator('.pin-tries').innerText(), /3/);
    await shot('pin-pad');
  });

  it('the PIN typed on the keyboard → active session with the person and the time left', async () => {
    await app.locator('#pin-input').focus();
    await app.keyboard.type(DEMO_CARD_PIN);
    await shot('pin-typed');
    await app.keyboard.press('Enter');
    await sessionState('active');
    const facts = await app.locator('.facts').innerText();
    assert.match(facts, /JEAN MARTIN/);
    assert.match(facts, /10001234567/);
    const time = app.locator('.time-left time');
    const end = Date.parse((await time.getAttribute('datetime')) ?? '');
    assert.ok(end - Date.now() > 55 * 60_000, 'about an hour left');
    assert.ok((await time.innerText()).trim().length > 0);
    await shot('active');
  });

  it('lock → locked; badge tap → unlocked inside the window', async () => {
    await app.getByRole('button', { name: 'Verrouiller' }).click();
    await sessionState('locked');
    await shot('locked');
    await act(/Présenter le badge/);
    await sessionState('active');
    assert.ok((await auditLines()).some((l) => l.decision === 'unlock' && l.means === 'desfire'), 'the badge unlock is on the audit trail');
    await shot('badge-unlocked');
  });

  it('forgotten card: locked, card pulled, security key with its PIN → unlocked as the fallback', async () => {
    await app.getByRole('button', { name: 'Verrouiller' }).click();
    await sessionState('locked');
    await act(/Retirer la carte/);
    await app.getByRole('button', { name: /utiliser une clé de sécurité/ }).click();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    assert.match(await app.locator('.pin-holder').innerText(), /JEAN MARTIN/);
    await shot('key-pin-pad');
    await typePin(DEMO_KEY_PIN);
    await sessionState('active');
    assert.ok((await auditLines()).some((l) => l.event === 'fallback_used' && l.means === 'fido2'), 'the fallback is on the audit trail');
    await shot('key-unlocked');
  });

  it('key unplugged: the fallback fails before any PIN and the person is told no key is plugged in; the session stays locked', async () => {
    await app.getByRole('button', { name: 'Verrouiller' }).click();
    await sessionState('locked');
    await act(/Débrancher la clé/);
    await app.getByRole('button', { name: /utiliser une clé de sécurité/ }).click();
    // The agent looks for the key before it asks for the key's PIN: no PIN pad, the notice.
    await app.getByText('Aucune clé de sécurité n’est branchée.').waitFor({ timeout: 20_000 });
    assert.equal(await app.locator('.pin-pad').count(), 0);
    await shot('key-unplugged');
    await app.getByRole('button', { name: 'J’ai compris' }).click();
    await sessionState('locked');
    await act(/Brancher la clé/);
    await app.getByRole('button', { name: /utiliser une clé de sécurité/ }).click();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await typePin(DEMO_KEY_PIN);
    await sessionState('active');
  });

  it('network cut → degraded mode shown (identity provider unreachable); restored → gone', async () => {
    await act(/Couper le réseau/);
    const warning = app.locator('.panel-warning');
    await warning.waitFor({ timeout: 20_000 });
    assert.match(await warning.innerText(), /dégradé/i);
    await shot('degraded');
    await act(/Rétablir le réseau/);
    await warning.waitFor({ state: 'detached', timeout: 20_000 });
    await shot('restored');
  });

  it('signed out, a badge tapped asks its PIN (badge + PIN) → a new session on the badge', async () => {
    await app.getByRole('button', { name: 'Fermer la session' }).click();
    await sessionState('none');
    // The badge stays on the reader until its PIN is checked: the panel's action ends after.
    const tap = panel.getByRole('button', { name: /Présenter le badge/ });
    await tap.click();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    assert.match(await app.locator('.pin-holder').innerText(), /JEAN MARTIN/);
    await shot('badge-pin-pad');
    await typePin(DEMO_BADGE_PIN);
    await sessionState('active');
    await panel.locator('#panel-status').filter({ hasText: /Fait\.|Done\./ }).waitFor({ timeout: 20_000 });
    assert.ok((await auditLines()).some((l) => l.decision === 'open' && l.means === 'desfire'), 'the badge + PIN opening is on the audit trail');
    await shot('badge-pin-session');
  });

  it('enrolment of a new badge inside the two-factor session: present it, choose its PIN, written and recorded', async () => {
    const steps: string[] = [];
    const off = world.ui.core.onEnrolProgress((p) => steps.push(p.step));
    await app.getByRole('button', { name: 'Enrôlement' }).first().click();
    await app.getByRole('button', { name: 'Enrôler un badge' }).click();
    await app.getByText('Présentez votre badge').waitFor({ timeout: 10_000 });
    await shot('enrol-present');
    await panel.getByRole('button', { name: /Présenter un badge neuf/ }).click();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await shot('enrol-pin');
    await typePin('1357');
    // The panel's action ends with the enrolment (the badge leaves the reader then).
    await panel.locator('#panel-status').filter({ hasText: /Fait\.|Done\./ }).waitFor({ timeout: 30_000 });
    const text = JSON.stringify(await auditLines());
    assert.match(text, /enrol/i, 'the enrolment is on the audit trail');
    assert.ok(!text.includes('1357'), 'the new PIN is in no record');
    assert.deepEqual(steps, ['present', 'writing', 'registering', 'done'], 'the progress goes through registering');
    off();
    await shot('enrol-after');
  });

  it('the wizard shows the enrolment outcome after the PIN prompt (its progress kept under the prompts)', async () => {
    await app.getByRole('status').getByText(/Le badge est enrôlé/).waitFor({ timeout: 10_000 });
    assert.equal(await app.locator('.step-done').count(), 4);
    assert.equal(await app.getByRole('button', { name: 'Enrôler un badge' }).count(), 0, 'not back to the choice');
    await shot('enrol-outcome');
  });

  it('back to the status', async () => {
    await app.getByRole('button', { name: 'État' }).click();
    await sessionState('active');
  });

  /** Opens the wizard on "enrol a security key" and records the progress the core pushes. */
  const startKeyEnrolment = async (): Promise<string[]> => {
    const steps: string[] = [];
    const off = world.ui.core.onEnrolProgress((p) => {
      steps.push(p.step === 'failed' ? `failed:${p.failure}` : p.step);
      if (p.step === 'done' || p.step === 'failed') off();
    });
    const again = app.getByRole('button', { name: 'Recommencer' });
    if ((await again.count()) > 0) await again.click();
    else await app.getByRole('button', { name: 'Enrôlement' }).first().click();
    await app.getByRole('button', { name: 'Enrôler une clé de sécurité' }).click();
    return steps;
  };

  it('enrolment of a new security key: plug it in, its PIN on the pad, touch it, registered and audited', async () => {
    await act(/Débrancher la clé/);
    const steps = await startKeyEnrolment();
    await app.locator('[aria-current="step"]', { hasText: 'Branchez la clé ou posez-la sur le lecteur' }).waitFor({ timeout: 10_000 });
    await shot('key-enrol-present');
    await act(/Brancher une clé neuve/);
    await app.getByRole('heading', { name: 'Code PIN de la clé de sécurité' }).waitFor({ timeout: 20_000 });
    assert.match(await app.locator('.pin-pad').innerText(), /Saisissez le code PIN de la nouvelle clé de sécurité/);
    await shot('key-enrol-pin');
    await typePin(DEMO_KEY_PIN);
    // The key's keepalive asks for a touch: the prompt shows until the key is touched.
    await app.getByRole('heading', { name: 'Touchez votre clé de sécurité' }).waitFor({ timeout: 20_000 });
    await shot('key-enrol-touch');
    await app.getByRole('status').getByText(/La clé est enrôlée/).waitFor({ timeout: 20_000 });
    assert.equal(await app.locator('.step-done').count(), 4);
    assert.deepEqual(steps, ['present', 'writing', 'registering', 'done']);
    const lines = (await auditLines()) as { event: string; reason?: string; means: string | null }[];
    assert.ok(lines.some((l) => l.event === 'means_enrolled' && l.reason === 'fido2.enrolled' && l.means === 'fido2'), 'the key enrolment is on the audit trail');
    await shot('key-enrol-done');
    await app.getByRole('button', { name: 'Terminer' }).click();
    await sessionState('active');
  });

  it('the same key again: "touch your key" cancelled → the enrolment says cancelled, no error notice', async () => {
    const steps = await startKeyEnrolment();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await typePin(DEMO_KEY_PIN);
    await app.getByRole('heading', { name: 'Touchez votre clé de sécurité' }).waitFor({ timeout: 20_000 });
    await app.getByRole('button', { name: 'Annuler' }).click();
    await app.getByRole('alert').getByText('L’enrôlement a échoué. Enrôlement annulé.').waitFor({ timeout: 10_000 });
    assert.deepEqual(steps, ['present', 'writing', 'failed:cancelled']);
    assert.equal(await app.locator('.prompt-notice').count(), 0);
  });

  it('the same key once more: already enrolled; a wrong PIN: said so', async () => {
    let steps = await startKeyEnrolment();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await typePin(DEMO_KEY_PIN);
    await app.getByRole('alert').getByText('Ce moyen est déjà enrôlé.', { exact: false }).waitFor({ timeout: 20_000 });
    assert.equal(steps.at(-1), 'failed:already_enrolled');
    steps = await startKeyEnrolment();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await typePin('1111');
    await app.getByRole('alert').getByText('Code PIN de la clé incorrect.', { exact: false }).waitFor({ timeout: 20_000 });
    assert.equal(steps.at(-1), 'failed:wrong_pin');
    await shot('key-enrol-wrong-pin');
    await app.getByRole('button', { name: 'État' }).click();
  });

  it('forgotten card with the new key: "touch your key" cancelled → still locked, no error notice, recorded as cancelled', async () => {
    await app.getByRole('button', { name: 'Verrouiller' }).click();
    await sessionState('locked');
    await app.getByRole('button', { name: /utiliser une clé de sécurité/ }).click();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await typePin(DEMO_KEY_PIN);
    await app.getByRole('heading', { name: 'Touchez votre clé de sécurité' }).waitFor({ timeout: 20_000 });
    await app.getByRole('button', { name: 'Annuler' }).click();
    await sessionState('locked');
    await world.ui.runtime.agent.idle();
    assert.equal(await app.locator('.prompt-notice').count(), 0);
    const last = (await auditLines()).filter((l) => l.event === 'authentication_failed').at(-1) as { means: string | null; details?: { errorCode?: string } } | undefined;
    assert.deepEqual([last?.means, last?.details?.errorCode], ['fido2', 'cancelled']);
    // Then touched: unlocked with the newly enrolled key.
    await app.getByRole('button', { name: /utiliser une clé de sécurité/ }).click();
    await app.locator('.pin-pad').waitFor({ timeout: 20_000 });
    await typePin(DEMO_KEY_PIN);
    await sessionState('active');
  });

  it('the web shell goes away: the page says the agent does not answer; it comes back: the page reconnects and reads the status again', async () => {
    const token = new URL(world.shell.url).searchParams.get('token') ?? '';
    shellDown = true;
    await world.shell.close();
    await app.locator('.panel-error').waitFor({ timeout: 10_000 });
    await shot('agent-unreachable');
    // Meanwhile the session moves on (locked), which the page can only learn by reading again.
    await world.ui.runtime.engine.lock();
    restarted = await startWebShell({ root: renderer, host: world.ui.core, port: world.shell.port, token });
    // "Retry the connection" reconnects at once instead of at the next backoff step.
    await app.getByRole('button', { name: 'Réessayer la connexion' }).click();
    await app.locator('.panel-error').waitFor({ state: 'detached', timeout: 15_000 });
    shellDown = false;
    await sessionState('locked');
    await shot('reconnected');
  });

  it('no Content-Security-Policy violation and no console error on the way', () => {
    assert.deepEqual(consoleErrors, [], consoleErrors.join('\n'));
  });
});
