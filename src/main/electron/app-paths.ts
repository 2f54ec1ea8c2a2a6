/**
 * Where the shell finds its files, from the directory of the compiled main module
 * (`build/src/main/electron/`, inside `app.asar` once packaged). Pure: no Electron.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TrayState } from '../../shared/status-view.js';

export interface AppPaths {
  /** Compiled CommonJS preload of the status window. */
  statusPreload: string;
  /** Entry page of the Vite build of `src/renderer`. */
  rendererIndex: string;
  /** `file:` URL of that page, the only sender the IPC handlers trust. */
  rendererIndexUrl: string;
  /** Tray icon for a state. macOS gets the monochrome template images, others the coloured ones. */
  trayIcon(state: TrayState, platform: NodeJS.Platform): string;
}

export function appPaths(mainModuleDir: string): AppPaths {
  const root = path.resolve(mainModuleDir, '..', '..', '..', '..');
  const rendererIndex = path.join(root, 'build', 'renderer', 'index.html');
  return {
    statusPreload: path.join(mainModuleDir, 'preload.cjs'),
    rendererIndex,
    rendererIndexUrl: pathToFileURL(rendererIndex).href,
    // Electron picks the @1.5x/@2x siblings itself, and treats names ending in "Template" as
    // macOS template images (drawn in the menu bar's colour).
    trayIcon: (state, platform) =>
      path.join(root, 'assets', 'tray', platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`),
  };
}
