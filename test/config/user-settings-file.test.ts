/**
 * The user's settings file written and read back (src/main/config/user-settings-file.ts and the
 * layered configuration), with real files in a temp folder: written atomically (mode 0600, the
 * folder 0700, no temporary file left), read back as the user layer at the next load, other keys
 * of the file kept, a key only policy may set or a refused value never written, and a broken
 * file: a warning and the defaults at load (`brokenUserSettings: 'warn'`), never overwritten
 * unless the caller replaces it, and then kept beside the new one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAgentConfig, writeUserSettings, type UserSettablePath } from '../../src/main/config/index.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-user-settings-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A fresh home: its settings path, and a policy file (none by default). */
function home(policy?: unknown): { settings: string; configPath: string; load: (broken?: 'warn') => ReturnType<typeof loadAgentConfig> } {
  const h = join(dir, `home${++n}`);
  const configPath = join(dir, `policy${n}.json`);
  writeFileSync(configPath, JSON.stringify(policy ?? {}), { mode: 0o644 });
  const env = { XDG_CONFIG_HOME: join(h, '.config') };
  return {
    settings: join(h, '.config', 'tessera', 'settings.json'),
    configPath,
    load: (broken) => loadAgentConfig({ configPath, env, home: h, ...(broken ? { brokenUserSettings: broken } : {}) }),
  };
}
const change = (entries: [UserSettablePath, unknown][]) => new Map(entries);
const refusedAs = (problem: string) => (e: unknown) => e instanceof ConfigError && e.problem === problem;

describe('the user settings file', () => {
  it('written atomically (0600 in a 0700 folder, no temporary file left) and read back as the user layer at the next start', () => {
    const h = home();
    assert.equal(h.load().config.ui.language, 'fr');
    writeUserSettings(h.settings, change([['ui.language', 'en'], ['ui.notifications', false]]));
    assert.equal(statSync(h.settings).mode & 0o777, 0o600);
    assert.equal(statSync(join(h.settings, '..')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(h.settings, '..')), ['settings.json']);
    assert.deepEqual(JSON.parse(readFileSync(h.settings, 'utf8')), { ui: { language: 'en', notifications: false } });
    const next = h.load();
    assert.equal(next.config.ui.language, 'en');
    assert.equal(next.config.ui.notifications, false);
    assert.equal(next.origins.get('ui.language')?.kind, 'user');
    assert.equal(next.userSource?.name, h.settings);
  });

  it('keeps what it does not change, removes what is set back, refuses keys only policy may set and values the schema refuses', () => {
    const h = home();
    writeUserSettings(h.settings, change([['ui.language', 'en'], ['ui.notifications', false]]));
    writeUserSettings(h.settings, change([['ui.language', undefined]]));
    assert.deepEqual(JSON.parse(readFileSync(h.settings, 'utf8')), { ui: { notifications: false } });
    writeUserSettings(h.settings, change([['ui.notifications', undefined]]));
    assert.deepEqual(JSON.parse(readFileSync(h.settings, 'utf8')), {});
    const before = readFileSync(h.settings, 'utf8');
    assert.throws(() => writeUserSettings(h.settings, new Map([['session.windowMinutes' as UserSettablePath, 720]])), refusedAs('config.not_allowed'));
    assert.throws(() => writeUserSettings(h.settings, change([['ui.language', 'de']])), refusedAs('config.not_allowed'));
    assert.throws(() => writeUserSettings(h.settings, change([['ui.notifications', 'yes']])), refusedAs('config.wrong_type'));
    assert.equal(readFileSync(h.settings, 'utf8'), before, 'nothing written');
  });

  it('a broken file: a warning and the defaults at start (the agent starts), never overwritten silently, replaced only on purpose and then kept beside', () => {
    for (const text of ['{ "ui": { "language": ', '[1]', '{ "ui": { "language": "de" } }', '{ "theme": "dark" }']) {
      const h = home({ session: { windowMinutes: 60 } });
      writeUserSettings(h.settings, change([['ui.notifications', false]]));
      writeFileSync(h.settings, text);
      assert.throws(() => h.load(), (e: unknown) => e instanceof ConfigError && e.source === h.settings, 'config check still reports it');
      const loaded = h.load('warn');
      assert.ok(loaded.userSettingsProblem instanceof ConfigError, text);
      assert.equal(loaded.userSettingsProblem.source ?? loaded.userSettingsProblem.file, h.settings);
      assert.equal(loaded.config.ui.notifications, true, 'defaults');
      assert.equal(loaded.config.session.windowMinutes, 60, 'the policy still applies');
      assert.throws(() => writeUserSettings(h.settings, change([['ui.language', 'en']])), refusedAs('config.not_json'));
      assert.equal(readFileSync(h.settings, 'utf8'), text, 'left as it is');
      const logged: string[] = [];
      writeUserSettings(h.settings, change([['ui.language', 'en']]), { replaceBroken: true, log: (m) => logged.push(m), now: () => new Date('2026-12-07T10:00:00.000Z') });
      const kept = join(h.settings, '..', 'settings.json.invalid-2026-12-07T10-00-00-000Z');
      assert.equal(readFileSync(kept, 'utf8'), text, 'the broken file is kept');
      assert.match(logged.join('\n'), /kept as .*settings\.json\.invalid-/);
      assert.deepEqual(JSON.parse(readFileSync(h.settings, 'utf8')), { ui: { language: 'en' } });
      assert.equal(h.load().config.ui.language, 'en');
    }
  });

  it('a broken policy is still an error in warn mode (only the user file is set aside)', () => {
    const h = home({ session: { windowMinutes: 0 } });
    writeFileSync(h.configPath, JSON.stringify({ session: { windowMinutes: 0 } }));
    assert.throws(() => h.load('warn'), (e: unknown) => e instanceof ConfigError && e.field === 'session.windowMinutes');
  });
});
