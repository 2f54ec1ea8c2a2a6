/**
 * A runtime for UI core tests that need no card: the engine status is whatever the test sets,
 * decisions and engine errors are fired by hand.
 */
import type { EngineStatus } from '../../../src/main/session/engine/session-engine.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import type { UiRuntime } from '../../../src/main/shells/ui-core/ui-core.js';

export interface ScriptedRuntime extends UiRuntime {
  set(s: Partial<EngineStatus>): void;
  /** Tells the listeners a decision was recorded (the status is then read again). */
  fire(): void;
  fail(e: unknown): void;
  degradedReasons: { code: string; since: string }[];
}

export function scriptedRuntime(): ScriptedRuntime {
  let status: EngineStatus = { state: 'signed_out', workstation: 'w', windowMs: 3_600_000, now: new Date(), locked: false, others: [] };
  const listeners = new Set<(d: Decision) => void>();
  const errors = new Set<(e: unknown) => void>();
  const rt: ScriptedRuntime = {
    engine: {
      status: () => status,
      lock: () => Promise.reject(new Error('not scripted')),
      signOut: () => Promise.reject(new Error('not scripted')),
      onRecorded: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      onError: (l) => {
        errors.add(l);
        return () => errors.delete(l);
      },
    },
    agent: { readers: () => [{ name: 'Lecteur 0', card: false }] },
    degradedReasons: [],
    degraded: () => rt.degradedReasons,
    set(s) {
      status = { ...status, ...s };
    },
    fire() {
      for (const l of listeners) l({} as Decision);
    },
    fail(e) {
      for (const l of errors) l(e);
    },
  };
  return rt;
}
