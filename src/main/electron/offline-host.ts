/**
 * The host the shell talks to while it has no agent core: the status says the agent is in
 * error (the UI offers "retry the connection") and every action answers `unavailable`.
 * Used before the core has started and after it failed to start.
 */
import type { TesseraHost } from '../../shared/bridge.js';
import { IpcErrorCode, err, ok } from '../../shared/result.js';
import { noSession, type StatusView } from '../../shared/status-view.js';
import { noPrompt } from '../../shared/prompt.js';
import { defaultSettings } from '../../shared/settings.js';

export const offlineStatus: StatusView = { ...noSession, agent: 'error' };

export function offlineHost(retry: () => void = () => undefined): TesseraHost {
  const unavailable = () => err({ code: IpcErrorCode.unavailable, message: 'the agent core is not running' });
  const never = () => () => undefined;
  return {
    getStatus: () => ok(offlineStatus),
    onStatus: never,
    getPrompt: () => ok(noPrompt),
    onPrompt: never,
    submitPin: (_requestId, pin) => {
      pin.fill(0);
      return unavailable();
    },
    cancelPin: unavailable,
    cancelTouch: unavailable,
    lock: unavailable,
    signOut: unavailable,
    useSecurityKey: unavailable,
    retryConnection: () => {
      retry();
      return ok(null);
    },
    enrol: unavailable,
    cancelEnrol: unavailable,
    onEnrolProgress: never,
    getSettings: () => ok({ values: defaultSettings, allowed: { language: false, notifications: false } }),
    setSettings: () => err({ code: IpcErrorCode.notAllowed, message: 'settings cannot change while the agent is offline' }),
  };
}
