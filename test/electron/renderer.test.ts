/**
 * The built screens in Debian Chromium, under the app's CSP. The preload is stood in for by an
 * init script that defines `window.tessera` before the page runs, as the preload does; the
 * stand-in records every call and lets the test push status, prompts and enrolment progress.
 * Screenshots go to $TESSERA_SCREENSHOTS or a temporary folder.
 * Skipped (with the reason) when Chromium or the renderer build is missing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Prompt } from '../../src/shared/prompt.js';
import type { StatusView } from '../../src/shared/status-view.js';
import { repoRoot } from './repo-root.js';
import { serveRenderer, type RendererServer } from './renderer-server.js';
import { active, degraded, locked, marie, pinPrompt, signedOut, tapped } from './fixtures.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const rendererDir = path.join(repoRoot, 'build', 'renderer');
const skip = !existsSync(chromiumPath)
  ? `no Chromium at ${chromiumPath}`
  : !existsSync(path.join(rendererDir, 'index.html'))
    ? 'renderer not built (vite build src/renderer)'
    : false;
const shots = process.env.TESSERA_SCREENSHOTS ?? mkdtempSync(path.join(tmpdir(), 'tessera-screens-'));

let browser: Browser;
let server: RendererServer;

before(async () => {
  if (skip) return;
  server = await serveRenderer(rendererDir);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Moves the fixture's window end to `minutes` from now (the screens count down from the real clock). */
function fresh(view: StatusView, minutes = 240): StatusView {
  const s = view.session;
  if (s.state !== 'active' && s.state !== 'locked' && s.state !== 'expired') return view;
  return { ...view, session: { ...s, windowEnd: new Date(Date.now() + minutes * 60_000).toISOString() } };
}

interface Opened {
  page: Page;
  context: BrowserContext;
  violations: () => Promise<string[]>;
  errors: string[];
  /** What the page wrote on the console (type and text), CSP warnings included. */
  logged: string[];
  /** Calls the page made on window.tessera, without the read-only ones. */
  calls: () => Promise<{ method: string; args: unknown[] }[]>;
  push: (event: 'status' | 'prompt' | 'enrol', payload: unknown) => Promise<void>;
  /** The next answer of `method` (then back to success). */
  answerNext: (method: string, answer: unknown) => Promise<void>;
  shot: (name: string) => Promise<void>;
}

/** The stand-in bridge: the page's `window.tessera`, with state the test drives. */
function bridge(status: unknown, prompt: Prompt = { kind: 'none' }, settingsAllowed = true, settingsNotice?: string): string {
  return `(() => {
    const state = {
      status: ${JSON.stringify(status)},
      prompt: ${JSON.stringify(prompt)},
      settings: { values: { language: 'system', notifications: true }, allowed: { language: ${settingsAllowed}, notifications: ${settingsAllowed} }${settingsNotice ? `, notice: '${settingsNotice}'` : ''} },
      calls: [], next: {}, listeners: { status: new Set(), prompt: new Set(), enrol: new Set() },
    };
    const answer = (method, value) => {
      const next = state.next[method];
      delete state.next[method];
      return Promise.resolve(next ?? { ok: true, value });
    };
    const call = (method, value) => (...args) => { state.calls.push({ method, args }); return answer(method, value); };
    const on = (name) => (listener) => { state.listeners[name].add(listener); return () => state.listeners[name].delete(listener); };
    const api = {
      getStatus: () => answer('getStatus', state.status),
      onStatus: on('status'),
      getPrompt: () => Promise.resolve({ ok: true, value: state.prompt }),
      onPrompt: on('prompt'),
      submitPin: call('submitPin', null),
      cancelPin: call('cancelPin', null),
      cancelTouch: call('cancelTouch', null),
      lock: call('lock', null),
      signOut: call('signOut', null),
      useSecurityKey: call('useSecurityKey', null),
      retryConnection: call('retryConnection', null),
      enrol: call('enrol', { enrolmentId: 'enr-1' }),
      cancelEnrol: call('cancelEnrol', null),
      onEnrolProgress: on('enrol'),
      getSettings: () => Promise.resolve({ ok: true, value: state.settings }),
      setSettings: (changes) => {
        state.calls.push({ method: 'setSettings', args: [changes] });
        state.settings = { values: { ...state.settings.values, ...changes }, allowed: state.settings.allowed };
        return Promise.resolve({ ok: true, value: state.settings });
      },
    };
    Object.defineProperty(window, 'tessera', { value: Object.freeze(api) });
    window.__bridge = state;
    window.__push = (name, payload) => {
      if (name === 'status') state.status = payload;
      if (name === 'prompt') state.prompt = payload;
      for (const listener of state.listeners[name]) listener(payload);
    };
  })();`;
}

/** Opens the page; `script` is the source of an init script that plays the preload's part. */
async function open(locale: string, script?: string, hash = ''): Promise<Opened> {
  const context = await browser.newContext({ locale, viewport: { width: 560, height: 720 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const logged: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
  // Browser-side code is written as strings: the test program is compiled without DOM types.
  await page.addInitScript({
    content: `window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation',
        (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
  });
  if (script) await page.addInitScript({ content: script });
  await page.goto(server.url + hash);
  return {
    page,
    context,
    errors,
    logged,
    violations: () => page.evaluate<string[]>('window.__cspViolations'),
    calls: () => page.evaluate<{ method: string; args: unknown[] }[]>('window.__bridge.calls'),
    push: (event, payload) => page.evaluate(`window.__push(${JSON.stringify(event)}, ${JSON.stringify(payload)})`),
    answerNext: (method, answer) => page.evaluate(`window.__bridge.next[${JSON.stringify(method)}] = ${JSON.stringify(answer)}`),
    shot: async (name) => {
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    },
  };
}

async function isFocused(page: Page, selector: ReturnType<Page['locator']>): Promise<boolean> {
  void page;
  return selector.evaluate((el) => el.ownerDocument.activeElement === el);
}

test('with neither the preload nor the web shell behind the page, the window says it cannot read the agent, in French', { skip }, async () => {
  const { page, context, violations, errors } = await open('fr-FR');
  await page.getByRole('alert').getByText('Impossible de lire l’état de l’agent.').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Tessera');
  assert.equal(await page.getByRole('main').count(), 1);
  assert.equal(await page.getByRole('banner').count(), 1);
  assert.deepEqual(await violations(), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('status: who, means and factors, time left, SSO, readers; Lock calls the agent', { skip }, async () => {
  const o = await open('fr-FR', bridge(fresh(active)));
  const { page } = o;
  await page.getByText('Session de Dr Marie Curie', { exact: true }).waitFor();
  await page.getByText(`Dr Marie Curie · Identifiant ${marie.id}`).waitFor();
  await page.getByText('carte CPS (possession, code PIN)').waitFor();
  await page.getByText(/^(4 h 00|3 h 59) restantes avant nouvelle authentification$/).waitFor();
  await page.getByText('Connecté à Hôpital Nord').waitFor();
  await page.getByText('Gemalto PC Twin Reader 00 00 : carte présente').waitFor();
  assert.equal(await page.getByRole('button', { name: 'J’ai oublié ma carte — utiliser une clé de sécurité' }).count(), 0);
  await o.shot('status-fr');
  await page.getByRole('button', { name: 'Verrouiller' }).click();
  assert.deepEqual(await o.calls(), [{ method: 'lock', args: [] }]);
  // The agent pushes the locked session: no Lock button any more, the fallback is offered.
  await o.push('status', fresh(locked, 90));
  await page.getByText('Session de Dr Marie Curie verrouillée').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Verrouiller' }).count(), 0);
  await page.getByRole('button', { name: 'J’ai oublié ma carte — utiliser une clé de sécurité' }).click();
  await page.getByRole('button', { name: 'Fermer la session' }).click();
  assert.deepEqual((await o.calls()).map((c) => c.method), ['lock', 'useSecurityKey', 'signOut']);
  assert.deepEqual(await o.violations(), []);
  assert.deepEqual(o.errors, []);
  await o.context.close();
});

test('the countdown shows seconds in the last minute and "over" after the end', { skip }, async () => {
  const o = await open('en-GB', bridge(fresh(active, 0.5)));
  await o.page.getByText(/^\d{1,2} s left before authenticating again$/).waitFor();
  await o.push('status', fresh(active, -1));
  await o.page.getByText('Re-identification window over').waitFor();
  await o.context.close();
});

test('degraded mode: why and since when, and "retry the connection"', { skip }, async () => {
  const o = await open('fr-FR', bridge(fresh(degraded)));
  const { page } = o;
  const panel = page.locator('.panel-warning');
  await panel.getByRole('heading', { name: 'Mode dégradé' }).waitFor();
  await panel.getByText(/^Le fournisseur d’identité est injoignable\. \(depuis \d\d:\d\d\)$/).waitFor();
  await page.getByText('Connexion à Hôpital Nord en erreur').waitFor();
  await o.shot('status-degraded-fr');
  await page.getByRole('button', { name: 'Réessayer la connexion' }).click();
  await page.getByText('C’est fait.').waitFor();
  assert.deepEqual(await o.calls(), [{ method: 'retryConnection', args: [] }]);
  // An agent that stops answering is said, with the retry.
  await o.answerNext('retryConnection', { ok: false, error: { code: 'unavailable', message: 'down' } });
  await o.push('status', { ...signedOut, agent: 'error' });
  await page.getByRole('alert').getByText(/^L’agent Tessera ne répond pas/).first().waitFor();
  await page.getByRole('button', { name: 'Réessayer la connexion' }).click();
  await page.locator('.feedback-error').getByText('L’agent Tessera ne répond pas. Réessayez la connexion.').waitFor();
  await o.context.close();
});

test('PIN pad, keyboard only: focus on the field, digits, Enter; the field is emptied before the answer', { skip }, async () => {
  const o = await open('fr-FR', bridge(signedOut, pinPrompt));
  const { page } = o;
  await page.getByRole('heading', { name: 'Code PIN de la carte CPS' }).waitFor();
  await page.getByText('Carte de Dr Marie Curie').waitFor();
  await page.getByText('3 essais restants').waitFor();
  const field = page.getByRole('textbox', { name: /^Code PIN/ });
  assert.equal(await isFocused(page, field), true);
  assert.equal(await field.getAttribute('type'), 'password');
  await page.keyboard.type('12a34');
  assert.equal(await field.inputValue(), '1234');
  await page.getByText('4 chiffres saisis').waitFor();
  await o.shot('pin-pad-fr');
  await page.keyboard.press('Enter');
  await page.waitForFunction('window.__bridge.calls.length === 1');
  assert.deepEqual(await o.calls(), [{ method: 'submitPin', args: ['pin-1', '1234'] }]);
  assert.equal(await field.inputValue(), '');
  // Tab walks from the field to the on-screen keys; Space on a key types its digit.
  await field.focus();
  await page.keyboard.press('Tab');
  assert.equal(await isFocused(page, page.getByRole('button', { name: 'Chiffre 1' })), true);
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await field.inputValue(), '12');
  // Escape cancels the request.
  await page.keyboard.press('Escape');
  await page.waitForFunction('window.__bridge.calls.length === 2');
  assert.deepEqual((await o.calls())[1], { method: 'cancelPin', args: ['pin-1'] });
  assert.deepEqual(await o.violations(), []);
  await o.context.close();
});

test('PIN pad, on-screen keys: erase, too short, the maximum length, a stale request', { skip }, async () => {
  const o = await open('fr-FR', bridge(signedOut, pinPrompt));
  const { page } = o;
  const field = page.getByRole('textbox', { name: /^Code PIN/ });
  for (const d of ['9', '8', '7']) await page.getByRole('button', { name: `Chiffre ${d}` }).click();
  await page.getByRole('button', { name: 'Effacer le dernier chiffre' }).click();
  assert.equal(await field.inputValue(), '98');
  await page.getByRole('button', { name: 'Valider' }).click();
  await page.getByRole('alert').getByText('4 à 8 chiffres').waitFor();
  assert.deepEqual(await o.calls(), []);
  for (let i = 0; i < 10; i++) await field.press('5');
  assert.equal(await field.inputValue(), '98555555');
  assert.equal(await page.getByRole('button', { name: 'Chiffre 5' }).isDisabled(), true);
  await o.answerNext('submitPin', { ok: false, error: { code: 'stale-request', message: 'answered' } });
  await page.getByRole('button', { name: 'Valider' }).click();
  await page.getByText('Cette demande n’est plus en cours.').waitFor();
  assert.deepEqual(await o.calls(), [{ method: 'submitPin', args: ['pin-1', '98555555'] }]);
  await o.context.close();
});

test('wrong PIN and last try are said clearly; a blocked PIN is a notice', { skip }, async () => {
  const o = await open('fr-FR', bridge(signedOut, { ...pinPrompt, requestId: 'pin-2', reason: 'wrong_pin', triesLeft: 2 }));
  const { page } = o;
  await page.getByRole('alert').getByText('Code PIN incorrect, 2 essais restants.').waitFor();
  await o.push('prompt', { ...pinPrompt, requestId: 'pin-3', reason: 'wrong_pin', triesLeft: 1 });
  await page.getByText('Code PIN incorrect, 1 essai restant.').waitFor();
  await page.getByText('Dernier essai : un code faux bloquera la carte.').waitFor();
  await o.shot('pin-pad-last-try-fr');
  await o.push('prompt', { kind: 'notice', code: 'pin_blocked', holder: 'Dr Marie Curie' });
  await page.getByRole('alert').getByText(/^Code PIN bloqué/).waitFor();
  const ok = page.getByRole('button', { name: 'J’ai compris' });
  assert.equal(await isFocused(page, ok), true);
  await page.keyboard.press('Enter');
  await page.getByText('Aucune session ouverte').waitFor();
  await o.context.close();
});

test('"touch your key" and "present your badge" prompts, then back to the status', { skip }, async () => {
  const o = await open('fr-FR', bridge(signedOut, { kind: 'touch_key' }));
  const { page } = o;
  await page.getByRole('heading', { name: 'Touchez votre clé de sécurité' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Annuler' }).count(), 0, 'no request id: nothing to cancel');
  // With its request id, the touch prompt can be cancelled (the key operation is aborted by the core).
  await o.push('prompt', { kind: 'touch_key', requestId: 'touch-1' });
  await page.getByRole('button', { name: 'Annuler' }).click();
  assert.deepEqual(await o.calls(), [{ method: 'cancelTouch', args: ['touch-1'] }]);
  await o.shot('touch-key-fr');
  await o.push('prompt', { kind: 'present_badge' });
  await page.getByRole('heading', { name: 'Présentez votre badge' }).waitFor();
  await o.push('prompt', { kind: 'none' });
  await o.push('status', fresh(tapped));
  await page.getByText('badge sans contact (possession)').waitFor();
  await o.context.close();
});

test('enrolment wizard: badge, progress pushed step by step, outcome; failure and again', { skip }, async () => {
  const o = await open('fr-FR', bridge(fresh(active)));
  const { page } = o;
  await page.getByRole('navigation').getByRole('button', { name: 'Enrôlement' }).click();
  await page.getByRole('heading', { name: 'Enrôler un badge ou une clé' }).waitFor();
  await page.getByRole('button', { name: 'Enrôler un badge' }).click();
  await page.getByRole('heading', { name: 'Badge sans contact' }).waitFor();
  assert.deepEqual(await o.calls(), [{ method: 'enrol', args: [{ kind: 'badge' }] }]);
  const current = page.locator('[aria-current="step"]');
  assert.equal(await current.textContent(), 'Présentez le badge sur le lecteur');
  await o.push('enrol', { enrolmentId: 'enr-1', kind: 'badge', step: 'writing' });
  await page.locator('[aria-current="step"]', { hasText: 'Écriture des clés dans le badge' }).waitFor();
  // Progress of another enrolment is not this one's.
  await o.push('enrol', { enrolmentId: 'enr-0', kind: 'badge', step: 'done' });
  await o.push('enrol', { enrolmentId: 'enr-1', kind: 'badge', step: 'registering' });
  await page.locator('[aria-current="step"]', { hasText: 'Enregistrement du badge' }).waitFor();
  await o.shot('enrol-progress-fr');
  await o.push('enrol', { enrolmentId: 'enr-1', kind: 'badge', step: 'done' });
  await page.getByRole('status').getByText('Le badge est enrôlé : il déverrouille désormais votre session.').waitFor();
  assert.equal(await page.locator('.step-done').count(), 4);
  await o.shot('enrol-done-fr');
  await page.getByRole('button', { name: 'Terminer' }).click();
  await page.getByRole('heading', { name: 'État de la session' }).waitFor();

  await page.getByRole('navigation').getByRole('button', { name: 'Enrôlement' }).click();
  await page.getByRole('button', { name: 'Enrôler une clé de sécurité' }).click();
  await page.locator('[aria-current="step"]', { hasText: 'Branchez la clé ou posez-la sur le lecteur' }).waitFor();
  await o.push('enrol', { enrolmentId: 'enr-1', kind: 'fido2', step: 'failed', failure: 'timeout' });
  await page.getByRole('alert').getByText('L’enrôlement a échoué. Rien n’a été présenté ou touché à temps.').waitFor();
  // Each outcome of a key enrolment has its own sentence.
  for (const [failure, text] of [
    ['wrong_pin', 'Code PIN de la clé incorrect.'],
    ['pin_blocked', 'Le code PIN de la clé est bloqué.'],
    ['no_uv', 'elle n’a ni code PIN ni empreinte enregistrée.'],
    ['already_enrolled', 'Ce moyen est déjà enrôlé.'],
    ['needs_two_factor', 'Il faut une session ouverte avec deux facteurs.'],
    ['cancelled', 'Enrôlement annulé.'],
  ] as const) {
    await page.getByRole('button', { name: 'Recommencer' }).click();
    await page.getByRole('button', { name: 'Enrôler une clé de sécurité' }).click();
    await o.push('enrol', { enrolmentId: 'enr-1', kind: 'fido2', step: 'failed', failure });
    await page.getByRole('alert').getByText(text, { exact: false }).waitFor();
  }
  await page.getByRole('button', { name: 'Recommencer' }).click();
  await o.answerNext('enrol', { ok: false, error: { code: 'needs-two-factor', message: 'x' } });
  await page.getByRole('button', { name: 'Enrôler un badge' }).click();
  await page.getByText('Il faut d’abord s’authentifier avec deux facteurs (carte et code PIN).').waitFor();
  await o.context.close();
});

test('no enrolment from a one-factor (badge tap) session; the tray can open the wizard on a kind', { skip }, async () => {
  const tap = await open('fr-FR', bridge(fresh(tapped)), '#enrol');
  await tap.page.getByText('badge sans contact (possession)').waitFor();
  assert.equal(await tap.page.getByRole('button', { name: 'Enrôlement' }).count(), 0);
  await tap.context.close();
  const o = await open('en-GB', bridge(fresh(active)), '#enrol-fido2');
  await o.page.getByRole('heading', { name: 'Enrol a badge or a key' }).waitFor();
  const first = o.page.locator('.enrol .button').first();
  assert.equal(await first.textContent(), 'Enrol a security key');
  await o.context.close();
});

test('settings: the language changes the screens and the window title at once; a policy that forbids it disables everything', { skip }, async () => {
  const o = await open('fr-FR', bridge(fresh(active)));
  const { page } = o;
  await page.waitForFunction("document.title === 'Tessera — État de la session'");
  await page.getByRole('button', { name: 'Paramètres' }).click();
  await page.waitForFunction("document.title === 'Tessera — Paramètres'");
  await page.getByLabel('Langue').selectOption('en');
  await page.getByLabel('Notifications (fin de fenêtre proche, mode dégradé)').uncheck();
  await o.shot('settings-fr');
  await page.getByRole('button', { name: 'Enregistrer' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  // The window title (Electron's window follows the page's) changes language with the screens.
  await page.waitForFunction("document.title === 'Tessera — Settings'");
  assert.deepEqual(await o.calls(), [{ method: 'setSettings', args: [{ language: 'en', notifications: false }] }]);
  await o.context.close();

  const locked = await open('fr-FR', bridge(fresh({ ...active, allowed: { ...active.allowed, settings: true } }), { kind: 'none' }, false), '#settings');
  await locked.page.getByText('Fixé par l’établissement').first().waitFor();
  assert.equal(await locked.page.getByLabel('Langue').isDisabled(), true);
  await locked.context.close();

  // Saved settings that could not be read: said, until a save replaces them.
  const broken = await open('fr-FR', bridge(fresh({ ...active, allowed: { ...active.allowed, settings: true } }), { kind: 'none' }, true, 'settings_file_invalid'), '#settings');
  await broken.page.getByRole('alert').getByText('Vos paramètres enregistrés n’ont pas pu être lus', { exact: false }).waitFor();
  await broken.page.getByLabel('Langue').selectOption('en');
  await broken.page.getByRole('button', { name: 'Enregistrer' }).click();
  await broken.page.getByRole('heading', { name: 'Settings' }).waitFor();
  assert.equal(await broken.page.getByText('could not be read', { exact: false }).count(), 0);
  await broken.context.close();

  const none = await open('fr-FR', bridge(fresh({ ...active, allowed: { ...active.allowed, settings: false } })), '#settings');
  await none.page.getByRole('heading', { name: 'État de la session' }).waitFor();
  assert.equal(await none.page.getByRole('button', { name: 'Paramètres' }).count(), 0);
  await none.context.close();
});

test('English when the browser prefers it', { skip }, async () => {
  const o = await open('en-US', bridge(fresh(active), { ...pinPrompt, reason: 'wrong_pin', triesLeft: 2 }));
  await o.page.getByRole('heading', { name: 'CPS card PIN' }).waitFor();
  await o.page.getByText('Wrong PIN, 2 tries left.').waitFor();
  assert.equal(await o.page.locator('html').getAttribute('lang'), 'en');
  await o.shot('pin-pad-en');
  await o.push('prompt', { kind: 'none' });
  await o.page.getByText('CPS card (possession, PIN)').waitFor();
  await o.page.getByRole('button', { name: 'Lock' }).waitFor();
  await o.shot('status-en');
  await o.context.close();
});

test('every button is a touch target of at least 44 × 44 px, and keyboard focus is visible', { skip }, async () => {
  for (const [script, hash] of [
    [bridge(fresh(degraded)), ''],
    [bridge(signedOut, pinPrompt), ''],
    [bridge(fresh(active)), '#settings'],
    [bridge(fresh(active)), '#enrol'],
  ] as const) {
    const o = await open('fr-FR', script, hash);
    await o.page.locator('button').first().waitFor();
    // Controls under a prompt (kept mounted, hidden) are not on the screen: not touch targets.
    const small = await o.page.evaluate<string[]>(`[...document.querySelectorAll('button, select, input')]
      .filter((el) => el.type !== 'checkbox' && el.checkVisibility())
      .map((el) => [el, el.getBoundingClientRect()])
      .filter(([, r]) => r.width < 44 || r.height < 44)
      .map(([el, r]) => (el.textContent || el.id) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))`);
    assert.deepEqual(small, [], `${hash || 'status'}`);
    await o.page.keyboard.press('Tab');
    const outline = await o.page.evaluate<string>(`getComputedStyle(document.activeElement).outlineStyle`);
    assert.equal(outline, 'solid', hash);
    await o.context.close();
  }
});

test('answers and pushes that break the contract are never displayed', { skip }, async () => {
  const bad = bridge({ ...active, session: { state: 'active', person: { displayName: 'Mallory', id: '1' }, means: 'uid', factors: [], windowEnd: 'x' } });
  const o = await open('fr-FR', bad);
  await o.page.getByRole('alert').getByText('Impossible de lire l’état de l’agent.').waitFor();
  assert.equal(await o.page.getByText('Mallory').count(), 0);
  await o.push('status', { session: { state: 'none' } });
  await o.push('prompt', { kind: 'pin', requestId: 'x', holder: '<b>Eve</b>' });
  assert.equal(await o.page.getByText('Eve').count(), 0);
  assert.equal(await o.page.getByText('Impossible de lire l’état de l’agent.').count(), 1);
  await o.context.close();
});

test('the CSP blocks inline scripts and foreign resources', { skip }, async () => {
  const { page, context, violations } = await open('fr-FR', bridge(signedOut));
  await page.getByText('Aucune session ouverte').waitFor();
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

test('the meta CSP carries no frame-ancestors (Chromium ignores it there and warns; the header sets it)', { skip }, async () => {
  const o = await open('fr-FR', bridge(signedOut));
  await o.page.getByText('Aucune session ouverte').waitFor();
  const meta = (await o.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
  assert.ok(meta.includes("default-src 'none'"), meta);
  assert.ok(!meta.includes('frame-ancestors'), meta);
  assert.deepEqual(o.logged.filter((l) => /frame-ancestors|Content Security Policy/i.test(l)), []);
  await o.context.close();
});

test('the wizard keeps its progress while prompts cover it, and shows the outcome after the PIN', { skip }, async () => {
  const o = await open('fr-FR', bridge(fresh(active)), '#enrol-badge');
  const { page } = o;
  await page.getByRole('button', { name: 'Enrôler un badge' }).click();
  await page.getByRole('heading', { name: 'Badge sans contact' }).waitFor();
  // The host asks for the new badge, then its PIN: each prompt covers the wizard.
  await o.push('prompt', { kind: 'present_badge' });
  await page.getByRole('heading', { name: 'Présentez votre badge' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Badge sans contact' }).count(), 0, 'the wizard is hidden under the prompt');
  await o.push('enrol', { enrolmentId: 'enr-1', kind: 'badge', step: 'writing' });
  const pin: Prompt = { kind: 'pin', requestId: 'pin-2', holder: 'Dr Marie Curie', means: 'desfire', reason: 'enrolment', length: { min: 4, max: 8 } };
  await o.push('prompt', pin);
  await page.getByText('Choisissez le code PIN du nouveau badge.').waitFor();
  await page.getByText('Badge de Dr Marie Curie').waitFor();
  await page.keyboard.type('1357');
  await page.keyboard.press('Enter');
  await page.waitForFunction('window.__bridge.calls.length === 2');
  assert.deepEqual((await o.calls())[1], { method: 'submitPin', args: ['pin-2', '1357'] });
  // Progress that arrives under the prompt is kept; the prompt goes, the outcome is there.
  await o.push('enrol', { enrolmentId: 'enr-1', kind: 'badge', step: 'done' });
  await o.push('prompt', { kind: 'none' });
  const outcome = page.getByRole('status').getByText('Le badge est enrôlé : il déverrouille désormais votre session.');
  await outcome.waitFor();
  assert.equal(await page.locator('.step-done').count(), 4);
  assert.equal(await page.getByRole('button', { name: 'Enrôler un badge' }).count(), 0, 'not back to the choice');
  assert.equal(await isFocused(page, page.locator('.message-ok')), true, 'the outcome takes the focus once uncovered');
  await o.shot('enrol-after-pin-fr');
  assert.deepEqual(await o.violations(), []);
  assert.deepEqual(o.errors, []);
  await o.context.close();
});

test('the PIN pad words whose PIN from the means: card, badge, key; the enrolment PIN is the new badge’s', { skip }, async () => {
  const cases: [string, Prompt, string, string | null][] = [
    ['fr-FR', { ...pinPrompt, means: 'desfire', reason: 'second_factor' }, 'Badge de Dr Marie Curie', null],
    ['fr-FR', { ...pinPrompt, means: 'fido2', triesLeft: 1 }, 'Clé de Dr Marie Curie', 'Dernier essai : un code faux bloquera la clé.'],
    ['en-GB', { ...pinPrompt, means: 'desfire', reason: 'enrolment' }, 'Badge of Dr Marie Curie', 'Choose the new badge’s PIN.'],
    ['en-GB', pinPrompt, 'Card of Dr Marie Curie', null],
  ];
  for (const [locale, prompt, holder, why] of cases) {
    const o = await open(locale, bridge(signedOut, prompt));
    await o.page.locator('.pin-holder').waitFor();
    assert.equal(await o.page.locator('.pin-holder').textContent(), holder);
    if (why) await o.page.getByText(why, { exact: true }).waitFor();
    assert.equal(await o.page.getByText(/authori[sz]e the enrolment|autoriser l’enrôlement/).count(), 0);
    if (locale === 'en-GB' && why) await o.shot('pin-enrolment-en');
    await o.context.close();
  }
});

test('time left agrees in number: "1 h 00 restante", "2 min restantes"; English the same words for both', { skip }, async () => {
  const o = await open('fr-FR', bridge(fresh(active, 60)));
  await o.page.getByText(/^(1 h 00 restante|59 min restantes) avant nouvelle authentification$/).waitFor();
  await o.shot('status-one-hour-fr');
  await o.push('status', fresh(active, 1.5));
  await o.page.getByText(/^2 min restantes avant nouvelle authentification$/).waitFor();
  await o.context.close();
  const en = await open('en-GB', bridge(fresh(active, 60)));
  await en.page.getByText(/^(1 h 00|59 min) left before authenticating again$/).waitFor();
  await en.context.close();
});

test('agent unreachable: said plainly, the session actions disabled, "retry the connection" kept; back, the session again', { skip }, async () => {
  const o = await open('fr-FR', bridge({ ...fresh(active), agent: 'error' }));
  const { page } = o;
  await page.locator('.session-unreachable').getByText('Agent injoignable : état de la session inconnu').waitFor();
  assert.equal(await page.locator('.session-active').count(), 0, 'no green active session');
  await page.getByText('Dernier état connu : Session de Dr Marie Curie').waitFor();
  await page.getByRole('alert').getByText(/^L’agent Tessera ne répond pas/).waitFor();
  for (const name of ['Verrouiller', 'Fermer la session', 'Enrôlement']) {
    assert.equal(await page.getByRole('main').getByRole('button', { name, exact: true }).isDisabled(), true, name);
  }
  await o.shot('status-unreachable-fr');
  await page.getByRole('navigation').getByRole('button', { name: 'Enrôlement' }).click();
  assert.equal(await page.getByRole('button', { name: 'Enrôler un badge' }).isDisabled(), true, 'no enrolment started meanwhile');
  await page.getByRole('navigation').getByRole('button', { name: 'État' }).click();
  await page.getByRole('button', { name: 'Réessayer la connexion' }).click();
  await page.waitForFunction('window.__bridge.calls.length === 1');
  assert.deepEqual(await o.calls(), [{ method: 'retryConnection', args: [] }]);
  await o.push('status', fresh(active));
  await page.locator('.session-active').getByText('Session de Dr Marie Curie').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Verrouiller' }).isDisabled(), false);
  assert.equal(await page.getByRole('button', { name: 'Réessayer la connexion' }).count(), 0);
  await o.context.close();
});
