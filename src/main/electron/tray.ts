/** The tray icon and its menu, rebuilt from `trayModel` on every status change and every minute. */
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { StatusView } from '../../shared/status-view.js';
import { trayModel, type TrayAction, type TrayMenuItem, type TrayModelOptions } from './tray-model.js';
import type { AppPaths } from './app-paths.js';

export interface TrayController {
  update(view: StatusView): void;
  destroy(): void;
}

export interface TrayOptions extends TrayModelOptions {
  paths: AppPaths;
  platform: NodeJS.Platform;
  onAction(action: TrayAction): void;
}

function menuItem(item: TrayMenuItem, onAction: (action: TrayAction) => void): MenuItemConstructorOptions {
  switch (item.kind) {
    case 'separator':
      return { type: 'separator' };
    case 'label':
      return { label: item.label, enabled: false };
    case 'action':
      return { label: item.label, click: () => onAction(item.action) };
  }
}

/** The time left is in the status line: the menu is rebuilt this often. */
const refreshMs = 30_000;

export function createTray(initial: StatusView, options: TrayOptions): TrayController {
  let view = initial;
  let shownIcon = '';
  const tray = new Tray(nativeImage.createFromPath(options.paths.trayIcon(trayModel(view, Date.now(), options).icon, options.platform)));
  const apply = () => {
    const model = trayModel(view, Date.now(), options);
    const icon = options.paths.trayIcon(model.icon, options.platform);
    if (icon !== shownIcon) tray.setImage(nativeImage.createFromPath(icon));
    shownIcon = icon;
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((item) => menuItem(item, options.onAction))));
  };
  apply();
  const timer = setInterval(apply, refreshMs);
  timer.unref();
  // Windows users expect a left click to open the app; Linux and macOS show the menu.
  tray.on('click', () => {
    if (options.platform === 'win32') options.onAction('show-status');
  });
  return {
    update(next) {
      view = next;
      apply();
    },
    destroy() {
      clearInterval(timer);
      tray.destroy();
    },
  };
}
