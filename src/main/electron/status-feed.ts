/**
 * Holds the status the shell displays and tells its subscribers (tray, windows) when it
 * changes. The session core sets it; the shell only reads it.
 */
import { isStatusView, noSession, type StatusView } from '../../shared/status-view.js';

export interface StatusFeed {
  current(): StatusView;
  /** Replaces the status; rejects a value that breaks the contract instead of displaying it. */
  set(view: StatusView): void;
  /** The listener is called on each change (not with the current value); returns unsubscribe. */
  subscribe(listener: (view: StatusView) => void): () => void;
}

export function createStatusFeed(initial: StatusView = noSession): StatusFeed {
  let view = initial;
  const listeners = new Set<(view: StatusView) => void>();
  return {
    current: () => view,
    set(next) {
      if (!isStatusView(next)) throw new TypeError('status does not match the StatusView contract');
      view = next;
      for (const listener of [...listeners]) listener(view);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
