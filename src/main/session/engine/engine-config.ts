/**
 * The engine's settings, validated when the engine is built: a wrong type or a value out of its
 * range is a `ConfigError` naming the setting and the allowed values; nothing is clamped.
 */
import { ConfigError } from '../../config/config.js';
import { checkExi14WindowMs, EXI14_DEFAULT_WINDOW_MS } from '../policy/exi14.js';

/** What pulling the contact card that opened a session does. */
export type RemovalAction = 'lock' | 'sign_out' | 'nothing';
export const REMOVAL_ACTIONS: readonly RemovalAction[] = ['lock', 'sign_out', 'nothing'];

export const IDLE_LOCK_MIN_MS = 30_000;
export const IDLE_LOCK_MAX_MS = 12 * 3600_000;

export interface SessionEngineConfig {
  /** EXI 14 window, ms: 60,000 (1 min) to 43,200,000 (12 h); default 4 h. */
  readonly exi14WindowMs?: number;
  /** Default `lock`. */
  readonly onCardRemoval?: RemovalAction;
  /** Lock after this long without activity, ms (30 s to 12 h); absent: no idle lock. */
  readonly idleLockMs?: number;
  /** Workstation name written in every decision (default `local`). */
  readonly workstation?: string;
}

export interface ResolvedEngineConfig {
  readonly exi14WindowMs: number;
  readonly onCardRemoval: RemovalAction;
  readonly idleLockMs: number | undefined;
  readonly workstation: string;
}

export function resolveEngineConfig(c: SessionEngineConfig = {}): ResolvedEngineConfig {
  const raw = c as Record<string, unknown>;
  for (const k of Object.keys(raw)) {
    if (!['exi14WindowMs', 'onCardRemoval', 'idleLockMs', 'workstation'].includes(k)) {
      throw new ConfigError(`session.${k}: unknown setting (allowed: exi14WindowMs, onCardRemoval, idleLockMs, workstation)`);
    }
  }
  const exi14WindowMs = c.exi14WindowMs === undefined ? EXI14_DEFAULT_WINDOW_MS : checkExi14WindowMs(c.exi14WindowMs);
  const removal: unknown = c.onCardRemoval ?? 'lock';
  const onCardRemoval = REMOVAL_ACTIONS.find((a) => a === removal);
  if (!onCardRemoval) throw new ConfigError(`session.onCardRemoval: expected one of ${REMOVAL_ACTIONS.join(', ')}, got ${JSON.stringify(removal)}`);
  const idle: unknown = c.idleLockMs;
  if (idle !== undefined && (typeof idle !== 'number' || !Number.isInteger(idle) || idle < IDLE_LOCK_MIN_MS || idle > IDLE_LOCK_MAX_MS)) {
    throw new ConfigError(`session.idleLockMs: expected an integer number of milliseconds from ${IDLE_LOCK_MIN_MS} (30 s) to ${IDLE_LOCK_MAX_MS} (12 h), or no setting, got ${String(idle)}`);
  }
  const ws: unknown = c.workstation ?? 'local';
  if (typeof ws !== 'string' || ws.length === 0 || ws.length > 255) throw new ConfigError('session.workstation: expected a non-empty name of at most 255 characters');
  return { exi14WindowMs, onCardRemoval, idleLockMs: idle as number | undefined, workstation: ws };
}
