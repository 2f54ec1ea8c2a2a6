/**
 * Electron entry point: wiring only. Everything with a decision in it lives in a module of its
 * own (policy, IPC validation, tray model, power forwarding) that is tested without Electron.
 */
import { app, ipcMain, Menu, powerMonitor } from 'electron';
import type { TesseraHost } from '../../shared/bridge.js';
import type { PowerEvents } from '../../shared/power-events.js';
import { pickLanguage } from '../../shared/status-text.js';
import { appPaths } from './app-paths.js';
import { registerIpcHandlers } from './ipc-main.js';
import { forwardPowerEvents } from './power.js';
import { isTrustedSender } from './secure-window-policy.js';
import { createStatusFeed, type StatusFeed } from './status-feed.js';
import { statusWindowController } from './status-window.js';
import { createTray } from './tray.js';
import { offlineHost, offlineStatus } from './offline-host.js';
import { productName } from './tray-model.js';

export interface ShellDependencies {
  /** Receives lock/suspend/resume; the session core implements it. */
  power: PowerEvents;
  /** The status to display; fed from the host's status pushes. */
  status: StatusFeed;
  /** The agent core, seen through the UI contract. */
  host: TesseraHost;
  log(message: string, cause?: unknown): void;
}

export async function startDesktopShell(deps: ShellDependencies): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const paths = appPaths(import.meta.dirname);
  const language = pickLanguage(app.getPreferredSystemLanguages());
  const statusWindow = statusWindowController(paths, deps.status, productName(language));

  app.on('second-instance', () => statusWindow.show());
  // A tray agent keeps running with no window open; Electron would quit without this listener.
  app.on('window-all-closed', () => undefined);
  // Any web contents not made by the secure factory still may not navigate or open windows.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  await app.whenReady();
  Menu.setApplicationMenu(null);
  registerIpcHandlers(
    ipcMain,
    deps.host,
    { isTrustedSender: (url) => isTrustedSender(url, paths.rendererIndexUrl), log: deps.log },
  );
  forwardPowerEvents(powerMonitor, deps.power);
  const tray = createTray(deps.status.current(), {
    paths,
    platform: process.platform,
    language,
    onAction: (action) => (action === 'quit' ? app.quit() : statusWindow.show()),
  });
  deps.status.subscribe((view) => tray.update(view));
  if (!process.argv.includes('--hidden')) statusWindow.show();
}

function log(message: string, cause?: unknown): void {
  if (cause === undefined) console.error(`[tessera] ${message}`);
  else console.error(`[tessera] ${message}`, cause);
}

// The session core is not wired into the desktop shell yet: power events are only logged and
// the status stays "no session" until it is.
const loggedPowerEvents: PowerEvents = {
  screenLocked: () => log('power: screen locked'),
  suspending: () => log('power: suspending'),
  resumed: () => log('power: resumed'),
};

startDesktopShell({ power: loggedPowerEvents, status: createStatusFeed(offlineStatus), host: offlineHost(), log }).catch((cause: unknown) => {
  log('desktop shell failed to start', cause);
  app.exit(1);
});
