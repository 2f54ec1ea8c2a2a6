/**
 * Agent configuration entry points (src/main/config/config.ts): validated at load, every error
 * names the key, relative anchor paths are taken from the file's folder. The full schema, the
 * sources and the layering are tested in schema.test.ts, layered.test.ts and the reader tests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/main/config/config.js';

function configError(...fragments: string[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'config_invalid');
    assert.equal(e.layer, 'config');
    for (const f of fragments) assert.ok(e.message.includes(f), `message names ${f}: ${e.message}`);
    return true;
  };
}

describe('parseConfig', () => {
  it('accepts the documented shape', () => {
    assert.deepEqual(parseConfig('{ "cps": { "trustAnchors": ["/etc/tessera/igc-sante.pem"] } }', 'cfg.json').cps, {
      trustAnchors: ['/etc/tessera/igc-sante.pem'],
    });
  });

  it('an empty object or an empty cps section means no anchors', () => {
    assert.deepEqual(parseConfig('{}', 'cfg.json').cps, { trustAnchors: [] });
    assert.deepEqual(parseConfig('{"cps":{}}', 'cfg.json').cps, { trustAnchors: [] });
    assert.equal(parseConfig('{}', 'cfg.json').session.windowMinutes, 240);
  });

  it('invalid JSON → ConfigError naming the origin', () => {
    assert.throws(() => parseConfig('{ "cps": ', 'broken.json'), configError('broken.json', 'not valid JSON'));
    assert.throws(() => parseConfig('', 'empty.json'), configError('empty.json'));
  });

  it('a top level that is not an object → ConfigError', () => {
    for (const text of ['[]', '"x"', '42', 'null']) {
      assert.throws(() => parseConfig(text, 'cfg.json'), configError('cfg.json', 'top level'), text);
    }
  });

  it('an unknown top-level key → ConfigError naming it', () => {
    assert.throws(() => parseConfig('{"cps":{},"fido":{}}', 'cfg.json'), configError('fido', 'session'));
  });

  it('an unknown nested key → ConfigError naming it with its path', () => {
    assert.throws(() => parseConfig('{"cps":{"trustAnchor":["a.pem"]}}', 'cfg.json'), configError('cps.trustAnchor:', 'trustAnchors'));
  });

  it('"cps" of the wrong type → ConfigError naming "cps"', () => {
    for (const v of ['[]', '"x"', '1', 'true']) {
      assert.throws(() => parseConfig(`{"cps":${v}}`, 'cfg.json'), configError('cps:'), v);
    }
  });

  it('"cps.trustAnchors" of the wrong type → ConfigError naming it', () => {
    for (const v of ['"a.pem"', '{}', '[1]', '[""]', '["a.pem", null]', 'true']) {
      assert.throws(() => parseConfig(`{"cps":{"trustAnchors":${v}}}`, 'cfg.json'), configError('cps.trustAnchors'), v);
    }
  });

  it('bug: null for "cps" or "cps.trustAnchors" is silently read as "absent" instead of rejected', () => {
    assert.throws(() => parseConfig('{"cps":null}', 'cfg.json'), configError('cps:'));
    assert.throws(() => parseConfig('{"cps":{"trustAnchors":null}}', 'cfg.json'), configError('cps.trustAnchors'));
  });
});

describe('loadConfigFile', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
    mkdirSync(join(dir, 'etc'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves relative anchor paths from the configuration file’s folder, keeps absolute ones', () => {
    const path = join(dir, 'etc', 'config.json');
    writeFileSync(path, JSON.stringify({ cps: { trustAnchors: ['igc-sante.pem', '../pki/root.pem', '/abs/ca.pem'] } }));
    assert.deepEqual(loadConfigFile(path).cps, {
      trustAnchors: [join(dir, 'etc', 'igc-sante.pem'), join(dir, 'pki', 'root.pem'), '/abs/ca.pem'],
    });
  });

  it('a missing file → ConfigError naming the path', () => {
    const missing = join(dir, 'nope.json');
    assert.throws(() => loadConfigFile(missing), configError(missing, 'ENOENT'));
  });

  it('an invalid file → ConfigError naming the file and the key', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"cps":{"trustAnchors":[3]}}');
    assert.throws(() => loadConfigFile(path), configError(path, 'cps.trustAnchors'));
  });

  it('a folder instead of a file → ConfigError', () => {
    assert.throws(() => loadConfigFile(join(dir, 'etc')), configError(join(dir, 'etc')));
  });
});
