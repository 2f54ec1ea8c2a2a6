/**
 * The OS power and lock events, delivered to the session engine: screen locked and suspend
 * lock the session in front (recorded before they take effect); resume lets windows that
 * ended during sleep expire and checks the identity provider again at once.
 */
import type { PowerEvents } from '../../shared/power-events.js';

export interface PowerEngine {
  screenLocked(): Promise<unknown>;
  suspending(): Promise<unknown>;
  resumed(): Promise<unknown>;
}

export interface PowerTargets {
  engine: PowerEngine;
  /** The identity provider probe, when SSO is configured. */
  probe?: { checkNow(): Promise<unknown> } | undefined;
  log(message: string, cause?: unknown): void;
}

export function enginePowerEvents(targets: PowerTargets): PowerEvents {
  const run = (what: string, p: Promise<unknown>) => {
    p.catch((cause: unknown) => targets.log(`power: ${what} not recorded`, cause));
  };
  return {
    screenLocked: () => run('screen lock', targets.engine.screenLocked()),
    suspending: () => run('suspend', targets.engine.suspending()),
    resumed: () => {
      run('resume', targets.engine.resumed());
      if (targets.probe) run('provider check after resume', targets.probe.checkNow());
    },
  };
}
