/**
 * Forwards the OS power and lock events that matter to a session (see `PowerEvents`).
 * Electron's `powerMonitor` satisfies `PowerMonitorLike`; tests pass a fake emitter.
 */
import type { ForwardedPowerEvent, PowerEvents } from '../../shared/power-events.js';

export interface PowerMonitorLike {
  on(event: ForwardedPowerEvent, listener: () => void): unknown;
  removeListener(event: ForwardedPowerEvent, listener: () => void): unknown;
}

/** Subscribes the sink to the monitor; returns the function that unsubscribes. */
export function forwardPowerEvents(monitor: PowerMonitorLike, sink: PowerEvents): () => void {
  const table: [ForwardedPowerEvent, () => void][] = [
    ['lock-screen', () => sink.screenLocked()],
    ['suspend', () => sink.suspending()],
    ['resume', () => sink.resumed()],
  ];
  for (const [event, listener] of table) monitor.on(event, listener);
  return () => {
    for (const [event, listener] of table) monitor.removeListener(event, listener);
  };
}
