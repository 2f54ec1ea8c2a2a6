/**
 * The security policy every Tessera window gets, as plain data.
 *
 * This module must load in plain Node (the tests import it without an Electron binary), so it
 * imports Electron for types only. `secure-window.ts` applies it through Electron's APIs.
 */
import type { WebPreferences } from 'electron';

/** The CSP directives, in the order they are written out. Nothing is allowed inline. */
export const cspDirectives = [
  ['default-src', "'none'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self'"],
  ['connect-src', "'self'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
] as const satisfies readonly (readonly [string, string])[];

export const contentSecurityPolicy: string = cspDirectives.map(([name, value]) => `${name} ${value}`).join('; ');

/** Web preferences of every window, minus the preload path which depends on the window. */
export const baseWebPreferences = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webviewTag: false,
  spellcheck: false,
} as const satisfies WebPreferences);

export const windowSecurityPolicy = Object.freeze({
  webPreferences: baseWebPreferences,
  contentSecurityPolicy,
  /** No window may navigate away from the page it was loaded with. */
  allowNavigation: false,
  /** No page may open a window (window.open, target=_blank). */
  allowWindowOpen: false,
  /** Every permission request (camera, notifications, HID...) is refused. */
  allowPermissions: false,
});

/** The web preferences for one window: the fixed policy plus its own preload script. */
export function webPreferencesFor(preloadPath: string): WebPreferences {
  if (!preloadPath.endsWith('.cjs')) {
    // A sandboxed preload is loaded as a CommonJS script; an ESM file would fail at run time.
    throw new Error(`preload must be a compiled .cjs file, got ${preloadPath}`);
  }
  return { ...baseWebPreferences, preload: preloadPath };
}

/**
 * Response headers with our CSP set, replacing any CSP header already present whatever its
 * case (a header left over in another case would be merged by the browser, not replaced).
 */
export function withContentSecurityPolicy(
  headers: Readonly<Record<string, string | string[]>> | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'content-security-policy' || lower === 'content-security-policy-report-only') continue;
    out[name] = value;
  }
  out['Content-Security-Policy'] = [contentSecurityPolicy];
  return out;
}

/**
 * True when an IPC message comes from the page a window was created for. Compares scheme,
 * host and path of the sending frame with the trusted page; query and fragment are ignored.
 */
export function isTrustedSender(frameUrl: string | null | undefined, trustedPageUrl: string): boolean {
  if (!frameUrl) return false;
  let got: URL;
  let want: URL;
  try {
    got = new URL(frameUrl);
    want = new URL(trustedPageUrl);
  } catch {
    return false;
  }
  return got.protocol === want.protocol && got.host === want.host && got.pathname === want.pathname;
}
