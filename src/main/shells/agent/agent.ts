/**
 * The headless agent: the core wired for a background process (and, later, the Electron main
 * process). Watches readers; when a card is inserted it recognises it and, for a CPS, runs the
 * two-factor login with the PIN from the injected PIN pad; the minimal session opens on
 * success and locks when that card leaves its reader. Every decision is reported as a record
 * (JSON-friendly, never a PIN) through `report`.
 */
import { recognizeCard } from '../../means/card-recognition.js';
import { CpsError } from '../../means/cps/cps-error.js';
import { cpsLogin, type PinRequest } from '../../means/cps/cps-login.js';
import type { TrustStore } from '../../means/cps/trust-store.js';
import { MinimalSession, type SessionState } from '../../session/minimal-session.js';
import type { ReaderEvent, ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { isTesseraError } from '../../errors.js';

export type AgentRecord =
  | { type: 'daemon'; status: 'up' | 'down'; code?: string; retryInMs?: number }
  | { type: 'reader'; status: 'added' | 'removed'; reader: string }
  | { type: 'card'; status: 'inserted' | 'removed'; reader: string; atr?: string; cardType?: string; detail?: string }
  | { type: 'login'; status: 'succeeded'; reader: string; means: 'cps'; factors: readonly string[]; subject: { id: string; name: string; rpps?: string }; ms: number }
  | { type: 'login'; status: 'failed'; reader: string; code: string; retriesLeft?: number; reason?: string; detail: string }
  | { type: 'session'; state: SessionState['state']; decision: string; reason: string; subject?: string };

/** The PIN pad: asks the person for the PIN of the card in `reader`. The Buffer is wiped by the login. */
export type AgentPinPad = (reader: string, request: PinRequest) => Promise<Buffer>;

export interface AgentOptions {
  readonly monitor: ReaderMonitor;
  readonly trust: TrustStore;
  readonly pinPad: AgentPinPad;
  readonly report: (record: AgentRecord) => void;
  readonly session?: MinimalSession;
}

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
      const result = await this.opts.monitor.withCard(reader, async (ch) => {
        const kind = await recognizeCard(ch);
        report({ type: 'card', status: 'inserted', reader, atr: atr.toString('hex').toUpperCase(), cardType: kind.type, detail: kind.detail });
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
}
