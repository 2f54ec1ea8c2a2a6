import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayModel } from '../../src/main/electron/tray-model.js';
import { noSession, type StatusView } from '../../src/shared/status-view.js';

test('no session: signed-out icon, French tooltip, status line, show and quit items', () => {
  assert.deepEqual(trayModel(noSession, { language: 'fr', allowQuit: true }), {
    icon: 'signed-out',
    tooltip: 'Tessera — aucune session',
    menu: [
      { kind: 'label', label: 'Aucune session ouverte' },
      { kind: 'separator' },
      { kind: 'action', action: 'show-status', label: 'Afficher l’état…' },
      { kind: 'separator' },
      { kind: 'action', action: 'quit', label: 'Quitter Tessera' },
    ],
  });
});

test('an active session names its holder and means', () => {
  const view: StatusView = { session: 'active', holder: 'Dr Marie Curie', means: 'cps', health: 'ok' };
  const model = trayModel(view, { language: 'fr', allowQuit: true });
  assert.equal(model.icon, 'active');
  assert.equal(model.tooltip, 'Tessera — session de Dr Marie Curie');
  assert.deepEqual(model.menu[0], { kind: 'label', label: 'Session de Dr Marie Curie — carte CPS' });
  assert.equal(trayModel(view, { language: 'en', allowQuit: true }).tooltip, 'Tessera — session of Dr Marie Curie');
});

test('health wins over session state for the icon', () => {
  const base = { session: 'locked', holder: 'A', means: 'fido2' } as const;
  assert.equal(trayModel({ ...base, health: 'ok' }, { language: 'fr', allowQuit: true }).icon, 'locked');
  assert.equal(trayModel({ ...base, health: 'degraded' }, { language: 'fr', allowQuit: true }).icon, 'degraded');
  assert.equal(trayModel({ ...base, health: 'error' }, { language: 'fr', allowQuit: true }).icon, 'error');
  assert.equal(trayModel({ session: 'none', health: 'error' }, { language: 'fr', allowQuit: true }).icon, 'error');
});

test('when policy forbids quitting there is no quit item', () => {
  const model = trayModel(noSession, { language: 'en', allowQuit: false });
  assert.ok(model.menu.every((item) => item.kind !== 'action' || item.action !== 'quit'));
  assert.equal(model.menu.at(-1)?.kind, 'action');
});
