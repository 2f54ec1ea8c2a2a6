/**
 * Every kind of window the shell creates, as data. Each goes through the secure factory; a
 * test builds each kind with a fake `BrowserWindow` and checks its security settings, and
 * fails if a window is created from anything but an entry of this table.
 */
import type { AppPaths } from './app-paths.js';
import type { SecureWindowOptions } from './secure-window-core.js';

export const windowKinds = {
  /** The app window: prompts (PIN pad), status, enrolment, settings. */
  main: (paths: AppPaths, title: string): SecureWindowOptions => ({
    preload: paths.statusPreload,
    title,
    width: 560,
    height: 720,
    minWidth: 400,
    minHeight: 480,
    maximizable: false,
    fullscreenable: false,
    show: false,
    autoHideMenuBar: true,
  }),
} as const satisfies Record<string, (paths: AppPaths, title: string) => SecureWindowOptions>;

export type WindowKind = keyof typeof windowKinds;
