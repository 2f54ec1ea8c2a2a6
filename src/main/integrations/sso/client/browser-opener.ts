/**
 * How the authorization request reaches a browser. The client only sees `BrowserOpener`:
 * the headless agent and the CLI use the system browser or print the URL, the Electron shell
 * passes `shell.openExternal`, tests drive Chromium.
 */
import { spawn } from 'node:child_process';
import { SsoError } from '../sso-error.js';

export interface BrowserOpener {
  /** Opens `url` (an http(s) authorization request); resolves once handed over, not when the person is done. */
  open(url: string): Promise<void>;
}

/** The command that opens a URL in the system browser, as argv (no shell string is ever built). */
export interface OpenCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Windows only: `cmd` gets the line as written, with the URL inside double quotes so `&` is not a command separator. */
  readonly windowsVerbatimArguments: boolean;
}

/** Only http(s) URLs are handed to the system (never `file:`, `javascript:` or a custom scheme from a hostile discovery document). */
export function assertBrowsableUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw new SsoError('sso_browser_failed', 'not a URL', { reason: 'bad_url', cause: e });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new SsoError('sso_browser_failed', `refusing to open a ${parsed.protocol} URL`, { reason: 'bad_url' });
  return parsed;
}

export function systemOpenCommand(platform: NodeJS.Platform, url: string): OpenCommand {
  const href = assertBrowsableUrl(url).href;
  switch (platform) {
    case 'darwin':
      return { file: 'open', args: [href], windowsVerbatimArguments: false };
    case 'win32':
      // A serialised URL never contains a double quote (the URL parser escapes it as %22).
      return { file: 'cmd.exe', args: ['/d', '/s', '/c', `start "" "${href}"`], windowsVerbatimArguments: true };
    default:
      return { file: 'xdg-open', args: [href], windowsVerbatimArguments: false };
  }
}

/** The system browser: `xdg-open` (Linux, BSD), `open` (macOS), `cmd /c start ""` (Windows). */
export function systemBrowserOpener(platform: NodeJS.Platform = process.platform): BrowserOpener {
  return {
    async open(url: string): Promise<void> {
      const cmd = systemOpenCommand(platform, url);
      await new Promise<void>((resolve, reject) => {
        const child = spawn(cmd.file, [...cmd.args], { stdio: 'ignore', detached: true, windowsVerbatimArguments: cmd.windowsVerbatimArguments, windowsHide: true });
        child.once('error', (e) => reject(new SsoError('sso_browser_failed', `${cmd.file}: ${e.message}`, { reason: cmd.file, cause: e })));
        child.once('spawn', () => {
          child.unref();
          resolve();
        });
      });
    },
  };
}

/** Writes `Open: <url>` as one line on `stream` (stderr for the CLI) for the person, or a test, to follow. */
export function printBrowserOpener(stream: NodeJS.WritableStream): BrowserOpener {
  return {
    async open(url: string): Promise<void> {
      const href = assertBrowsableUrl(url).href;
      await new Promise<void>((resolve, reject) => {
        stream.write(`Open: ${href}\n`, (e) => (e ? reject(new SsoError('sso_browser_failed', e.message, { cause: e })) : resolve()));
      });
    },
  };
}
