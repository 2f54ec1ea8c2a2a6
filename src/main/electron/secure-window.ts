/**
 * The only place where a `BrowserWindow` is created (a test fails on any other `new BrowserWindow(`).
 *
 * Every window gets the fixed web preferences of `secure-window-policy.ts`, cannot navigate or
 * open windows, and lives in a session that refuses permissions and serves our CSP.
 */
import { BrowserWindow, type BrowserWindowConstructorOptions, type Session } from 'electron';
import { webPreferencesFor, windowSecurityPolicy, withContentSecurityPolicy } from './secure-window-policy.js';

/** What a caller may choose about a window: its looks, never its security settings. */
export type SecureWindowOptions = Omit<BrowserWindowConstructorOptions, 'webPreferences'> & {
  /** Absolute path of the compiled CommonJS preload (`*.cjs`) for this window. */
  preload: string;
};

const hardenedSessions = new WeakSet<Session>();

/** Refuses every permission and sets the CSP on every response of the session. Idempotent. */
export function hardenSession(session: Session): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(windowSecurityPolicy.allowPermissions));
  session.setPermissionCheckHandler(() => windowSecurityPolicy.allowPermissions);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });
}

export function createSecureWindow(options: SecureWindowOptions): BrowserWindow {
  const { preload, ...looks } = options;
  const window = new BrowserWindow({ ...looks, webPreferences: webPreferencesFor(preload) });
  const contents = window.webContents;
  hardenSession(contents.session);
  contents.on('will-navigate', (event) => {
    if (!windowSecurityPolicy.allowNavigation) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!windowSecurityPolicy.allowNavigation) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: windowSecurityPolicy.allowWindowOpen ? 'allow' : 'deny' }));
  return window;
}
