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
import type { BrowserWindowConstructorOptions } from 'electron';
import { buildSecureWindow, type SessionLike } from '../../src/main/electron/secure-window-core.js';
import { windowKinds } from '../../src/main/electron/window-kinds.js';
import { appPaths } from '../../src/main/electron/app-paths.js';
import { access } from 'node:fs/promises';
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

test('the renderer page carries the same CSP in a meta tag, but frame-ancestors (header only)', async () => {
  const html = await readFile(path.join(repoRoot, 'src', 'renderer', 'index.html'), 'utf8');
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  assert.ok(meta, 'index.html has a CSP meta tag');
  // Chromium ignores frame-ancestors in a meta element (and warns): the header carries it.
  assert.match(contentSecurityPolicy, /(^|; )frame-ancestors 'none'(;|$)/);
  assert.equal(meta[1], contentSecurityPolicy.split('; ').filter((d) => !d.startsWith('frame-ancestors ')).join('; '));
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

/** A BrowserWindow stand-in that records what the factory gives it and sets on it. */
function fakeElectron() {
  const made: FakeWindow[] = [];
  class FakeWindow {
    readonly options: BrowserWindowConstructorOptions;
    readonly handlers = new Map<string, (event: { preventDefault(): void }) => void>();
    openHandler: (() => { action: string }) | undefined;
    readonly webContents;
    constructor(options: BrowserWindowConstructorOptions) {
      this.options = options;
      made.push(this);
      this.webContents = {
        session,
        on: (event: string, listener: (e: { preventDefault(): void }) => void): unknown => this.handlers.set(event, listener),
        setWindowOpenHandler: (handler: () => { action: 'allow' | 'deny' }) => {
          this.openHandler = handler;
        },
      };
    }
  }
  const hooks: {
    permission?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
    check?: () => boolean;
    headers?: (details: { responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders?: Record<string, string | string[]> }) => void) => void;
  } = {};
  const session: SessionLike = {
    setPermissionRequestHandler: (h) => (hooks.permission = h),
    setPermissionCheckHandler: (h) => (hooks.check = h),
    webRequest: { onHeadersReceived: (l) => (hooks.headers = l) },
  };
  return { FakeWindow, made, hooks };
}

test('every kind of window the shell creates is sandboxed, isolated, CSP-bound, and can neither navigate nor open windows', async () => {
  const paths = appPaths(path.join(repoRoot, 'build', 'src', 'main', 'electron'));
  const kinds = Object.entries(windowKinds);
  assert.ok(kinds.length >= 1);
  for (const [name, kind] of kinds) {
    const { FakeWindow, made, hooks } = fakeElectron();
    const options = kind(paths, 'Tessera');
    buildSecureWindow(FakeWindow, options);
    assert.equal(made.length, 1, name);
    const w = made[0];
    assert.ok(w);
    const prefs = w.options.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true, name);
    assert.equal(prefs.sandbox, true, name);
    assert.equal(prefs.nodeIntegration, false, name);
    assert.equal(prefs.nodeIntegrationInWorker, false, name);
    assert.equal(prefs.webviewTag, false, name);
    assert.match(String(prefs.preload), /\.cjs$/, name);
    await access(String(prefs.preload));
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      let prevented = false;
      const listener = w.handlers.get(event);
      assert.ok(listener, `${name}: ${event} handled`);
      listener({ preventDefault: () => (prevented = true) });
      assert.equal(prevented, true, `${name}: ${event} prevented`);
    }
    assert.deepEqual(w.openHandler?.(), { action: 'deny' }, name);
    let granted: boolean | undefined;
    hooks.permission?.(null, 'hid', (g) => (granted = g));
    assert.equal(granted, false, name);
    assert.equal(hooks.check?.(), false, name);
    let headers: Record<string, string | string[]> | undefined;
    hooks.headers?.({ responseHeaders: { 'Content-Security-Policy': ['default-src *'] } }, (r) => (headers = r.responseHeaders));
    assert.deepEqual(headers, { 'Content-Security-Policy': [contentSecurityPolicy] }, name);
  }
});

test('windows are created only from the window-kinds table, through the one factory', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(electronDir)) {
    const name = path.basename(file);
    const text = await readFile(file, 'utf8');
    if (/new\s+(?:electron\.|Electron\.)?BrowserWindow\s*\(/.test(text)) offenders.push(`${name}: new BrowserWindow`);
    if (name !== 'secure-window.ts' && name !== 'secure-window-core.ts' && /buildSecureWindow\s*\(/.test(text)) offenders.push(`${name}: buildSecureWindow`);
    for (const call of text.matchAll(/createSecureWindow\s*\(([^)]*)/g)) {
      if (name === 'secure-window.ts') continue;
      if (!/^\s*windowKinds\.\w+\(/.test(call[1] ?? '')) offenders.push(`${name}: createSecureWindow(${call[1]})`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the factory is the only file that sets webPreferences or uses BrowserView/webview', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(electronDir)) {
    const name = path.basename(file);
    if (name === 'secure-window-core.ts' || name === 'secure-window-policy.ts') continue;
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
