/**
 * The app window: created through the secure factory from `windowKinds.main`, fed with every
 * push of the host, opened on a section (`#enrol-badge`, `#settings`) from the tray.
 */
import type { BrowserWindow } from 'electron';
import type { EventChannel, EventContract } from '../../shared/ipc-contract.js';
import type { AppPaths } from './app-paths.js';
import { createSecureWindow } from './secure-window.js';
import { windowKinds } from './window-kinds.js';

export interface AppWindowController {
  /** Shows the window (creating it if it was closed), on a section when `hash` is given. */
  show(hash?: string): void;
  /** Sends a push to the window, if it is open. */
  send<E extends EventChannel>(channel: E, payload: EventContract[E]): void;
  /** Whether the window is open and focused (notifications are then not needed). */
  focused(): boolean;
}

export function appWindowController(paths: AppPaths, title: string): AppWindowController {
  let window: BrowserWindow | null = null;
  const open = () => (window && !window.isDestroyed() ? window : null);
  return {
    show(hash) {
      const existing = open();
      if (existing) {
        // Loading the same page again with another fragment is the app's own navigation.
        if (hash !== undefined) void existing.loadFile(paths.rendererIndex, { hash });
        existing.show();
        existing.focus();
        return;
      }
      const created = createSecureWindow(windowKinds.main(paths, title));
      created.once('ready-to-show', () => created.show());
      created.on('closed', () => {
        if (window === created) window = null;
      });
      window = created;
      void created.loadFile(paths.rendererIndex, hash !== undefined ? { hash } : {});
    },
    send(channel, payload) {
      open()?.webContents.send(channel, payload);
    },
    focused: () => open()?.isFocused() ?? false,
  };
}
