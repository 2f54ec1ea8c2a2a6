/**
 * `tessera config check` end to end (the real binary in a child process): exit 0 valid with the
 * effective configuration and its sources, 11 invalid with one line naming the field, 1 usage.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SETTING_PATHS } from '../../../src/main/config/schema.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

interface Run { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined }

let dir: string;
let home: string;

function tessera(args: string[], lang = 'fr'): Promise<Run> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_LANG: lang, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    delete env['TESSERA_CONFIG'];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      done({ code, stdout, stderr, json });
    });
  });
}

let n = 0;
function cfg(content: unknown, mode = 0o644): string {
  const p = join(dir, `c${++n}.json`);
  writeFileSync(p, JSON.stringify(content));
  chmodSync(p, mode);
  return p;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-config-cli-'));
  home = join(dir, 'home');
  mkdirSync(join(home, '.config', 'tessera'), { recursive: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tessera config check', () => {
  it('valid → exit 0 and a sentence; --explain lists every key with its source', async () => {
    const p = cfg({ session: { windowMinutes: 60 } });
    const r = await tessera(['config', 'check', '--config', p, '--explain']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Configuration valide \(/);
    assert.match(r.stdout, new RegExp(`session\\.windowMinutes = 60 {3}\\[policy: ${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\]`));
    assert.match(r.stdout, /ui\.language = "fr" {3}\[default\]/);
    assert.equal(r.stderr, '');
  });

  it('valid --json → the effective configuration with each value’s source', async () => {
    const p = cfg({ session: { removalAction: 'none' }, ui: { allowQuit: false } });
    const r = await tessera(['config', 'check', '--config', p, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.['ok'], true);
    const config = r.json?.['config'] as { session: { removalAction: string; windowMinutes: number } };
    assert.equal(config.session.removalAction, 'none');
    assert.equal(config.session.windowMinutes, 240);
    const sources = r.json?.['sources'] as Record<string, { source: string; from: string }>;
    assert.deepEqual(sources['session.removalAction'], { source: 'policy', from: p });
    assert.deepEqual(sources['session.windowMinutes'], { source: 'default', from: 'built-in' });
    // One source per setting the schema declares, no more, no fewer.
    assert.deepEqual(Object.keys(sources).sort(), [...SETTING_PATHS].sort());
  });

  it('invalid → exit 11, one line on stderr naming the field and the allowed values', async () => {
    const p = cfg({ session: { windowMinutes: 800 } });
    const r = await tessera(['config', 'check', '--config', p]);
    assert.equal(r.code, 11);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1);
    assert.match(r.stderr, /^tessera: Configuration invalide : .*session\.windowMinutes : valeur hors limites \(admis : entier de 1 à 720 \(minutes ; 240 par défaut\)\)$/m);
  });

  it('invalid --json → error config_invalid with field and allowed; English with --lang en', async () => {
    const p = cfg({ audit: { forwarding: { httpUrl: 'http://collecteur.chu-exemple.fr/' } } });
    const r = await tessera(['config', 'check', '--config', p, '--json', '--lang', 'en']);
    assert.equal(r.code, 11);
    assert.equal(r.json?.['ok'], false);
    assert.equal(r.json?.['error'], 'config_invalid');
    assert.equal(r.json?.['field'], 'audit.forwarding.httpUrl');
    assert.match(String(r.json?.['allowed']), /^https:\/\//);
    assert.equal(r.json?.['source'], p);
    assert.match(r.stderr, /^tessera: Invalid configuration: .*audit\.forwarding\.httpUrl: insecure address/);
  });

  it('unknown key, missing file, broken JSON, world-writable file → exit 11', async () => {
    const unknown = await tessera(['config', 'check', '--config', cfg({ session: { window: 10 } }), '--json']);
    assert.equal(unknown.code, 11);
    assert.equal(unknown.json?.['field'], 'session.window');
    assert.equal(unknown.json?.['problem'], 'config.unknown_key');
    const missing = await tessera(['config', 'check', '--config', join(dir, 'none.json')]);
    assert.equal(missing.code, 11);
    assert.match(missing.stderr, /none\.json/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"session":');
    assert.equal((await tessera(['config', 'check', '--config', broken])).code, 11);
    const open = await tessera(['config', 'check', '--config', cfg({}, 0o666), '--json']);
    assert.equal(open.code, 11);
    assert.equal(open.json?.['problem'], 'config.insecure_file');
  });

  it('user settings: a setting the user may change applies, a locked one is ignored with a warning naming it', async () => {
    const p = cfg({ session: { windowMinutes: 30 } });
    const u = join(dir, 'user.json');
    writeFileSync(u, JSON.stringify({ ui: { language: 'en' }, session: { windowMinutes: 720 } }));
    const r = await tessera(['config', 'check', '--config', p, '--user-settings', u, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const config = r.json?.['config'] as { session: { windowMinutes: number }; ui: { language: string } };
    assert.equal(config.session.windowMinutes, 30);
    assert.equal(config.ui.language, 'en');
    assert.match(r.stderr, /Réglage utilisateur session\.windowMinutes ignoré/);
    // the default user file is read too, unless --no-user-settings
    writeFileSync(join(home, '.config', 'tessera', 'settings.json'), JSON.stringify({ ui: { language: 'en' } }));
    const byDefault = await tessera(['config', 'check', '--config', p, '--json']);
    assert.equal((byDefault.json?.['config'] as { ui: { language: string } }).ui.language, 'en');
    const without = await tessera(['config', 'check', '--config', p, '--json', '--no-user-settings']);
    assert.equal((without.json?.['config'] as { ui: { language: string } }).ui.language, 'fr');
    rmSync(join(home, '.config', 'tessera', 'settings.json'));
  });

  it('usage errors → exit 1', async () => {
    assert.equal((await tessera(['config'])).code, 1);
    assert.equal((await tessera(['config', 'verify'])).code, 1);
    assert.equal((await tessera(['config', 'check', '--bogus'])).code, 1);
    const help = await tessera(['config', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /tessera config check/);
  });
});
