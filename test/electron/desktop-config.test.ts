/**
 * The configuration the desktop app starts on (src/main/electron/desktop-config.ts), with real
 * files: the Settings screen's save lands in the user's settings file under the user's config
 * folder and is what the next start reads; a broken settings file is a logged warning and the
 * defaults (the app starts), said on the Settings screen, and left as it is.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desktopConfig } from '../../src/main/electron/desktop-config.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-desktop-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function machine(name: string) {
  const home = join(dir, name);
  const configPath = join(dir, `${name}-policy.json`);
  writeFileSync(configPath, JSON.stringify({ session: { windowMinutes: 120 } }), { mode: 0o644 });
  const logged: string[] = [];
  const start = () => desktopConfig({ configPath, home, env: {} }, (m) => logged.push(m));
  return { settings: join(home, '.config', 'tessera', 'settings.json'), logged, start };
}

test('the settings saved at one start are those of the next (in ~/.config/tessera/settings.json)', async () => {
  const m = machine('saved');
  const first = m.start();
  assert.deepEqual(first.settingsStore.view().values, { language: 'system', notifications: true });
  await first.settingsStore.save({ language: 'en', notifications: false });
  assert.deepEqual(JSON.parse(readFileSync(m.settings, 'utf8')), { ui: { language: 'en', notifications: false } });
  const next = m.start();
  assert.equal(next.effective.config.ui.language, 'en');
  assert.equal(next.effective.config.session.windowMinutes, 120);
  assert.deepEqual(next.settingsStore.view(), { values: { language: 'en', notifications: false }, allowed: { language: true, notifications: true } });
  assert.deepEqual(m.logged, []);
});

test('a broken settings file: a clear warning naming it, the defaults, the notice on the Settings screen, the file untouched', () => {
  const m = machine('broken');
  mkdirSync(join(m.settings, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(m.settings, '{"ui":{"language":"klingon"}}', { mode: 0o600 });
  const started = m.start();
  assert.equal(started.effective.config.ui.language, 'fr');
  assert.equal(started.effective.config.session.windowMinutes, 120);
  assert.equal(started.settingsStore.view().notice, 'settings_file_invalid');
  assert.equal(m.logged.length, 1);
  assert.match(m.logged[0] ?? '', /warning: the user settings file could not be read .*settings\.json.*ui\.language/);
  assert.equal(readFileSync(m.settings, 'utf8'), '{"ui":{"language":"klingon"}}');
});
