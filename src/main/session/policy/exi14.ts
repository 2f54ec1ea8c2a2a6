/**
 * EXI 14, the re-identification window (DOMAIN.md): one factor of a registered means may stand
 * in for a full authentication when a two-factor authentication with THAT SAME means, by THAT
 * SAME person, took place less than the window ago.
 *
 * The window is half-open: a two-factor authentication at instant t opens [t, t + windowMs).
 * At t + windowMs exactly it is over. Only a new two-factor authentication restarts it; a
 * single-factor re-identification never moves it.
 */
import { ConfigError } from '../../config/config.js';
import type { MeansKind } from '../../means/auth-event.js';
import { sameMeansRef, type MeansRef, type MeansRegistry } from './means-ref.js';
import type { Exi14Reason } from './reasons.js';

export const EXI14_DEFAULT_WINDOW_MS = 4 * 3600_000;
export const EXI14_MIN_WINDOW_MS = 60_000;
export const EXI14_MAX_WINDOW_MS = 12 * 3600_000;

/** Validates the window setting: an integer from 1 minute to 12 hours. Never clamps. */
export function checkExi14WindowMs(windowMs: unknown, field = 'session.exi14WindowMs'): number {
  if (typeof windowMs !== 'number' || !Number.isInteger(windowMs) || windowMs < EXI14_MIN_WINDOW_MS || windowMs > EXI14_MAX_WINDOW_MS) {
    throw new ConfigError(`${field}: expected an integer number of milliseconds from ${EXI14_MIN_WINDOW_MS} (1 min) to ${EXI14_MAX_WINDOW_MS} (12 h), got ${String(windowMs)}`);
  }
  return windowMs;
}

/** The two-factor authentication a window hangs on. */
export interface TwoFactorAnchor {
  readonly personId: string;
  /** Instant of the two-factor authentication, ms since the epoch. */
  readonly at: number;
  /** End of the window (exclusive), ms since the epoch. */
  readonly windowEnd: number;
  readonly means: MeansKind;
  /** The registered means that did it (undefined when the event named none). */
  readonly meansRef?: MeansRef;
}

export function windowOpen(anchor: TwoFactorAnchor, now: number): boolean {
  return now >= anchor.at && now < anchor.windowEnd;
}

export function timeLeftMs(anchor: TwoFactorAnchor, now: number): number {
  return Math.max(0, anchor.windowEnd - Math.max(now, anchor.at));
}

export interface SingleFactor {
  readonly personId: string;
  readonly meansRef?: MeansRef;
}

export type ReidentificationVerdict =
  | { readonly ok: true; readonly reason: 'exi14.reidentified' }
  | { readonly ok: false; readonly decision: 'refuse' | 'require_second_factor'; readonly reason: Exi14Reason };

/**
 * The EXI 14 rule for one single factor against the person's two-factor anchor (undefined when
 * the person has no session here). Order of the checks: the register first (a revoked or
 * foreign means is refused whatever the window), then the person's window, then "same means".
 */
export function checkReidentification(single: SingleFactor, anchor: TwoFactorAnchor | undefined, registry: MeansRegistry, now: number): ReidentificationVerdict {
  const ref = single.meansRef;
  if (!ref) return { ok: false, decision: 'require_second_factor', reason: 'exi14.means_not_registered' };
  const status = registry.status(ref);
  if (status.state === 'revoked') return { ok: false, decision: 'refuse', reason: 'exi14.means_revoked' };
  if (status.state === 'unknown') return { ok: false, decision: 'require_second_factor', reason: 'exi14.means_not_registered' };
  if (status.personId !== single.personId) return { ok: false, decision: 'refuse', reason: 'exi14.enrolment_mismatch' };
  if (!anchor || anchor.personId !== single.personId) return { ok: false, decision: 'require_second_factor', reason: 'exi14.no_session' };
  if (!windowOpen(anchor, now)) return { ok: false, decision: 'require_second_factor', reason: 'exi14.window_expired' };
  const same =
    sameMeansRef(ref, anchor.meansRef) ||
    status.boundTo.some((b) => b.kind === anchor.means && (b.id === undefined || (anchor.meansRef !== undefined && b.id === anchor.meansRef.id)));
  if (!same) return { ok: false, decision: 'require_second_factor', reason: 'exi14.not_same_means' };
  return { ok: true, reason: 'exi14.reidentified' };
}
