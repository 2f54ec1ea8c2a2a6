import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { managedSettings } from '../../src/shared/managed-settings.js';
import {
  checkAdmlCoversAdmx,
  checkAdmxMatchesSettings,
  checkPresentations,
  checkProfile,
  plistValue,
} from './policy-checks.js';
import { repoRoot } from './repo-root.js';
import { parseXml } from './xml-tree.js';

const read = (relative: string) => readFile(path.join(repoRoot, relative), 'utf8');
const admxText = await read('native/windows/tessera.admx');
const admlTexts = {
  'fr-FR': await read('native/windows/fr-FR/tessera.adml'),
  'en-US': await read('native/windows/en-US/tessera.adml'),
};
const profileText = await read('native/macos/fr.tessera.agent.mobileconfig.example');

test('every template is well-formed XML', async () => {
  for (const file of [
    'native/windows/tessera.admx',
    'native/windows/fr-FR/tessera.adml',
    'native/windows/en-US/tessera.adml',
    'native/macos/fr.tessera.agent.mobileconfig.example',
    'native/macos/entitlements.mac.plist',
  ]) {
    const text = await read(file);
    assert.doesNotThrow(() => parseXml(text), file);
  }
  assert.throws(() => parseXml(admxText.replace('</policies>', '')), /not well-formed/);
});

test('both languages define every string and presentation the ADMX refers to, and nothing else', () => {
  const admx = parseXml(admxText);
  for (const [lang, text] of Object.entries(admlTexts)) assert.deepEqual(checkAdmlCoversAdmx(admx, parseXml(text), lang), []);
});

test('presentations match their policy elements and the table defaults', () => {
  const admx = parseXml(admxText);
  for (const [lang, text] of Object.entries(admlTexts)) assert.deepEqual(checkPresentations(admx, parseXml(text), lang), []);
});

test('the ADMX sets exactly the managed settings under Software\\Policies\\Tessera', () => {
  assert.deepEqual(checkAdmxMatchesSettings(parseXml(admxText)), []);
  assert.equal(managedSettings.Exi14WindowMinutes.min, 1);
  assert.equal(managedSettings.Exi14WindowMinutes.max, 720);
  assert.equal(managedSettings.Exi14WindowMinutes.default, 240);
});

test('the macOS profile sets the same keys as the ADMX, with valid values', () => {
  assert.deepEqual(checkProfile(plistValue(parseXml(profileText))), []);
});

test('the macOS entitlements grant only JIT and smart card access', async () => {
  const entitlements = plistValue(parseXml(await read('native/macos/entitlements.mac.plist')));
  assert.deepEqual(entitlements, { 'com.apple.security.cs.allow-jit': true, 'com.apple.security.smartcard': true });
});

test('the checks catch broken templates', () => {
  const admx = parseXml(admxText);
  const fr = admlTexts['fr-FR'];
  const missingString = fr.replace(/<string id="AllowQuit">[^<]*<\/string>/, '');
  assert.deepEqual(checkAdmlCoversAdmx(admx, parseXml(missingString), 'fr-FR'), ['fr-FR: missing string AllowQuit']);
  const extra = fr.replace('</stringTable>', '<string id="Orphan">x</string></stringTable>');
  assert.deepEqual(checkAdmlCoversAdmx(admx, parseXml(extra), 'fr-FR'), ['fr-FR: string Orphan is not used by the ADMX']);
  const wrongDefault = fr.replace('defaultValue="240"', 'defaultValue="480"');
  assert.deepEqual(checkPresentations(admx, parseXml(wrongDefault), 'fr-FR'), [
    'fr-FR: Exi14WindowMinutes proposes 480, the settings table says 240',
  ]);
  const wrongRange = parseXml(admxText.replace('maxValue="720"', 'maxValue="1440"'));
  assert.deepEqual(checkAdmxMatchesSettings(wrongRange), ['Exi14WindowMinutes: expected a decimal from 1 to 720']);
  const wrongKey = parseXml(admxText.replace('key="Software\\Policies\\Tessera">\n      <parentCategory ref="Tessera_Sso" />', 'key="Software\\Tessera">\n      <parentCategory ref="Tessera_Sso" />'));
  assert.ok(checkAdmxMatchesSettings(wrongKey).some((p) => p.includes('writes to Software\\Tessera')));
  const renamed = profileText.replace('<key>IdleLockMinutes</key>', '<key>IdleLockMinute</key>');
  assert.deepEqual(checkProfile(plistValue(parseXml(renamed))), [
    'profile lacks IdleLockMinutes',
    'profile key IdleLockMinute is not a managed setting',
  ]);
  const outOfRange = profileText.replace('<integer>240</integer>', '<integer>721</integer>');
  assert.deepEqual(checkProfile(plistValue(parseXml(outOfRange))), ['profile value of Exi14WindowMinutes (721) does not fit a integer setting']);
});
