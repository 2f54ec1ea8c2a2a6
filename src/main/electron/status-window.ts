/** The status window: created through the secure factory, fed by the status feed. */
import type { BrowserWindow } from 'electron';
import { IpcChannel } from '../../shared/ipc-contract.js';
import type { StatusFeed } from './status-feed.js';
import { createSecureWindow } from './secure-window.js';
import type { AppPaths } from './app-paths.js';

export interface StatusWindowController {
  /** Shows the window, creating it if it was closed. */
  show(): void;
}

export function statusWindowController(paths: AppPaths, feed: StatusFeed, title: string): StatusWindowController {
  let window: BrowserWindow | null = null;
  feed.subscribe((view) => {
    if (window && !window.isDestroyed()) window.webContents.send(IpcChannel.statusChanged, view);
  });
  return {
    show() {
      if (window && !window.isDestroyed()) {
        window.show();
        window.focus();
        return;
      }
      const created = createSecureWindow({
        preload: paths.statusPreload,
        title,
        width: 440,
        height: 280,
        resizable: false,
        maximizable: false,
        fullscreenable: false,
        show: false,
        autoHideMenuBar: true,
      });
      created.once('ready-to-show', () => created.show());
      created.on('closed', () => {
        if (window === created) window = null;
      });
      window = created;
      void created.loadFile(paths.rendererIndex);
    },
  };
}
