/**
 * What each tray item does, as data: an action of the host, the app window on a section, the
 * native About panel, or quitting. Pure, so the mapping is tested without Electron.
 */
import type { TrayAction } from './tray-model.js';

export type TrayEffect =
  | { kind: 'host'; call: 'lock' | 'signOut' | 'useSecurityKey' | 'retryConnection'; thenShow: boolean }
  | { kind: 'window'; hash?: string }
  | { kind: 'about' }
  | { kind: 'quit' };

export function trayEffect(action: TrayAction): TrayEffect {
  switch (action) {
    case 'lock':
      return { kind: 'host', call: 'lock', thenShow: false };
    case 'sign-out':
      return { kind: 'host', call: 'signOut', thenShow: false };
    // The touch-key prompt and any PIN pad appear in the window.
    case 'use-security-key':
      return { kind: 'host', call: 'useSecurityKey', thenShow: true };
    case 'retry-connection':
      return { kind: 'host', call: 'retryConnection', thenShow: false };
    case 'enrol-badge':
      return { kind: 'window', hash: 'enrol-badge' };
    case 'enrol-fido2':
      return { kind: 'window', hash: 'enrol-fido2' };
    case 'settings':
      return { kind: 'window', hash: 'settings' };
    case 'show-status':
      return { kind: 'window', hash: 'status' };
    case 'about':
      return { kind: 'about' };
    case 'quit':
      return { kind: 'quit' };
  }
}
