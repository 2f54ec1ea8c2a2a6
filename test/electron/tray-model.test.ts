import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayModel, type TrayAction, type TrayModel } from '../../src/main/electron/tray-model.js';
import { noSession, type StatusView } from '../../src/shared/status-view.js';
import { active, degraded, expired, locked, signedOut, t0, tapped } from './fixtures.js';

const actions = (m: TrayModel): TrayAction[] => m.menu.flatMap((i) => (i.kind === 'action' ? [i.action] : []));
const labels = (m: TrayModel): string[] => m.menu.flatMap((i) => (i.kind === 'label' ? [i.label] : []));
/** The status line: the first item, which opens the window. */
const statusLine = (m: TrayModel): string => {
  const first = m.menu[0];
  assert.equal(first?.kind === 'action' && first.action, 'show-status');
  return first?.kind === 'action' ? first.label : '';
};

test('signed out: status line (opens the window), security key fallback, settings, about, quit', () => {
  const model = trayModel(signedOut, t0, { language: 'fr' });
  assert.equal(model.icon, 'signed-out');
  assert.equal(model.tooltip, 'Tessera — Aucune session ouverte');
  assert.deepEqual(model.menu, [
    { kind: 'action', action: 'show-status', label: 'Aucune session ouverte' },
    { kind: 'separator' },
    { kind: 'action', action: 'use-security-key', label: 'J’ai oublié ma carte — utiliser une clé de sécurité' },
    { kind: 'separator' },
    { kind: 'action', action: 'settings', label: 'Paramètres…' },
    { kind: 'action', action: 'about', label: 'À propos de Tessera' },
    { kind: 'separator' },
    { kind: 'action', action: 'quit', label: 'Quitter Tessera' },
  ]);
});

test('two-factor session: person and time left, lock, sign out, enrol both kinds; no fallback', () => {
  const model = trayModel(active, t0 + 60_000 * 15, { language: 'fr' });
  assert.equal(model.icon, 'active');
  assert.equal(statusLine(model), 'Session de Dr Marie Curie — 3 h 45');
  assert.equal(model.tooltip, 'Tessera — Session de Dr Marie Curie — 3 h 45');
  assert.deepEqual(actions(model), ['show-status', 'lock', 'sign-out', 'enrol-badge', 'enrol-fido2', 'settings', 'about', 'quit']);
  const en = trayModel(active, t0, { language: 'en' });
  assert.equal(statusLine(en), 'Session of Dr Marie Curie — 4 h 00');
  assert.deepEqual(
    en.menu.flatMap((i) => (i.kind === 'action' ? [i.label] : [])),
    ['Session of Dr Marie Curie — 4 h 00', 'Lock now', 'Sign out', 'Enrol a badge…', 'Enrol a security key…', 'Settings…', 'About Tessera', 'Quit Tessera'],
  );
});

test('a badge-tap session (one factor) offers no enrolment', () => {
  assert.deepEqual(actions(trayModel(tapped, t0, { language: 'fr' })), ['show-status', 'lock', 'sign-out', 'settings', 'about', 'quit']);
});

test('enrolment offers only the kinds the policy allows', () => {
  const view: StatusView = { ...active, allowed: { ...active.allowed, enrol: ['fido2'] } };
  assert.deepEqual(actions(trayModel(view, t0, { language: 'fr' })).filter((a) => a.startsWith('enrol')), ['enrol-fido2']);
});

test('locked: time left, sign out and the security key fallback; no lock item', () => {
  const model = trayModel(locked, t0, { language: 'en' });
  assert.equal(model.icon, 'locked');
  assert.equal(statusLine(model), 'Session of Dr Marie Curie, locked — 1 h 30');
  assert.deepEqual(actions(model), ['show-status', 'sign-out', 'use-security-key', 'settings', 'about', 'quit']);
});

test('expired: no time left shown, sign out offered', () => {
  const model = trayModel(expired, t0, { language: 'fr' });
  assert.equal(statusLine(model), 'Session de Dr Marie Curie expirée');
  assert.ok(actions(model).includes('sign-out'));
  assert.ok(!actions(model).includes('lock'));
});

test('degraded: icon, one line per reason, and retry connection', () => {
  const model = trayModel(degraded, t0, { language: 'fr' });
  assert.equal(model.icon, 'degraded');
  assert.deepEqual(labels(model), ['Le fournisseur d’identité est injoignable.']);
  const i = model.menu.findIndex((item) => item.kind === 'label' && item.label.startsWith('Le fournisseur'));
  assert.deepEqual(model.menu[i + 1], { kind: 'action', action: 'retry-connection', label: 'Réessayer la connexion' });
});

test('agent error: error icon, the error line and retry connection', () => {
  const model = trayModel({ ...noSession, agent: 'error' }, t0, { language: 'en' });
  assert.equal(model.icon, 'error');
  assert.match(labels(model)[0] ?? '', /does not answer/);
  assert.ok(actions(model).includes('retry-connection'));
});

test('policy: no settings and no quit when not allowed', () => {
  const view: StatusView = { ...active, allowed: { settings: false, quit: false, securityKey: false, enrol: [] } };
  const model = trayModel(view, t0, { language: 'fr' });
  assert.deepEqual(actions(model), ['show-status', 'lock', 'sign-out', 'about']);
  assert.equal(model.menu.at(-1)?.kind, 'action');
  const out = trayModel({ ...signedOut, allowed: view.allowed }, t0, { language: 'fr' });
  assert.ok(!actions(out).includes('use-security-key'));
});

test('authenticating: no lock, no sign out, no fallback while a login runs', () => {
  const view: StatusView = { ...signedOut, session: { state: 'authenticating', means: 'cps' } };
  const model = trayModel(view, t0, { language: 'fr' });
  assert.equal(statusLine(model), 'Authentification en cours…');
  assert.deepEqual(actions(model), ['show-status', 'settings', 'about', 'quit']);
});
