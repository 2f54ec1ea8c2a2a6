/**
 * electron-builder.yml, checked offline: app-builder-lib's own schema validation, the files it
 * points at, and the settings that security and deployment depend on. Building an installer
 * needs tools downloaded at build time, so it happens on a release machine, not here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { DebugLogger } from 'builder-util';
import type { Configuration } from 'app-builder-lib';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { repoRoot } from './repo-root.js';

const configFile = path.join(repoRoot, 'electron-builder.yml');
const config = parse(await readFile(configFile, 'utf8')) as Configuration;
const validate = (c: Configuration) => validateConfiguration(c, new DebugLogger(false));

interface ExtraResource {
  from: string;
  to: string;
  filter?: string[];
}

function asList<T>(x: T | T[] | null | undefined): T[] {
  return x == null ? [] : Array.isArray(x) ? x : [x];
}

test('electron-builder accepts the configuration', async () => {
  await validate(structuredClone(config));
});

test('an unknown or misplaced option is rejected, so the check can fail', async () => {
  const invalid = /does not match the API schema/;
  const misspelt = { ...structuredClone(config), msi: { ...config.msi, oneClik: false } } as Configuration;
  await assert.rejects(validate(misspelt), (e: Error) => invalid.test(e.message) && /configuration\.msi/.test(e.message));
  const misplaced = { ...structuredClone(config), dmg: { ...config.dmg, hardenedRuntime: true } } as Configuration;
  await assert.rejects(validate(misplaced), (e: Error) => invalid.test(e.message) && /configuration\.dmg/.test(e.message));
  const wrongType = { ...structuredClone(config), asar: 'yes' } as unknown as Configuration;
  await assert.rejects(validate(wrongType), (e: Error) => invalid.test(e.message) && /configuration\.asar/.test(e.message));
});

test('every icon, entitlements file and extra resource exists', async () => {
  const files = [config.win?.icon, config.mac?.icon, config.mac?.entitlements, config.mac?.entitlementsInherit];
  for (const file of files) {
    assert.ok(typeof file === 'string', 'path is set');
    await access(path.join(repoRoot, file));
  }
  const linuxIcons = await readdir(path.join(repoRoot, String(config.linux?.icon)));
  for (const size of [16, 32, 48, 64, 128, 256, 512]) assert.ok(linuxIcons.includes(`${size}x${size}.png`), `linux icon ${size}`);
  for (const platform of [config.win, config.mac, config.linux]) {
    const resources = asList(platform?.extraResources as ExtraResource | ExtraResource[] | undefined);
    assert.ok(resources.length > 0);
    for (const resource of resources) {
      const from = path.join(repoRoot, resource.from);
      const present = await readdir(from, { recursive: true });
      for (const pattern of resource.filter ?? []) {
        const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
        assert.ok(present.some((p) => re.test(p.split(path.sep).join('/'))), `${resource.from}: nothing matches ${pattern}`);
      }
    }
  }
});

test('buildResources is not build/ (electron-builder would leave the compiled app out of the package)', () => {
  const dir = config.directories?.buildResources;
  assert.ok(dir && !['build', 'build/'].includes(dir));
  assert.equal(config.directories?.output, 'dist');
});

test('the package holds build output only: main entry, preload, renderer and tray icons, no tests', async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { main: string };
  const files = asList(config.files as string | string[]);
  assert.ok(pkg.main.startsWith('build/src/') && pkg.main.endsWith('.js'), 'main is compiled output');
  assert.ok(files.includes('build/src/**/*.js'));
  assert.ok(files.includes('build/src/**/*.cjs'), 'the CommonJS preload is packaged');
  assert.ok(files.includes('build/renderer/**/*'));
  assert.ok(files.includes('assets/tray/*.png'));
  for (const pattern of files.filter((f) => !f.startsWith('!'))) {
    assert.doesNotMatch(pattern, /^(src|test|scripts|native)\b|build\/test|build\/scripts|^\*\*/, `${pattern} would package more than build output`);
  }
  assert.ok(files.includes('!build/test/**'));
  assert.equal(config.extraMetadata, undefined);
});

test('native addons are unpacked from the asar and rebuilt for Electron', () => {
  assert.equal(config.asar, true);
  assert.deepEqual(config.asarUnpack, ['**/*.node']);
  assert.equal(config.npmRebuild, true);
});

test('Electron fuses close the Node entry points and pin the code to a verified asar', () => {
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
  });
});

test('Windows: per-machine x64 MSI with a fixed upgrade code', () => {
  assert.equal(config.appId, 'fr.tessera.agent');
  assert.equal(config.productName, 'Tessera');
  assert.deepEqual(config.win?.target, [{ target: 'msi', arch: ['x64'] }]);
  assert.equal(config.msi?.perMachine, true);
  assert.match(String(config.msi?.upgradeCode), /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
});

test('macOS: hardened-runtime DMG for Intel and Apple silicon, medical category, notarization left to the environment', () => {
  assert.deepEqual(config.mac?.target, [{ target: 'dmg', arch: ['x64', 'arm64'] }]);
  assert.equal(config.mac?.hardenedRuntime, true);
  assert.equal(config.mac?.category, 'public.app-category.medical');
  assert.equal(config.mac?.notarize, undefined);
});

test('Linux: deb and AppImage, and the deb pulls in pcscd and the CCID driver', () => {
  assert.deepEqual(config.linux?.target, [
    { target: 'deb', arch: ['x64'] },
    { target: 'AppImage', arch: ['x64'] },
  ]);
  assert.equal(config.linux?.category, 'Utility');
  for (const pkg of ['pcscd', 'libccid', 'libpcsclite1', 'libnss3']) assert.ok(config.deb?.depends?.includes(pkg), pkg);
});
