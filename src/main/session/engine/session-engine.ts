/**
 * The per-workstation session engine: the RIE policy and the EXI 14 window applied to the events
 * of the means (`AuthEvent`), the OS (screen locked, sleep, resume, user switch), the readers
 * (card removed, badge tapped), the idle timer and time.
 *
 *   signed_out ──2FA──▶ active ──lock/removal/idle/sleep──▶ locked ──tap in window / 2FA──▶ active
 *        │                 │ ▲                                  │
 *        └─card in, PIN pad┘ └──────── new 2FA ◀── expired ◀────┘ (window end)
 *   (authenticating overlays any state while a means works; pulling its card aborts it)
 *
 * One session per person is kept (fast user switching on shared workstations): another
 * person's 2FA, or their valid re-identification inside THEIR window, locks the session in
 * front and brings theirs forward; neither is lost. Each session keeps the two-factor
 * authentication its window hangs on; only a new 2FA moves it.
 *
 * Decisions are handed to listeners (the audit trail) BEFORE they take effect. When a listener
 * throws, a permissive decision (open, unlock, switch_user) does not take effect and the call
 * throws `SessionError('decision_not_recorded')`; a restrictive one (lock, sign_out, expire)
 * takes effect anyway (fail closed) and the failure goes to the error listeners.
 */
import type { AuthEvent, Factor, MeansKind, Subject } from '../../means/auth-event.js';
import { classify, type RieClassification } from '../policy/classify.js';
import type { Decision, DecisionKind, EngineEventKind } from '../policy/decision.js';
import { checkReidentification, timeLeftMs, type TwoFactorAnchor } from '../policy/exi14.js';
import type { MeansRegistry } from '../policy/means-ref.js';
import type { Presentation, PresentationDetail } from '../policy/presentation.js';
import type { ReasonCode, RieReason } from '../policy/reasons.js';
import { systemClock, type EngineClock, type TimerHandle } from './clock.js';
import { resolveEngineConfig, type ResolvedEngineConfig, type SessionEngineConfig } from './engine-config.js';
import { SessionError } from './session-error.js';

export type WorkstationState = 'signed_out' | 'authenticating' | 'active' | 'locked' | 'expired';
export type PersonSessionState = 'active' | 'locked' | 'expired';

export interface PersonSessionView {
  readonly person: Subject;
  readonly state: PersonSessionState;
  /** Means and factors of the last authentication (a tap shows `possession` only). */
  readonly means: MeansKind;
  readonly factors: readonly Factor[];
  /** The two-factor authentication the window hangs on. */
  readonly twoFactor: { readonly at: Date; readonly means: MeansKind; readonly reason: RieReason; readonly fallback: boolean };
  readonly windowEnd: Date;
  readonly timeLeftMs: number;
  readonly lockReason?: ReasonCode;
  readonly lockedAt?: Date;
  /** Reader of the contact card bound to the session (lock/sign out on removal). */
  readonly reader?: string;
}

export interface EngineStatus {
  readonly state: WorkstationState;
  readonly workstation: string;
  readonly windowMs: number;
  readonly now: Date;
  /** The session in front (the person the screen belongs to), if any. */
  readonly current?: PersonSessionView;
  readonly locked: boolean;
  readonly authenticating?: { readonly since: Date; readonly reader?: string; readonly means?: MeansKind };
  /** The other persons' sessions kept on this workstation. */
  readonly others: readonly PersonSessionView[];
}

/** A badge the means refused before it could become an event. */
export interface BadgeTapRefusal {
  readonly refused: 'badge_not_enrolled' | 'badge_revoked' | 'badge_auth_failed';
  readonly reader?: string;
}

export interface SessionEngineOptions {
  readonly registry: MeansRegistry;
  readonly config?: SessionEngineConfig;
  readonly clock?: EngineClock;
}

export type DecisionListener = (d: Decision) => void;

interface PersonSession {
  readonly subject: Subject;
  state: PersonSessionState;
  anchor: TwoFactorAnchor;
  twoFactorReason: RieReason;
  twoFactorFallback: boolean;
  means: MeansKind;
  factors: readonly Factor[];
  reader: string | undefined;
  lockReason: ReasonCode | undefined;
  lockedAt: number | undefined;
}

type Draft = Omit<Decision, 'at' | 'workstation'>;

/** The engine's state at one instant (for `RecordedSessionEngine`'s rollback). Opaque. */
export interface EngineSnapshot {
  readonly sessions: readonly PersonSession[];
  readonly foreground: string | undefined;
  readonly pending: { since: number; reader?: string; means?: MeansKind } | undefined;
  readonly idleDeadline: number | undefined;
}

const freezeDate = (t: number): Date => new Date(t);

export class SessionEngine {
  readonly config: ResolvedEngineConfig;
  private readonly clock: EngineClock;
  private readonly registry: MeansRegistry;
  private readonly sessions = new Map<string, PersonSession>();
  private foreground: string | undefined;
  private pending: { since: number; reader?: string; means?: MeansKind } | undefined;
  private idleDeadline: number | undefined;
  private timer: { at: number; handle: TimerHandle } | undefined;
  private readonly listeners = new Set<DecisionListener>();
  private readonly errorListeners = new Set<(e: unknown) => void>();
  private disposed = false;
  private held = 0;
  private deferredTick = false;
  private preGrant: EngineSnapshot | undefined;

  constructor(opts: SessionEngineOptions) {
    this.config = resolveEngineConfig(opts.config);
    this.clock = opts.clock ?? systemClock;
    this.registry = opts.registry;
  }

  // ── subscriptions ────────────────────────────────────────────────────────────────────────

  onDecision(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Failures of listeners on restrictive decisions and of timer-driven steps. */
  onError(listener: (e: unknown) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Cancels the engine's timer; the engine answers no more timer-driven decisions. */
  dispose(): void {
    this.disposed = true;
    this.timer?.handle.cancel();
    this.timer = undefined;
  }

  // ── events ───────────────────────────────────────────────────────────────────────────────

  /** A means is working (card inserted, PIN pad shown): the workstation is `authenticating`. */
  authenticationStarted(info: { reader?: string; means?: MeansKind } = {}): void {
    this.pending = { since: this.clock.now(), ...(info.reader !== undefined ? { reader: info.reader } : {}), ...(info.means ? { means: info.means } : {}) };
  }

  /** The means failed (wrong PIN, untrusted certificate...): `code` is the means error code. */
  authenticationFailed(code: string, info: { reader?: string; means?: MeansKind; person?: string } = {}): Decision {
    this.catchUp('authentication_failed');
    return this.commitOne(
      {
        decision: 'refuse',
        reason: 'session.authentication_failed',
        event: 'authentication_failed',
        detail: code,
        ...(info.person ? { person: info.person } : {}),
        ...(info.means ? { means: info.means } : {}),
        ...(info.reader !== undefined ? { reader: info.reader } : {}),
      },
      () => {
        this.pending = undefined;
      },
      false,
    );
  }

  /** An authentication completed: classified by the RIE policy, then opens, unlocks, switches or refuses. */
  authenticate(input: AuthEvent | Presentation, detail?: PresentationDetail): Decision {
    return this.handleAuthentication(input, detail, 'authentication');
  }

  /** A badge was tapped: the single-factor event, or the refusal of the badge means. */
  badgeTapped(tap: AuthEvent | Presentation | BadgeTapRefusal): Decision {
    if (typeof tap === 'object' && tap !== null && 'refused' in tap) {
      this.catchUp('badge_tap');
      const reader = tap.reader !== undefined ? { reader: tap.reader } : {};
      // The badge did not prove its key (a clone, a foreign badge): a failed authentication.
      if (tap.refused === 'badge_auth_failed') {
        return this.commitOne({ decision: 'refuse', reason: 'session.authentication_failed', event: 'badge_tap', means: 'desfire', detail: tap.refused, ...reader }, () => undefined, false);
      }
      const revoked = tap.refused === 'badge_revoked';
      return this.commitOne(
        { decision: revoked ? 'refuse' : 'require_second_factor', reason: revoked ? 'exi14.means_revoked' : 'exi14.means_not_registered', event: 'badge_tap', means: 'desfire', detail: tap.refused, ...reader },
        () => undefined,
        false,
      );
    }
    return this.handleAuthentication(tap, undefined, 'badge_tap');
  }

  cardRemoved(reader: string): Decision {
    this.catchUp('card_removed');
    if (this.pending?.reader === reader) {
      const means = this.pending.means;
      return this.commitOne({ decision: 'refuse', reason: 'session.removed_during_authentication', event: 'card_removed', reader, ...(means ? { means } : {}) }, () => {
        this.pending = undefined;
      }, false);
    }
    const s = [...this.sessions.values()].find((x) => x.reader === reader);
    if (!s) return this.commitOne({ decision: 'ignore', reason: 'session.not_session_card', event: 'card_removed', reader }, () => undefined, false);
    const base = { event: 'card_removed' as const, reader, ...this.personFields(s) };
    const unbind = (): void => {
      s.reader = undefined;
    };
    switch (this.config.onCardRemoval) {
      case 'nothing':
        return this.commitOne({ ...base, decision: 'ignore', reason: 'session.card_removed_no_action' }, unbind, false);
      case 'sign_out':
        return this.commitOne({ ...base, decision: 'sign_out', reason: 'session.card_removed' }, () => this.remove(s), false);
      case 'lock':
        if (s.state !== 'active') return this.commitOne({ ...base, decision: 'ignore', reason: 'session.already_locked' }, unbind, false);
        return this.commitOne({ ...base, decision: 'lock', reason: 'session.card_removed' }, () => {
          this.lockSession(s, 'session.card_removed');
          unbind();
        }, false);
    }
  }

  screenLocked(): Decision {
    return this.lockForeground('screen_locked', 'session.os_lock');
  }

  suspending(): Decision {
    return this.lockForeground('sleep', 'session.sleep');
  }

  /** After sleep: windows that ended meanwhile expire now (the timers did not run asleep). */
  resumed(): Decision {
    const expired = this.catchUp('resume');
    const last = expired[expired.length - 1];
    return last ?? this.commitOne({ decision: 'ignore', reason: 'session.resume', event: 'resume', ...this.personFields(this.front()) }, () => undefined, false);
  }

  /** The OS switched to another user account. */
  osUserSwitched(): Decision {
    return this.lockForeground('os_user_switch', 'session.os_user_switch');
  }

  /** Explicit lock (tray menu, keyboard shortcut). */
  lock(): Decision {
    return this.lockForeground('lock_request', 'session.user_lock');
  }

  /** Signs out `personId` (default: the person in front). */
  signOut(personId?: string): Decision {
    this.catchUp('sign_out_request');
    const s = personId === undefined ? this.front() : this.sessions.get(personId);
    if (!s) return this.commitOne({ decision: 'ignore', reason: 'session.no_session', event: 'sign_out_request', ...(personId ? { person: personId } : {}) }, () => undefined, false);
    return this.commitOne({ decision: 'sign_out', reason: 'session.user_sign_out', event: 'sign_out_request', ...this.personFields(s) }, () => this.remove(s), false);
  }

  /** Keyboard/mouse activity of the person in front: restarts the idle timer. */
  activity(): void {
    this.catchUp('window_timer', 'idle_timeout');
    const s = this.front();
    if (s?.state === 'active' && this.config.idleLockMs !== undefined) {
      this.idleDeadline = this.clock.now() + this.config.idleLockMs;
      this.reschedule();
    }
  }

  // ── transaction support (RecordedSessionEngine) ────────────────────────────────────────

  /**
   * While held, timer-driven decisions wait (they run at `release()`), so the state between a
   * decision and its asynchronous recording is only changed by the caller holding the engine.
   */
  hold(): void {
    this.held++;
  }

  release(): void {
    if (this.held > 0) this.held--;
    if (this.held === 0 && this.deferredTick) {
      this.deferredTick = false;
      this.tick();
    }
  }

  /**
   * The state just before the last permissive decision (open, unlock, switch_user) took
   * effect, and forgets it. `restore()` of it undoes that decision only: in one call, the
   * permissive decision is always the last one.
   */
  takePreGrantSnapshot(): EngineSnapshot | undefined {
    const s = this.preGrant;
    this.preGrant = undefined;
    return s;
  }

  restore(snap: EngineSnapshot): void {
    this.sessions.clear();
    for (const x of snap.sessions) this.sessions.set(x.subject.id, { ...x });
    this.foreground = snap.foreground;
    this.pending = snap.pending;
    this.idleDeadline = snap.idleDeadline;
    this.reschedule();
  }

  private snapshot(): EngineSnapshot {
    return {
      sessions: [...this.sessions.values()].map((x) => ({ ...x })),
      foreground: this.foreground,
      pending: this.pending,
      idleDeadline: this.idleDeadline,
    };
  }

  // ── read-only view ───────────────────────────────────────────────────────────────────────

  status(): EngineStatus {
    const now = this.clock.now();
    const front = this.front();
    const others = [...this.sessions.values()].filter((s) => s !== front).map((s) => this.view(s, now));
    let state: WorkstationState;
    if (this.pending) state = 'authenticating';
    else if (!front) state = 'signed_out';
    else state = front.state;
    return Object.freeze({
      state,
      workstation: this.config.workstation,
      windowMs: this.config.exi14WindowMs,
      now: freezeDate(now),
      ...(front ? { current: this.view(front, now) } : {}),
      locked: front !== undefined && front.state !== 'active',
      ...(this.pending
        ? { authenticating: Object.freeze({ since: freezeDate(this.pending.since), ...(this.pending.reader !== undefined ? { reader: this.pending.reader } : {}), ...(this.pending.means ? { means: this.pending.means } : {}) }) }
        : {}),
      others: Object.freeze(others),
    });
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private front(): PersonSession | undefined {
    return this.foreground === undefined ? undefined : this.sessions.get(this.foreground);
  }

  private view(s: PersonSession, now: number): PersonSessionView {
    return Object.freeze({
      person: s.subject,
      state: s.state,
      means: s.means,
      factors: Object.freeze([...s.factors]),
      twoFactor: Object.freeze({ at: freezeDate(s.anchor.at), means: s.anchor.means, reason: s.twoFactorReason, fallback: s.twoFactorFallback }),
      windowEnd: freezeDate(s.anchor.windowEnd),
      timeLeftMs: s.state === 'expired' ? 0 : timeLeftMs(s.anchor, now),
      ...(s.lockReason ? { lockReason: s.lockReason } : {}),
      ...(s.lockedAt !== undefined ? { lockedAt: freezeDate(s.lockedAt) } : {}),
      ...(s.reader !== undefined ? { reader: s.reader } : {}),
    });
  }

  private personFields(s: PersonSession | undefined): Pick<Draft, 'person' | 'rpps' | 'windowEnd'> {
    if (!s) return {};
    return { person: s.subject.id, ...(s.subject.rpps ? { rpps: s.subject.rpps } : {}), windowEnd: freezeDate(s.anchor.windowEnd) };
  }

  private authFields(c: RieClassification): Pick<Draft, 'person' | 'rpps' | 'means' | 'meansRef' | 'factors' | 'classification' | 'fallback' | 'reader'> {
    const p = c.presentation;
    if (c.malformed) return { person: p.subject.id, classification: c.classification };
    return {
      person: p.subject.id,
      ...(p.subject.rpps ? { rpps: p.subject.rpps } : {}),
      means: p.means,
      ...(p.meansRef ? { meansRef: Object.freeze({ kind: p.meansRef.kind, id: p.meansRef.id }) } : {}),
      factors: Object.freeze([...p.factors]),
      classification: c.classification,
      ...(p.fallback ? { fallback: true } : {}),
      ...(p.reader !== undefined ? { reader: p.reader } : {}),
    };
  }

  private handleAuthentication(input: AuthEvent | Presentation, detail: PresentationDetail | undefined, event: EngineEventKind): Decision {
    this.catchUp(event);
    const c = classify(input, detail);
    const clearPending = (): void => {
      this.pending = undefined;
    };
    if (c.classification === 'refused') {
      return this.commitOne({ ...this.authFields(c), decision: 'refuse', reason: c.reason, event }, clearPending, false);
    }
    if (c.classification === 'two_factor') return this.twoFactor(c, event);
    return this.reidentify(c, event);
  }

  private twoFactor(c: RieClassification, event: EngineEventKind): Decision {
    const p = c.presentation;
    const now = this.clock.now();
    // The window starts when the factors were proven, never later than now.
    const at = Math.min(p.at.getTime(), now);
    const windowEnd = at + this.config.exi14WindowMs;
    const fields = this.authFields(c);
    if (!Number.isFinite(at) || windowEnd <= now) {
      return this.commitOne({ ...fields, decision: 'refuse', reason: 'exi14.window_expired', rule: c.reason, event }, () => {
        this.pending = undefined;
      }, false);
    }
    const person = p.subject.id;
    const front = this.front();
    if (front && front.subject.id !== person && front.state === 'active') {
      this.commitOne({ ...this.personFields(front), decision: 'lock', reason: 'session.user_switch', event }, () => this.lockSession(front, 'session.user_switch'), false);
    }
    const existing = this.sessions.get(person);
    let kind: DecisionKind;
    if (front && front.subject.id !== person) kind = 'switch_user';
    else if (existing && existing.state === 'active') kind = 'open';
    else kind = existing ? 'unlock' : 'open';
    const anchor: TwoFactorAnchor = { personId: person, at, windowEnd, means: p.means, ...(p.meansRef ? { meansRef: p.meansRef } : {}) };
    // Only a contact card stays in its reader; a badge leaves the field, a FIDO2 key is not a reader's.
    const reader = p.means === 'cps' ? p.reader : undefined;
    return this.commitOne(
      {
        ...fields,
        decision: kind,
        reason: c.reason,
        event,
        windowEnd: freezeDate(windowEnd),
        ...(kind === 'switch_user' && front ? { previousPerson: front.subject.id } : {}),
      },
      () => {
        const s: PersonSession = existing ?? {
          subject: p.subject,
          state: 'active',
          anchor,
          twoFactorReason: c.reason,
          twoFactorFallback: p.fallback === true,
          means: p.means,
          factors: p.factors,
          reader,
          lockReason: undefined,
          lockedAt: undefined,
        };
        s.state = 'active';
        s.anchor = anchor;
        s.twoFactorReason = c.reason;
        s.twoFactorFallback = p.fallback === true;
        s.means = p.means;
        s.factors = Object.freeze([...p.factors]);
        if (reader !== undefined) {
          // A reader holds one card: an older binding to it is stale.
          for (const o of this.sessions.values()) if (o.reader === reader) o.reader = undefined;
        }
        s.reader = reader ?? (existing?.reader);
        s.lockReason = undefined;
        s.lockedAt = undefined;
        this.sessions.set(person, s);
        this.foreground = person;
        this.pending = undefined;
        this.restartIdle();
      },
      true,
    );
  }

  private reidentify(c: RieClassification, event: EngineEventKind): Decision {
    const p = c.presentation;
    const now = this.clock.now();
    const person = p.subject.id;
    const target = this.sessions.get(person);
    const fields = { ...this.authFields(c), rule: c.reason, event };
    const verdict = checkReidentification({ personId: person, ...(p.meansRef ? { meansRef: p.meansRef } : {}) }, target?.anchor, this.registry, now);
    const clearPending = (): void => {
      this.pending = undefined;
    };
    if (!verdict.ok) {
      return this.commitOne({ ...fields, decision: verdict.decision, reason: verdict.reason, ...(target ? { windowEnd: freezeDate(target.anchor.windowEnd) } : {}) }, clearPending, false);
    }
    if (!target) throw new Error('unreachable: a verdict is ok only with the person\'s anchor');
    const windowEnd = freezeDate(target.anchor.windowEnd);
    if (target.state === 'active') return this.commitOne({ ...fields, decision: 'ignore', reason: 'session.already_active', windowEnd }, clearPending, false);
    const front = this.front();
    if (front && front !== target && front.state === 'active') {
      this.commitOne({ ...this.personFields(front), decision: 'lock', reason: 'session.user_switch', event }, () => this.lockSession(front, 'session.user_switch'), false);
    }
    const kind: DecisionKind = front && front !== target ? 'switch_user' : 'unlock';
    return this.commitOne(
      { ...fields, decision: kind, reason: verdict.reason, windowEnd, ...(kind === 'switch_user' && front ? { previousPerson: front.subject.id } : {}) },
      () => {
        // The anchor (and so the window) is left exactly as the last 2FA set it.
        target.state = 'active';
        target.means = p.means;
        target.factors = Object.freeze([...p.factors]);
        target.lockReason = undefined;
        target.lockedAt = undefined;
        this.foreground = person;
        this.pending = undefined;
        this.restartIdle();
      },
      true,
    );
  }

  private lockForeground(event: EngineEventKind, reason: ReasonCode): Decision {
    this.catchUp(event);
    const s = this.front();
    if (!s) return this.commitOne({ decision: 'ignore', reason: 'session.no_session', event }, () => undefined, false);
    if (s.state !== 'active') return this.commitOne({ ...this.personFields(s), decision: 'ignore', reason: 'session.already_locked', event }, () => undefined, false);
    return this.commitOne({ ...this.personFields(s), decision: 'lock', reason, event }, () => this.lockSession(s, reason), false);
  }

  private lockSession(s: PersonSession, reason: ReasonCode): void {
    s.state = 'locked';
    s.lockReason = reason;
    s.lockedAt = this.clock.now();
    if (this.foreground === s.subject.id) this.idleDeadline = undefined;
  }

  private remove(s: PersonSession): void {
    this.sessions.delete(s.subject.id);
    if (this.foreground === s.subject.id) {
      this.foreground = undefined;
      this.idleDeadline = undefined;
    }
  }

  private restartIdle(): void {
    this.idleDeadline = this.config.idleLockMs === undefined ? undefined : this.clock.now() + this.config.idleLockMs;
  }

  /**
   * Decisions due by time: windows that ended (expire), then the idle lock of the person in
   * front. Run before every event and by the timer, so a late timer (sleep) changes nothing.
   */
  private catchUp(event: EngineEventKind, idleEvent: EngineEventKind = event): Decision[] {
    const now = this.clock.now();
    const out: Decision[] = [];
    for (const s of [...this.sessions.values()].sort((a, b) => a.anchor.windowEnd - b.anchor.windowEnd)) {
      if (s.state !== 'expired' && now >= s.anchor.windowEnd) {
        out.push(
          this.commitOne({ ...this.personFields(s), decision: 'expire', reason: 'exi14.window_expired', event }, () => {
            s.state = 'expired';
            if (this.foreground === s.subject.id) this.idleDeadline = undefined;
          }, false),
        );
      }
    }
    const front = this.front();
    if (front?.state === 'active' && this.idleDeadline !== undefined && now >= this.idleDeadline) {
      out.push(this.commitOne({ ...this.personFields(front), decision: 'lock', reason: 'session.idle', event: idleEvent }, () => this.lockSession(front, 'session.idle'), false));
    }
    return out;
  }

  private commitOne(draft: Draft, apply: () => void, permissive: boolean): Decision {
    const d: Decision = Object.freeze({ ...draft, at: freezeDate(this.clock.now()), workstation: this.config.workstation });
    let failure: unknown;
    let failed = false;
    for (const l of [...this.listeners]) {
      try {
        l(d);
      } catch (e) {
        if (!failed) failure = e;
        failed = true;
      }
    }
    if (failed && permissive) {
      this.reschedule();
      throw new SessionError('decision_not_recorded', `decision ${d.decision} (${d.reason}) was not recorded: it did not take effect`, { cause: failure });
    }
    if (permissive) this.preGrant = this.snapshot();
    apply();
    this.reschedule();
    if (failed) this.reportError(new SessionError('decision_not_recorded', `decision ${d.decision} (${d.reason}) took effect but was not recorded`, { cause: failure }));
    return d;
  }

  private reportError(e: unknown): void {
    for (const l of [...this.errorListeners]) {
      try {
        l(e);
      } catch {
        // an error listener that fails has nobody left to tell
      }
    }
  }

  private tick(): void {
    try {
      this.catchUp('window_timer', 'idle_timeout');
    } catch (e) {
      this.reportError(e);
    }
    this.reschedule();
  }

  /** One timer at the next instant something is due (a window end, the idle deadline). */
  private reschedule(): void {
    if (this.disposed || this.deferredTick) return;
    let next = Infinity;
    for (const s of this.sessions.values()) if (s.state !== 'expired') next = Math.min(next, s.anchor.windowEnd);
    if (this.front()?.state === 'active' && this.idleDeadline !== undefined) next = Math.min(next, this.idleDeadline);
    if (this.timer && this.timer.at === next) return;
    this.timer?.handle.cancel();
    this.timer = undefined;
    if (next === Infinity) return;
    const handle = this.clock.at(next, () => {
      if (this.timer?.handle !== handle) return;
      this.timer = undefined;
      if (this.held > 0) {
        this.deferredTick = true;
        return;
      }
      this.tick();
    });
    this.timer = { at: next, handle };
  }
}
