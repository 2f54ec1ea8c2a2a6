/**
 * The Settings screen's values kept in the user's settings file, through the UI core: a change
 * is written and read back at the next start (a new load and a new core), "system" is the
 * absence of the language from the file, a setting the policy keeps (or all of them with
 * AllowUserSettings off) is refused with `not-allowed` and nothing is written, and a broken file
 * is said in the view (defaults in use), kept as it is until a save, which keeps it beside.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../../../src/main/config/index.js';
import { PinBroker } from '../../../src/main/shells/ui-core/pin-broker.js';
import { fileSettingsStore } from '../../../src/main/shells/ui-core/settings-store.js';
import { UiCore } from '../../../src/main/shells/ui-core/ui-core.js';
import { isSettingsView, type SettingsView } from '../../../src/shared/settings.js';
import { scriptedRuntime } from './scripted-runtime.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-settings-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A workstation with `policy`: `start()` loads the configuration as the desktop app does and starts a UI core on it. */
function workstation(policy: unknown = {}) {
  const h = join(dir, `home${++n}`);
  const configPath = join(dir, `policy${n}.json`);
  writeFileSync(configPath, JSON.stringify(policy), { mode: 0o644 });
  const settings = join(h, '.config', 'tessera', 'settings.json');
  const logged: string[] = [];
  const cores: UiCore[] = [];
  const start = (): UiCore => {
    const effective = loadAgentConfig({ configPath, env: { XDG_CONFIG_HOME: join(h, '.config') }, home: h, brokenUserSettings: 'warn' });
    const problem = effective.userSettingsProblem;
    const settingsStore = fileSettingsStore({ effective, path: settings, ...(problem ? { problem } : {}), log: (m) => logged.push(m) });
    const core = new UiCore({ runtime: scriptedRuntime(), pins: new PinBroker(), monitor: { on: () => () => undefined }, refreshMs: 60_000, settingsStore, log: (m) => logged.push(m) });
    cores.push(core);
    return core;
  };
  const view = (core: UiCore): SettingsView => {
    const v = core.getSettings();
    assert.ok(v.ok && isSettingsView(v.value));
    return v.value;
  };
  return { settings, logged, start, view, stop: () => cores.forEach((c) => c.stop()) };
}

describe('settings kept in the user settings file', () => {
  it('a change is written and read back at the next start; "system" removes the language from the file', async () => {
    const w = workstation();
    const first = w.start();
    assert.deepEqual(w.view(first), { values: { language: 'system', notifications: true }, allowed: { language: true, notifications: true } });
    const saved = await first.setSettings({ language: 'en', notifications: false });
    assert.ok(saved.ok);
    assert.deepEqual(saved.value.values, { language: 'en', notifications: false });
    assert.deepEqual(JSON.parse(readFileSync(w.settings, 'utf8')), { ui: { language: 'en', notifications: false } });
    // The next start (a new load of the configuration, a new core) reads them back.
    const second = w.start();
    assert.deepEqual(w.view(second).values, { language: 'en', notifications: false });
    assert.ok((await second.setSettings({ language: 'system' })).ok);
    assert.deepEqual(JSON.parse(readFileSync(w.settings, 'utf8')), { ui: { notifications: false } });
    assert.deepEqual(w.view(w.start()).values, { language: 'system', notifications: false });
    w.stop();
  });

  it('a setting the policy keeps is shown with its value and refused (not-allowed), nothing written; AllowUserSettings off refuses all', async () => {
    const locked = workstation({ ui: { language: 'en' } });
    const core = locked.start();
    assert.deepEqual(locked.view(core), { values: { language: 'en', notifications: true }, allowed: { language: false, notifications: true } });
    const refused = await core.setSettings({ language: 'fr' });
    assert.equal(!refused.ok && refused.error.code, 'not-allowed');
    assert.equal(existsSync(locked.settings), false, 'nothing written');
    assert.ok((await core.setSettings({ notifications: false })).ok);
    assert.deepEqual(JSON.parse(readFileSync(locked.settings, 'utf8')), { ui: { notifications: false } }, 'only what the user may set is in their file');

    const off = workstation({ ui: { allowUserSettings: false } });
    const none = off.start();
    assert.deepEqual(off.view(none).allowed, { language: false, notifications: false });
    for (const change of [{ language: 'en' as const }, { notifications: false }]) {
      const r = await none.setSettings(change);
      assert.equal(!r.ok && r.error.code, 'not-allowed');
    }
    assert.equal(existsSync(off.settings), false);
    locked.stop();
    off.stop();
  });

  it('a broken file: the core starts with the defaults and says so; the file is left as it is until a save, which keeps it beside the new one', async () => {
    const w = workstation();
    mkdirSync(join(w.settings, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(w.settings, '{ "ui": { "language": "en", ', { mode: 0o600 });
    const core = w.start();
    assert.deepEqual(w.view(core), { values: { language: 'system', notifications: true }, allowed: { language: true, notifications: true }, notice: 'settings_file_invalid' });
    assert.equal(readFileSync(w.settings, 'utf8'), '{ "ui": { "language": "en", ', 'not overwritten by the start');
    assert.equal(w.view(w.start()).notice, 'settings_file_invalid', 'still said at the next start');
    const saved = await core.setSettings({ language: 'fr' });
    assert.ok(saved.ok);
    assert.equal(saved.value.notice, undefined);
    const kept = readdirSync(join(w.settings, '..')).filter((f) => f.startsWith('settings.json.invalid-'));
    assert.equal(kept.length, 1);
    assert.equal(readFileSync(join(w.settings, '..', kept[0] ?? ''), 'utf8'), '{ "ui": { "language": "en", ');
    assert.match(w.logged.join('\n'), /kept as/);
    assert.deepEqual(w.view(w.start()), { values: { language: 'fr', notifications: true }, allowed: { language: true, notifications: true } });
    w.stop();
  });

  it('a write that fails is an internal error and changes nothing in force', async () => {
    const w = workstation();
    const core = w.start();
    // The settings path is a folder: the rename cannot replace it.
    mkdirSync(w.settings, { recursive: true });
    const r = await core.setSettings({ notifications: false });
    assert.equal(!r.ok && r.error.code, 'internal');
    assert.equal(w.view(core).values.notifications, true);
    assert.match(w.logged.join('\n'), /could not be saved/);
    w.stop();
  });
});
