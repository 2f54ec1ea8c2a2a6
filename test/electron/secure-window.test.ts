import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
// Importing this module proves it loads in plain Node: `electron` at run time would throw here.
import {
  contentSecurityPolicy,
  isTrustedSender,
  webPreferencesFor,
  windowSecurityPolicy,
  withContentSecurityPolicy,
} from '../../src/main/electron/secure-window-policy.js';
import { repoRoot } from './repo-root.js';

const electronDir = path.join(repoRoot, 'src', 'main', 'electron');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(c|m)?tsx?$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

test('every window gets the sandboxed, isolated web preferences', () => {
  assert.deepEqual(windowSecurityPolicy.webPreferences, {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webviewTag: false,
    spellcheck: false,
  });
  assert.ok(Object.isFrozen(windowSecurityPolicy.webPreferences));
  assert.equal(windowSecurityPolicy.allowNavigation, false);
  assert.equal(windowSecurityPolicy.allowWindowOpen, false);
  assert.equal(windowSecurityPolicy.allowPermissions, false);
});

test('the preload is added to the fixed preferences and must be a compiled .cjs', () => {
  const prefs = webPreferencesFor('/app/build/src/main/electron/preload.cjs');
  assert.deepEqual(prefs, { ...windowSecurityPolicy.webPreferences, preload: '/app/build/src/main/electron/preload.cjs' });
  assert.throws(() => webPreferencesFor('/app/preload.js'), /\.cjs/);
});

test('the CSP is the strict policy, with nothing inline or remote', () => {
  assert.equal(
    contentSecurityPolicy,
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
      "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  assert.doesNotMatch(contentSecurityPolicy, /unsafe-|\*|https?:/);
});

test('the CSP header replaces any CSP the response had, whatever its case', () => {
  const out = withContentSecurityPolicy({
    'content-security-policy': ["default-src *"],
    'Content-Security-Policy-Report-Only': ["script-src 'unsafe-inline'"],
    'Content-Type': ['text/html'],
  });
  assert.deepEqual(out, { 'Content-Type': ['text/html'], 'Content-Security-Policy': [contentSecurityPolicy] });
  assert.deepEqual(withContentSecurityPolicy(undefined), { 'Content-Security-Policy': [contentSecurityPolicy] });
});

test('the renderer page carries the same CSP in a meta tag', async () => {
  const html = await readFile(path.join(repoRoot, 'src', 'renderer', 'index.html'), 'utf8');
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  assert.ok(meta, 'index.html has a CSP meta tag');
  assert.equal(meta[1], contentSecurityPolicy);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script in index.html');
});

test('IPC is trusted only from the renderer page the window loaded', () => {
  const page = 'file:///opt/Tessera/resources/app.asar/build/renderer/index.html';
  assert.equal(isTrustedSender(page, page), true);
  assert.equal(isTrustedSender(`${page}#status`, page), true);
  assert.equal(isTrustedSender('file:///tmp/evil/index.html', page), false);
  assert.equal(isTrustedSender('https://example.org/build/renderer/index.html', page), false);
  assert.equal(isTrustedSender('not a url', page), false);
  assert.equal(isTrustedSender(null, page), false);
  assert.equal(isTrustedSender(undefined, page), false);
});

test('no BrowserWindow is created outside the secure factory', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(electronDir)) {
    if (path.basename(file) === 'secure-window.ts') continue;
    const text = await readFile(file, 'utf8');
    if (/new\s+(?:electron\.|Electron\.)?BrowserWindow\s*\(/.test(text)) offenders.push(path.relative(repoRoot, file));
  }
  assert.deepEqual(offenders, []);
});

test('the factory is the only file that sets webPreferences or uses BrowserView/webview', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(electronDir)) {
    const name = path.basename(file);
    if (name === 'secure-window.ts' || name === 'secure-window-policy.ts') continue;
    const text = await readFile(file, 'utf8');
    if (/webPreferences\s*:|\bBrowserView\b|WebContentsView|<webview/.test(text)) offenders.push(path.relative(repoRoot, file));
  }
  assert.deepEqual(offenders, []);
});

test('nothing in the shell or renderer uses @electron/remote', async () => {
  const files = [...(await sourceFiles(electronDir)), ...(await sourceFiles(path.join(repoRoot, 'src', 'renderer')))];
  for (const file of files) {
    if (file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    assert.doesNotMatch(await readFile(file, 'utf8'), /@electron\/remote/, path.relative(repoRoot, file));
  }
});
