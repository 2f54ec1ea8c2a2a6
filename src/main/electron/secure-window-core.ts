/**
 * How a Tessera window is built and hardened, over the few Electron surfaces it touches. This
 * module imports Electron for types only, so it loads in plain Node: the tests run it with a
 * fake `BrowserWindow` and check every window the shell defines (`window-kinds.ts`).
 * `secure-window.ts` binds it to Electron's real `BrowserWindow`.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { webPreferencesFor, windowSecurityPolicy, withContentSecurityPolicy } from './secure-window-policy.js';

/** What a caller may choose about a window: its looks, never its security settings. */
export type SecureWindowOptions = Omit<BrowserWindowConstructorOptions, 'webPreferences'> & {
  /** Absolute path of the compiled CommonJS preload (`*.cjs`) for this window. */
  preload: string;
};

interface PreventableEvent {
  preventDefault(): void;
}

/** The parts of Electron's `Session` the hardening uses. */
export interface SessionLike {
  setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: () => boolean): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void,
      ) => void,
    ): void;
  };
}

/** The parts of Electron's `WebContents` the hardening uses. */
export interface WebContentsLike {
  readonly session: SessionLike;
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: () => { action: 'allow' | 'deny' }): void;
}

export interface BrowserWindowLike {
  readonly webContents: WebContentsLike;
}

export type BrowserWindowConstructor<W extends BrowserWindowLike> = new (options: BrowserWindowConstructorOptions & { webPreferences: WebPreferences }) => W;

const hardenedSessions = new WeakSet<SessionLike>();

/** Refuses every permission and sets the CSP on every response of the session. Idempotent. */
export function hardenSession(session: SessionLike): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(windowSecurityPolicy.allowPermissions));
  session.setPermissionCheckHandler(() => windowSecurityPolicy.allowPermissions);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  });
}

/** The only way a window is made: fixed web preferences, no navigation, no new windows, hardened session. */
export function buildSecureWindow<W extends BrowserWindowLike>(Window: BrowserWindowConstructor<W>, options: SecureWindowOptions): W {
  const { preload, ...looks } = options;
  const window = new Window({ ...looks, webPreferences: webPreferencesFor(preload) });
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
