/**
 * The minimal session: opened by a two-factor `AuthEvent`, locked when the contact card that
 * opened it leaves its reader (or on an explicit lock), and re-opened by a badge tap inside the
 * EXI 14 re-identification window. The session-engine issue replaces it with the RIE policy and
 * the audit trail; the states here are a subset of that machine.
 *
 * EXI 14 as implemented here: a LOCKED session is unlocked without PIN by a one-factor badge
 * event when
 *  - the badge event's subject is the session's person (`subject.id`),
 *  - the badge is enrolled (its proof carries the enrolment id the badge means checked against
 *    the enrolment register; an unenrolled or revoked badge never reaches this point as an
 *    event, the agent passes the refusal instead),
 *  - when the last two-factor event was itself made with a badge, it is the SAME badge
 *    (same enrolment id): "same MIE";
 *  - the last two-factor event of that person is at most `windowMs` old.
 * A tap never moves the window: only a new two-factor event does. Anything else answers
 * `second_factor_required` with a reason code, and the state does not change.
 */
import type { AuthEvent, Subject } from '../means/auth-event.js';
import { ConfigError } from '../config/config.js';

export type SessionState =
  | { readonly state: 'none' }
  | { readonly state: 'active'; readonly subject: Subject; readonly means: AuthEvent['means']; readonly since: Date; readonly reader?: string }
  | { readonly state: 'locked'; readonly subject: Subject; readonly means: AuthEvent['means']; readonly since: Date; readonly lockedAt: Date; readonly reason: LockReason };

export type LockReason = 'card_removed' | 'user_lock';

/** Why a badge tap did not unlock: the person must do a full two-factor login. */
export type SecondFactorReason =
  | 'no_session'
  | 'window_expired'
  | 'other_person'
  | 'not_same_means'
  | 'badge_not_enrolled'
  | 'badge_revoked'
  | 'badge_auth_failed';

export type SessionDecision =
  | { readonly decision: 'opened'; readonly reason: 'two_factor' }
  | { readonly decision: 'refused'; readonly reason: 'not_two_factor' }
  | { readonly decision: 'locked'; readonly reason: LockReason }
  | { readonly decision: 'unlocked'; readonly reason: 'exi14_window' }
  | { readonly decision: 'second_factor_required'; readonly reason: SecondFactorReason }
  | { readonly decision: 'ignored'; readonly reason: 'not_session_card' | 'no_session' | 'already_active' };

/** A badge tap as the agent hands it over: the one-factor event, or why the badge means refused it. */
export type BadgeTap = AuthEvent | { readonly refused: 'badge_not_enrolled' | 'badge_revoked' | 'badge_auth_failed' };

/** The re-identification window as a person sees it ("visible to the user"). */
export interface Reidentification {
  /** When the last two-factor authentication took place. */
  readonly twoFactorAt: Date;
  /** Until when a tap of the enrolled badge unlocks (exclusive of later instants). */
  readonly until: Date;
  readonly means: AuthEvent['means'];
}

export const EXI14_DEFAULT_WINDOW_MS = 4 * 3600_000;
export const EXI14_MIN_WINDOW_MS = 60_000;
export const EXI14_MAX_WINDOW_MS = 12 * 3600_000;

export interface MinimalSessionOptions {
  /** Injectable clock. */
  readonly now?: () => Date;
  /** EXI 14 window in milliseconds: 1 min to 12 h, default 4 h. */
  readonly windowMs?: number;
}

interface TwoFactorRecord {
  readonly at: Date;
  readonly subjectId: string;
  readonly means: AuthEvent['means'];
  /** Enrolment id of the badge when the two-factor event was badge + PIN. */
  readonly enrolmentId?: string;
}

/** Validates the EXI 14 window setting (a configuration error names the limits, never clamps). */
export function checkWindowMs(windowMs: number): number {
  if (!Number.isInteger(windowMs) || windowMs < EXI14_MIN_WINDOW_MS || windowMs > EXI14_MAX_WINDOW_MS) {
    throw new ConfigError(`session.exi14WindowMs: expected an integer from ${EXI14_MIN_WINDOW_MS} (1 min) to ${EXI14_MAX_WINDOW_MS} (12 h), got ${String(windowMs)}`);
  }
  return windowMs;
}

export class MinimalSession {
  private current: SessionState = { state: 'none' };
  private lastTwoFactor: TwoFactorRecord | undefined;
  private readonly listeners = new Set<(s: SessionState, d: SessionDecision) => void>();
  private readonly now: () => Date;
  readonly windowMs: number;

  constructor(opts: (() => Date) | MinimalSessionOptions = {}) {
    const o: MinimalSessionOptions = typeof opts === 'function' ? { now: opts } : opts;
    this.now = o.now ?? (() => new Date());
    this.windowMs = checkWindowMs(o.windowMs ?? EXI14_DEFAULT_WINDOW_MS);
  }

  get state(): SessionState {
    return this.current;
  }

  /** The open EXI 14 window of the session's person, or undefined (no 2FA yet, or expired). */
  get reidentification(): Reidentification | undefined {
    const r = this.lastTwoFactor;
    if (!r || this.current.state === 'none') return undefined;
    const until = new Date(r.at.getTime() + this.windowMs);
    return this.now().getTime() <= until.getTime() ? { twoFactorAt: r.at, until, means: r.means } : undefined;
  }

  onChange(listener: (s: SessionState, d: SessionDecision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A possession factor plus a knowledge or inherence factor opens the session (and starts the window). */
  authenticated(event: AuthEvent): SessionDecision {
    const f = new Set(event.factors);
    if (!(f.has('possession') && (f.has('knowledge') || f.has('inherence')))) {
      return this.decide({ decision: 'refused', reason: 'not_two_factor' });
    }
    // A contactless badge leaves the field right after the tap: only a contact card's reader
    // binds the session (lock on removal).
    const reader = event.means === 'desfire' ? undefined : event.reader;
    this.current = {
      state: 'active',
      subject: event.subject,
      means: event.means,
      since: event.at,
      ...(reader ? { reader } : {}),
    };
    const enrolmentId = event.proof.kind === 'desfire-mutual-auth' ? event.proof.enrolmentId : undefined;
    // The window starts when the two factors were proven, never later than "now".
    const at = new Date(Math.min(event.at.getTime(), this.now().getTime()));
    this.lastTwoFactor = { at, subjectId: event.subject.id, means: event.means, ...(enrolmentId ? { enrolmentId } : {}) };
    return this.decide({ decision: 'opened', reason: 'two_factor' });
  }

  /**
   * A badge was tapped (EXI 14). Unlocks a locked session of the same person inside the window;
   * otherwise asks for a full two-factor login. Never extends the window.
   */
  badgeTapped(tap: BadgeTap): SessionDecision {
    const s = this.current;
    if (s.state === 'active') return this.decide({ decision: 'ignored', reason: 'already_active' });
    if ('refused' in tap) return this.decide({ decision: 'second_factor_required', reason: tap.refused });
    if (s.state === 'none') return this.decide({ decision: 'second_factor_required', reason: 'no_session' });
    const proof = tap.proof;
    if (tap.means !== 'desfire' || proof.kind !== 'desfire-mutual-auth' || !tap.factors.includes('possession')) {
      return this.decide({ decision: 'second_factor_required', reason: 'not_same_means' });
    }
    if (!proof.enrolmentId) return this.decide({ decision: 'second_factor_required', reason: 'badge_not_enrolled' });
    const r = this.lastTwoFactor;
    if (!r || r.subjectId !== s.subject.id) return this.decide({ decision: 'second_factor_required', reason: 'no_session' });
    if (tap.subject.id !== s.subject.id) return this.decide({ decision: 'second_factor_required', reason: 'other_person' });
    if (r.means === 'desfire' && r.enrolmentId !== proof.enrolmentId) {
      return this.decide({ decision: 'second_factor_required', reason: 'not_same_means' });
    }
    if (this.now().getTime() > r.at.getTime() + this.windowMs) {
      return this.decide({ decision: 'second_factor_required', reason: 'window_expired' });
    }
    this.current = { state: 'active', subject: s.subject, means: 'desfire', since: this.now() };
    return this.decide({ decision: 'unlocked', reason: 'exi14_window' });
  }

  cardRemoved(reader: string): SessionDecision {
    const s = this.current;
    if (s.state !== 'active') return this.decide({ decision: 'ignored', reason: 'no_session' });
    if (s.reader !== reader) return this.decide({ decision: 'ignored', reason: 'not_session_card' });
    return this.lockNow(s, 'card_removed');
  }

  /** Explicit lock (OS lock screen, tray menu, idle timer). */
  lock(): SessionDecision {
    const s = this.current;
    if (s.state !== 'active') return this.decide({ decision: 'ignored', reason: 'no_session' });
    return this.lockNow(s, 'user_lock');
  }

  private lockNow(s: Extract<SessionState, { state: 'active' }>, reason: LockReason): SessionDecision {
    this.current = { state: 'locked', subject: s.subject, means: s.means, since: s.since, lockedAt: this.now(), reason };
    return this.decide({ decision: 'locked', reason });
  }

  private decide(d: SessionDecision): SessionDecision {
    if (d.decision === 'opened' || d.decision === 'locked' || d.decision === 'unlocked' || d.decision === 'second_factor_required') {
      for (const l of [...this.listeners]) l(this.current, d);
    }
    return d;
  }
}
