/** The tray icon and its menu, rebuilt from `trayModel` on every status change. */
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

export function createTray(initial: StatusView, options: TrayOptions): TrayController {
  const image = (view: StatusView) =>
    nativeImage.createFromPath(options.paths.trayIcon(trayModel(view, options).icon, options.platform));
  const tray = new Tray(image(initial));
  const apply = (view: StatusView) => {
    const model = trayModel(view, options);
    tray.setImage(image(view));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((item) => menuItem(item, options.onAction))));
  };
  apply(initial);
  // Windows users expect a left click to open the app; Linux and macOS show the menu.
  tray.on('click', () => {
    if (options.platform === 'win32') options.onAction('show-status');
  });
  return { update: apply, destroy: () => tray.destroy() };
}
