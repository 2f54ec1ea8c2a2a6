/**
 * Start at login, as the policy says. Windows and macOS register the app with the OS
 * (`app.setLoginItemSettings`); on Linux Electron cannot, so nothing is done here: the
 * workstation's configuration management adds an XDG autostart entry (`/etc/xdg/autostart`).
 */

/** What `app.setLoginItemSettings` is given (the subset we use). */
export interface LoginItemSettings {
  openAtLogin: boolean;
  /** Windows: started hidden in the tray (the window opens when a card is inserted). */
  args?: string[];
  path?: string;
}

/** The argument that starts the shell without opening its window. */
export const hiddenArg = '--hidden';

export function loginItemSettingsFor(startAtLogin: boolean, platform: NodeJS.Platform, execPath: string): LoginItemSettings | null {
  switch (platform) {
    case 'win32':
      return { openAtLogin: startAtLogin, path: execPath, args: [hiddenArg] };
    case 'darwin':
      return { openAtLogin: startAtLogin };
    default:
      return null;
  }
}

export interface LoginItemsLike {
  setLoginItemSettings(settings: LoginItemSettings): void;
}

/** Applies the policy; answers what was set (null: left to the package on this OS). */
export function applyLoginItem(app: LoginItemsLike, startAtLogin: boolean, platform: NodeJS.Platform, execPath: string): LoginItemSettings | null {
  const settings = loginItemSettingsFor(startAtLogin, platform, execPath);
  if (settings) app.setLoginItemSettings(settings);
  return settings;
}
