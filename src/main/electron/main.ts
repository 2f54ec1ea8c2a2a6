/**
 * Electron entry point: wiring only. Everything with a decision in it lives in a module of its
 * own (window policy, IPC validation, tray model and actions, notifications, power forwarding,
 * login item, secrets) that is tested without Electron.
 */
import { app, ipcMain, Menu, Notification, powerMonitor, shell } from 'electron';
import { forwardHostEvents } from '../../shared/bridge.js';
import type { PowerEvents } from '../../shared/power-events.js';
import { pickLanguage, type Language } from '../../shared/status-text.js';
import { noSession, type StatusView } from '../../shared/status-view.js';
import { appPaths } from './app-paths.js';
import type { CoreHandle, CoreOptions } from './core.js';
import { createHostSwitch } from './host-switch.js';
import { registerIpcHandlers } from './ipc-main.js';
import { applyLoginItem, hiddenArg } from './login-item.js';
import { freshMemory, notificationsFor } from './notifications.js';
import { offlineHost, offlineStatus } from './offline-host.js';
import { forwardPowerEvents } from './power.js';
import { isTrustedSender } from './secure-window-policy.js';
import { appWindowController } from './status-window.js';
import { createTray } from './tray.js';
import { trayEffect } from './tray-actions.js';
import { productName } from './tray-model.js';

export interface ShellDependencies {
  /** Starts the agent core (the UI core over the agent runtime). */
  startCore(options: CoreOptions): Promise<CoreHandle>;
  configPath?: string;
  log(message: string, cause?: unknown): void;
}

/** Expiry warnings depend on the clock, not only on pushes: checked this often. */
const notifyTickMs = 30_000;

export async function startDesktopShell(deps: ShellDependencies): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const paths = appPaths(import.meta.dirname);
  const systemLanguage = pickLanguage(app.getPreferredSystemLanguages());
  let language: Language = systemLanguage;
  const appWindow = appWindowController(paths, productName(language));

  let core: CoreHandle | null = null;
  let notificationsOn = true;
  let starting: Promise<void> | null = null;
  const start = (): Promise<void> =>
    (starting ??= (async () => {
      try {
        const started = await deps.startCore({
          ...(deps.configPath !== undefined ? { configPath: deps.configPath } : {}),
          log: deps.log,
          // The web SSO's authorization and end-session pages open in the person's own browser.
          openExternal: (url) => shell.openExternal(url),
        });
        core = started;
        await hosts.set(started.host);
        applyLoginItem(app, started.policy.startAtLogin, process.platform, process.execPath);
        const settings = await started.host.getSettings();
        if (settings.ok) {
          notificationsOn = settings.value.values.notifications;
          if (settings.value.values.language !== 'system') language = settings.value.values.language;
        }
      } catch (cause) {
        deps.log('the agent core did not start; the shell stays offline until "retry connection"', cause);
        showStatus(offlineStatus);
      } finally {
        starting = null;
      }
    })());
  const hosts = createHostSwitch(offlineHost(() => void start()));
  // Until the core reports, nobody is signed in; the tray and notifications follow every status.
  let status: StatusView = noSession;
  let showStatus = (view: StatusView): void => {
    status = view;
  };
  const power: PowerEvents = {
    screenLocked: () => core?.power.screenLocked(),
    suspending: () => core?.power.suspending(),
    resumed: () => core?.power.resumed(),
  };

  app.on('second-instance', () => appWindow.show());
  // A tray agent keeps running with no window open; Electron would quit without this listener.
  app.on('window-all-closed', () => undefined);
  // Any web contents not made by the secure factory still may not navigate or open windows.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    // The audit log is closed and the session engine stopped before the process ends.
    event.preventDefault();
    quitting = true;
    void core.stop().finally(() => app.quit());
  });

  await app.whenReady();
  Menu.setApplicationMenu(null);
  app.setAboutPanelOptions({ applicationName: productName(language), applicationVersion: app.getVersion(), copyright: 'Tessera' });
  registerIpcHandlers(ipcMain, hosts.host, { isTrustedSender: (url) => isTrustedSender(url, paths.rendererIndexUrl), log: deps.log });
  forwardHostEvents(hosts.host, (channel, payload) => appWindow.send(channel, payload));
  forwardPowerEvents(powerMonitor, power);

  const tray = createTray(status, {
    paths,
    platform: process.platform,
    get language() {
      return language;
    },
    onAction: (action) => {
      const effect = trayEffect(action);
      switch (effect.kind) {
        case 'host':
          void Promise.resolve(hosts.host[effect.call]()).then((r) => {
            if (!r.ok) deps.log(`tray ${action}: ${r.error.code}`);
          });
          if (effect.thenShow) appWindow.show();
          return;
        case 'window':
          appWindow.show(effect.hash);
          return;
        case 'about':
          app.showAboutPanel();
          return;
        case 'quit':
          app.quit();
          return;
      }
    },
  });

  showStatus = (view) => {
    status = view;
    tray.update(view);
    notify();
  };
  let memory = freshMemory;
  const notify = () => {
    const step = notificationsFor(memory, status, Date.now(), language);
    memory = step.memory;
    if (!notificationsOn || !Notification.isSupported() || appWindow.focused()) return;
    for (const n of step.notifications) new Notification({ title: n.title, body: n.body }).show();
  };
  hosts.host.onStatus(showStatus);
  setInterval(() => {
    // The settings screen may have changed them: notifications, and the tray's language.
    void Promise.resolve(hosts.host.getSettings()).then((s) => {
      if (!s.ok) return;
      notificationsOn = s.value.values.notifications;
      language = s.value.values.language === 'system' ? systemLanguage : s.value.values.language;
    });
    notify();
  }, notifyTickMs).unref();
  // A PIN request opens the window, wherever the person is.
  hosts.host.onPrompt((prompt) => {
    if (prompt.kind !== 'none') appWindow.show();
  });

  if (!process.argv.includes(hiddenArg)) appWindow.show();
  await start();
}

function log(message: string, cause?: unknown): void {
  if (cause === undefined) console.error(`[tessera] ${message}`);
  else console.error(`[tessera] ${message}`, cause);
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// The agent core is loaded only once Electron runs this file (not when tests import modules).
// `--demo` (npm start): the simulated world of `npm run demo` instead of this machine's readers and policy.
const configPath = argValue('--config');
const demo = process.argv.includes('--demo');
startDesktopShell({
  startCore: async (options) => (demo ? (await import('./demo-core.js')).startDemoCore(options) : (await import('./core.js')).startCore(options)),
  ...(configPath !== undefined ? { configPath } : {}),
  log,
}).catch((cause: unknown) => {
  log('desktop shell failed to start', cause);
  app.exit(1);
});
