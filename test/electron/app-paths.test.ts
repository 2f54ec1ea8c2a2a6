import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { appPaths } from '../../src/main/electron/app-paths.js';
import { trayStates } from '../../src/shared/status-view.js';
import { repoRoot } from './repo-root.js';

const paths = appPaths(path.join(repoRoot, 'build', 'src', 'main', 'electron'));

test('runtime paths point into the build output', () => {
  assert.equal(paths.statusPreload, path.join(repoRoot, 'build', 'src', 'main', 'electron', 'preload.cjs'));
  assert.equal(paths.rendererIndex, path.join(repoRoot, 'build', 'renderer', 'index.html'));
  assert.match(paths.rendererIndexUrl, /^file:\/\/.*\/build\/renderer\/index\.html$/);
});

test('the compiled preload exists where the window looks for it', async () => {
  await access(paths.statusPreload);
});

test('every tray state has its icon files on every platform', async () => {
  for (const state of trayStates) {
    for (const platform of ['win32', 'linux', 'darwin'] as const) {
      const file = paths.trayIcon(state, platform);
      await access(file);
      await access(file.replace(/\.png$/, '@2x.png'));
    }
    assert.match(paths.trayIcon(state, 'darwin'), /Template\.png$/);
  }
});
