/** An engine on a manual clock with every decision recorded, for the engine tests. */
import { ManualClock } from '../../../src/main/session/engine/clock.js';
import type { SessionEngineConfig } from '../../../src/main/session/engine/engine-config.js';
import { SessionEngine } from '../../../src/main/session/engine/session-engine.js';
import type { Decision } from '../../../src/main/session/policy/decision.js';
import type { MeansRegistry } from '../../../src/main/session/policy/means-ref.js';
import { T0, registry } from '../policy/fixtures.js';

export interface Harness {
  readonly clock: ManualClock;
  readonly engine: SessionEngine;
  readonly decisions: Decision[];
  /** Decisions recorded since the last call. */
  take(): Decision[];
  readonly now: () => number;
}

export function harness(config: SessionEngineConfig = {}, reg: MeansRegistry = registry()): Harness {
  const clock = new ManualClock(T0);
  const engine = new SessionEngine({ registry: reg, config, clock });
  const decisions: Decision[] = [];
  let seen = 0;
  engine.onDecision((d) => decisions.push(d));
  return {
    clock,
    engine,
    decisions,
    now: () => clock.now(),
    take(): Decision[] {
      const out = decisions.slice(seen);
      seen = decisions.length;
      return out;
    },
  };
}

/** `decision/reason` of each decision: compact assertions on sequences. */
export const summary = (ds: readonly Decision[]): string[] => ds.map((d) => `${d.decision}/${d.reason}${d.person ? `@${d.person.split(':')[1] ?? d.person}` : ''}`);
