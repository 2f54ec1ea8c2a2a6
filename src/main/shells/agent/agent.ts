/**
 * The headless agent: the core wired for a background process (and, later, the Electron main
 * process). Watches readers; when a card is inserted it recognises it and, for a CPS, runs the
 * two-factor login with the PIN from the injected PIN pad; the minimal session opens on
 * success and locks when that card leaves its reader. Every decision is reported as a record
 * (JSON-friendly, never a PIN) through `report`.
 *
 * With `badge` options, a DESFire badge presented to a reader is a tap (docs/desfire-badge.md
 * §5): on a locked session it unlocks inside the EXI 14 window; when the session asks for the
 * second factor (window expired, another person, no session) and a badge PIN pad is given, the
 * agent runs badge + PIN (two factors). A revoked, unenrolled or failing badge never unlocks.
 */
import { recognizeCard } from '../../means/card-recognition.js';
import { CpsError } from '../../means/cps/cps-error.js';
import { cpsLogin, type PinRequest } from '../../means/cps/cps-login.js';
import type { TrustStore } from '../../means/cps/trust-store.js';
import { MinimalSession, type SessionState } from '../../session/minimal-session.js';
import type { ReaderEvent, ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { isTesseraError } from '../../errors.js';
import { BadgeError, badgePinLogin, tapBadge, type AuthMode, type BadgeKeySource, type EnrolmentRegister } from '../../means/desfire/index.js';
import type { PcscCardChannel } from '../../transports/pcsc/pcsc-card-channel.js';
import type { AuthEvent } from '../../means/auth-event.js';

export type AgentRecord =
  | { type: 'daemon'; status: 'up' | 'down'; code?: string; retryInMs?: number }
  | { type: 'reader'; status: 'added' | 'removed'; reader: string }
  | { type: 'card'; status: 'inserted' | 'removed'; reader: string; atr?: string; cardType?: string; detail?: string }
  | { type: 'login'; status: 'succeeded'; reader: string; means: 'cps' | 'desfire'; factors: readonly string[]; subject: { id: string; name: string; rpps?: string }; ms: number }
  | { type: 'login'; status: 'failed'; reader: string; code: string; retriesLeft?: number; reason?: string; detail: string }
  | { type: 'session'; state: SessionState['state']; decision: string; reason: string; subject?: string };

/** The PIN pad: asks the person for the PIN of the card in `reader`. The Buffer is wiped by the login. */
export type AgentPinPad = (reader: string, request: PinRequest) => Promise<Buffer>;

/** Asks the person for the badge PIN (badge + PIN login). The Buffer is wiped by the login. */
export type BadgePinPad = (reader: string) => Promise<Buffer>;

export interface AgentBadgeOptions {
  /** The KMS (diversified keys only). */
  readonly keys: BadgeKeySource;
  readonly register: EnrolmentRegister;
  readonly aid?: Buffer;
  readonly authMode?: AuthMode;
  /** When given, a badge that cannot unlock by a tap asks for its PIN (badge + PIN = 2FA). */
  readonly pinPad?: BadgePinPad;
  /** Clock stamped on badge events (the session's clock in tests). */
  readonly now?: () => Date;
}

export interface AgentOptions {
  readonly monitor: ReaderMonitor;
  readonly trust: TrustStore;
  readonly pinPad: AgentPinPad;
  readonly report: (record: AgentRecord) => void;
  readonly session?: MinimalSession;
  readonly badge?: AgentBadgeOptions;
}

/** PC/SC part 3 ATR of an ISO 14443-4 type A card without historical bytes (DESFire native). */
const CONTACTLESS_NATIVE_ATR = Buffer.from('3B8180018080', 'hex');
/** Session answers after which a badge PIN is worth asking (not for revoked/unknown/failing badges). */
const PIN_WORTHY = new Set(['window_expired', 'other_person', 'not_same_means', 'no_session']);

export class Agent {
  readonly session: MinimalSession;
  private offMonitor: (() => void) | undefined;
  private offSession: (() => void) | undefined;
  private readonly busy = new Map<string, Promise<void>>();

  constructor(private readonly opts: AgentOptions) {
    this.session = opts.session ?? new MinimalSession();
  }

  async start(): Promise<void> {
    this.offSession = this.session.onChange((s, d) => {
      this.opts.report({ type: 'session', state: s.state, decision: d.decision, reason: d.reason, ...(s.state !== 'none' ? { subject: s.subject.id } : {}) });
    });
    this.offMonitor = this.opts.monitor.on((e) => this.onReaderEvent(e));
    await this.opts.monitor.start();
    await this.opts.monitor.settled();
    // Cards already in a reader when the agent starts are handled like fresh insertions.
    for (const r of this.opts.monitor.list()) {
      if (r.cardPresent) this.onReaderEvent({ type: 'card-inserted', reader: r.name, atr: r.atr ?? Buffer.alloc(0) });
    }
  }

  /** Resolves when no login is running (for tests and an orderly stop). */
  async idle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy.values()]);
  }

  async stop(): Promise<void> {
    this.offMonitor?.();
    this.offSession?.();
    await this.idle();
    await this.opts.monitor.stop();
  }

  private onReaderEvent(e: ReaderEvent): void {
    const report = this.opts.report;
    switch (e.type) {
      case 'daemon-up': report({ type: 'daemon', status: 'up' }); return;
      case 'daemon-down': report({ type: 'daemon', status: 'down', code: e.error.code, retryInMs: e.retryInMs }); return;
      case 'reader-added': report({ type: 'reader', status: 'added', reader: e.reader }); return;
      case 'reader-removed': report({ type: 'reader', status: 'removed', reader: e.reader }); return;
      case 'card-removed':
        report({ type: 'card', status: 'removed', reader: e.reader });
        this.session.cardRemoved(e.reader);
        return;
      case 'card-inserted': {
        if (this.busy.has(e.reader)) return;
        const run = this.handleCard(e.reader, e.atr).finally(() => this.busy.delete(e.reader));
        this.busy.set(e.reader, run);
        return;
      }
    }
  }

  private async handleCard(reader: string, atr: Buffer): Promise<void> {
    const report = this.opts.report;
    const t0 = performance.now();
    try {
      // A contactless native ATR goes straight to the badge path (no probes: the tap is 7 APDUs).
      if (this.opts.badge && atr.equals(CONTACTLESS_NATIVE_ATR) && (await this.tapFastPath(reader, t0))) return;
      const result = await this.opts.monitor.withCard(reader, async (ch) => {
        const kind = await recognizeCard(ch);
        report({ type: 'card', status: 'inserted', reader, atr: atr.toString('hex').toUpperCase(), cardType: kind.type, detail: kind.detail });
        if (kind.type === 'desfire' && this.opts.badge) {
          await this.handleBadge(ch, reader, t0, false);
          return undefined;
        }
        if (kind.type !== 'cps' || !kind.usable) return undefined;
        return cpsLogin(ch, { trust: this.opts.trust, pin: (req) => this.opts.pinPad(reader, req) });
      });
      if (!result) return;
      const { event } = result;
      report({
        type: 'login', status: 'succeeded', reader, means: 'cps', factors: event.factors,
        subject: { id: event.subject.id, name: event.subject.name, ...(event.subject.rpps ? { rpps: event.subject.rpps } : {}) },
        ms: Math.round(performance.now() - t0),
      });
      this.session.authenticated(event);
    } catch (e) {
      const err = e instanceof CpsError ? e : undefined;
      report({
        type: 'login', status: 'failed', reader,
        code: isTesseraError(e) ? e.code : 'internal',
        ...(err?.retriesLeft !== undefined ? { retriesLeft: err.retriesLeft } : {}),
        ...(err?.reason ? { reason: err.reason } : {}),
        detail: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /**
   * The badge path on its own connection, released WITHOUT a card reset: a badge leaves the
   * field right after the tap, and a reset racing with that removal can leave the PC/SC
   * disconnect pending (the reader then stays busy for the agent). Leaving the card is safe
   * here: its authenticated state is bound to session keys that only this agent held, and
   * they are wiped. Returns false when the card is not a DESFire badge (recognition follows).
   */
  private async tapFastPath(reader: string, t0: number): Promise<boolean> {
    const ch = await this.opts.monitor.connect(reader);
    let handled = false;
    try {
      handled = await this.handleBadge(ch, reader, t0, true);
      return handled;
    } finally {
      await ch.close(handled ? 'leave' : 'reset');
    }
  }

  /**
   * A badge in `reader`: the tap (possession), the session's EXI 14 decision, then badge + PIN
   * when the session asks for the second factor and a badge PIN pad exists. Returns false only
   * on the fast path when the card is not a DESFire card (the caller then recognises it).
   */
  private async handleBadge(ch: PcscCardChannel, reader: string, t0: number, fastPath: boolean): Promise<boolean> {
    const badge = this.opts.badge;
    if (!badge) return false;
    // A tap on an open session changes nothing: no card work at all.
    if (this.session.state.state === 'active') return true;
    const opts = {
      keys: badge.keys,
      register: badge.register,
      ...(badge.aid ? { aid: badge.aid } : {}),
      ...(badge.authMode ? { authMode: badge.authMode } : {}),
      ...(badge.now ? { now: badge.now } : {}),
    };
    let event: AuthEvent;
    try {
      event = (await tapBadge(ch, opts)).event;
    } catch (e) {
      // Not a DESFire answer at all (another contactless card with the same ATR).
      if (fastPath && isTesseraError(e) && e.code === 'card_error') return false;
      this.reportFailure(reader, e);
      const refused = e instanceof BadgeError && (e.code === 'badge_revoked' || e.code === 'badge_not_enrolled') ? e.code : 'badge_auth_failed';
      this.session.badgeTapped({ refused });
      return true;
    }
    const d = this.session.badgeTapped(event);
    if (d.decision !== 'second_factor_required' || !PIN_WORTHY.has(d.reason) || !badge.pinPad) return true;
    try {
      const twoFactor = await badgePinLogin(ch, await badge.pinPad(reader), opts);
      this.opts.report({
        type: 'login', status: 'succeeded', reader, means: 'desfire', factors: twoFactor.factors,
        subject: { id: twoFactor.subject.id, name: twoFactor.subject.name },
        ms: Math.round(performance.now() - t0),
      });
      this.session.authenticated(twoFactor);
    } catch (e) {
      this.reportFailure(reader, e);
    }
    return true;
  }

  private reportFailure(reader: string, e: unknown): void {
    const b = e instanceof BadgeError ? e : undefined;
    this.opts.report({
      type: 'login', status: 'failed', reader,
      code: isTesseraError(e) ? e.code : 'internal',
      ...(b?.retriesLeft !== undefined ? { retriesLeft: b.retriesLeft } : {}),
      ...(b?.reason ? { reason: b.reason } : {}),
      detail: e instanceof Error ? e.message : String(e),
    });
  }
}
