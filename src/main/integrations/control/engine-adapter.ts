/**
 * Wiring the control channel to the session engine: the `ControlHandler` the agent injects
 * (`status` from `engine.status()`, `lock` and `signOut` as the engine's own requests) and the
 * `decision` events streamed to subscribers. Only public fields leave the agent: decision,
 * reason, time, person id, means, factors — no certificate, badge or key material.
 */
import type { Decision } from '../../session/policy/decision.js';
import type { EngineStatus } from '../../session/engine/session-engine.js';
import type { ControlHandler, ControlServer } from './server.js';
import type { AgentStatus, DegradedModeView, DegradedReasonView } from './protocol.js';

/** The `degradedMode` view of a list of reasons (copies only the public fields). */
export function degradedModeView(reasons: readonly DegradedReasonView[]): DegradedModeView {
  return { active: reasons.length > 0, reasons: reasons.map((r) => ({ code: r.code, since: r.since, ...(r.detail !== undefined ? { detail: r.detail } : {}) })) };
}

/** What the adapter needs from `SessionEngine` or `RecordedSessionEngine`. */
export interface ControllableEngine {
  status(): EngineStatus;
  lock(): Decision | Promise<Decision>;
  signOut(): Decision | Promise<Decision>;
  onDecision(listener: (d: Decision) => void): () => void;
}

/** What the agent knows besides the session: degraded mode and readers. */
export interface AgentSurroundings {
  degraded(): boolean;
  /** Why the agent is degraded; when given, `status` carries `degradedMode`. */
  degradedReasons?(): readonly DegradedReasonView[];
  readers(): readonly { readonly name: string; readonly card: boolean }[];
  /** Web SSO state, when a provider is configured; when given, `status` carries `sso`. */
  sso?(): NonNullable<AgentStatus['sso']>;
}

export function agentStatus(s: EngineStatus, around: AgentSurroundings): AgentStatus {
  const c = s.current;
  return {
    state: s.state,
    ...(c
      ? { session: { person: c.person.id, means: c.means, factors: [...c.factors], windowLeftMs: Math.max(0, c.timeLeftMs), locked: c.state !== 'active' } }
      : {}),
    degraded: around.degraded(),
    ...(around.degradedReasons ? { degradedMode: degradedModeView(around.degradedReasons()) } : {}),
    readers: around.readers().map((r) => ({ name: r.name, card: r.card })),
    ...(around.sso ? { sso: around.sso() } : {}),
  };
}

/** The public part of a decision, as streamed to subscribers. */
export function decisionEvent(d: Decision): Record<string, unknown> {
  return {
    decision: d.decision,
    reason: d.reason,
    at: d.at.toISOString(),
    event: d.event,
    ...(d.person !== undefined ? { person: d.person } : {}),
    ...(d.means !== undefined ? { means: d.means } : {}),
    ...(d.factors !== undefined ? { factors: [...d.factors] } : {}),
    ...(d.fallback ? { fallback: true } : {}),
  };
}

export function controlHandlerFor(engine: ControllableEngine, around: AgentSurroundings): ControlHandler {
  return {
    status: () => agentStatus(engine.status(), around),
    lock: async () => {
      const d = await engine.lock();
      return { decision: d.decision, reason: d.reason };
    },
    signOut: async () => {
      const d = await engine.signOut();
      return { decision: d.decision, reason: d.reason };
    },
  };
}

/** Streams every decision (and the status after it) to subscribers; returns the unsubscribe function. */
export function streamDecisions(engine: ControllableEngine, server: Pick<ControlServer, 'publish'>, around: AgentSurroundings): () => void {
  return engine.onDecision((d) => {
    server.publish('decision', decisionEvent(d));
    server.publish('status', agentStatus(engine.status(), around));
  });
}
