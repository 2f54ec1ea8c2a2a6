/**
 * The only place where a `BrowserWindow` is created (a test fails on any other construction
 * or `buildSecureWindow(`): Electron's class bound to the hardened factory of `secure-window-core.ts`.
 */
import { BrowserWindow } from 'electron';
import { buildSecureWindow, type SecureWindowOptions } from './secure-window-core.js';

export type { SecureWindowOptions } from './secure-window-core.js';

export function createSecureWindow(options: SecureWindowOptions): BrowserWindow {
  return buildSecureWindow(BrowserWindow, options);
}
