/**
 * The engine's state seen through the UI contract: `EngineStatus` (session engine), the degraded
 * reasons and the readers become one `StatusView`. Pure: the same inputs give the same view.
 */
import type { EngineStatus, PersonSessionView } from '../../session/engine/session-engine.js';
import {
  maxDegradedReasons,
  maxDisplayNameLength,
  maxPersonIdLength,
  maxReaderNameLength,
  maxReaders,
  type AllowedActions,
  type DegradedReason,
  type SessionView,
  type SsoView,
  type StatusView,
} from '../../../shared/status-view.js';

export interface StatusInputs {
  readonly engine: EngineStatus;
  readonly degraded: readonly { readonly code: string; readonly since: string }[];
  readonly readers: readonly { readonly name: string; readonly card: boolean }[];
  readonly sso: SsoView | null;
  readonly agent: 'ok' | 'error';
  readonly allowed: AllowedActions;
}

/** `session.card_removed` → `card_removed`: the contract carries bare snake-case codes. */
export function bareCode(reason: string): string | undefined {
  const code = reason.slice(reason.lastIndexOf('.') + 1);
  return /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : undefined;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The first of `texts` that is not blank, else `?` (the contract carries no empty name or id). */
function shown(max: number, ...texts: (string | undefined)[]): string {
  return clip(texts.find((t) => t !== undefined && t.trim().length > 0)?.trim() ?? '?', max);
}

function personSessionView(s: PersonSessionView): SessionView {
  const reason = s.state !== 'active' && s.lockReason ? bareCode(s.lockReason) : undefined;
  return {
    state: s.state,
    person: {
      displayName: shown(maxDisplayNameLength, s.person.name, s.person.id),
      // The RPPS number alone, also when only the subject id carries it (a badge's subject).
      id: shown(maxPersonIdLength, s.person.rpps, /^rpps:\d{11}$/.test(s.person.id) ? s.person.id.slice(5) : s.person.id),
    },
    means: s.means,
    factors: [...new Set(s.factors)],
    windowEnd: s.windowEnd.toISOString(),
    ...(reason ? { reason } : {}),
  };
}

export function sessionViewOf(engine: EngineStatus): SessionView {
  if (engine.state === 'authenticating') {
    const a = engine.authenticating;
    return {
      state: 'authenticating',
      ...(a?.means ? { means: a.means } : {}),
      ...(a?.reader?.trim() ? { reader: clip(a.reader, maxReaderNameLength) } : {}),
    };
  }
  if (engine.state === 'signed_out' || !engine.current) return { state: 'none' };
  return personSessionView(engine.current);
}

export function statusViewOf(inputs: StatusInputs): StatusView {
  return {
    session: sessionViewOf(inputs.engine),
    sso: inputs.sso,
    degraded: {
      reasons: inputs.degraded
        .filter((r) => /^[a-z][a-z0-9_]{0,63}$/.test(r.code))
        .slice(0, maxDegradedReasons)
        .map((r): DegradedReason => ({ code: r.code, since: r.since })),
    },
    readers: inputs.readers
      .filter((r) => r.name.trim().length > 0)
      .slice(0, maxReaders)
      .map((r) => ({ name: clip(r.name, maxReaderNameLength), card: r.card })),
    agent: inputs.agent,
    allowed: { ...inputs.allowed, enrol: [...inputs.allowed.enrol] },
  };
}
