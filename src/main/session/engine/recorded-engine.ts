/**
 * The engine with an ASYNCHRONOUS recorder (the audit log's `append()` resolves after fsync):
 * every decision is recorded before the caller is told, in order, one call at a time.
 *
 *  - Calls are serialized: each returns a promise of its decision, resolved once every decision
 *    the call made is recorded. The shell acts on a decision (unlocks the screen) only then.
 *  - While a call's decisions are being recorded the engine is held: timer-driven decisions
 *    wait, so nothing else changes the state meanwhile.
 *  - When recording fails, a permissive decision (open, unlock, switch_user) is rolled back and
 *    the call rejects with `SessionError('decision_not_recorded')`; restrictive decisions (lock,
 *    sign_out, expire) stay in effect (fail closed) and the failure goes to the error listeners.
 *  - Timer-driven decisions (expiry, idle lock) take effect at once (they are restrictive) and
 *    are recorded in order with the rest.
 * Subscribers of `onRecorded` see each decision after it was recorded.
 */
import type { AuthEvent, MeansKind } from '../../means/auth-event.js';
import type { Decision } from '../policy/decision.js';
import type { Presentation, PresentationDetail } from '../policy/presentation.js';
import { SessionError } from './session-error.js';
import type { BadgeTapRefusal, EngineStatus, SessionEngine } from './session-engine.js';

export type DecisionRecorder = (d: Decision) => Promise<void>;

const PERMISSIVE = new Set<Decision['decision']>(['open', 'unlock', 'switch_user']);

export class RecordedSessionEngine {
  private queue: Promise<unknown> = Promise.resolve();
  private batch: Decision[] | undefined;
  private readonly recorded = new Set<(d: Decision) => void>();
  private readonly errors = new Set<(e: unknown) => void>();
  private readonly unsubscribe: () => void;

  constructor(readonly engine: SessionEngine, private readonly record: DecisionRecorder) {
    this.unsubscribe = engine.onDecision((d) => {
      if (this.batch) this.batch.push(d);
      else this.enqueue(async () => this.recordTimerDecision(d)).catch((e: unknown) => this.report(e));
    });
  }

  onRecorded(listener: (d: Decision) => void): () => void {
    this.recorded.add(listener);
    return () => this.recorded.delete(listener);
  }

  onError(listener: (e: unknown) => void): () => void {
    this.errors.add(listener);
    return () => this.errors.delete(listener);
  }

  /** Resolves when every queued call and recording is done. */
  idle(): Promise<void> {
    return this.queue.then(
      () => undefined,
      () => undefined,
    );
  }

  status(): EngineStatus {
    return this.engine.status();
  }

  dispose(): void {
    this.unsubscribe();
    this.engine.dispose();
  }

  authenticate(input: AuthEvent | Presentation, detail?: PresentationDetail): Promise<Decision> {
    return this.call(() => this.engine.authenticate(input, detail));
  }

  badgeTapped(tap: AuthEvent | Presentation | BadgeTapRefusal): Promise<Decision> {
    return this.call(() => this.engine.badgeTapped(tap));
  }

  authenticationStarted(info: { reader?: string; means?: MeansKind } = {}): Promise<void> {
    return this.enqueue(async () => this.engine.authenticationStarted(info));
  }

  authenticationFailed(code: string, info: { reader?: string; means?: MeansKind; person?: string } = {}): Promise<Decision> {
    return this.call(() => this.engine.authenticationFailed(code, info));
  }

  cardRemoved(reader: string): Promise<Decision> {
    return this.call(() => this.engine.cardRemoved(reader));
  }

  screenLocked(): Promise<Decision> {
    return this.call(() => this.engine.screenLocked());
  }

  suspending(): Promise<Decision> {
    return this.call(() => this.engine.suspending());
  }

  resumed(): Promise<Decision> {
    return this.call(() => this.engine.resumed());
  }

  osUserSwitched(): Promise<Decision> {
    return this.call(() => this.engine.osUserSwitched());
  }

  lock(): Promise<Decision> {
    return this.call(() => this.engine.lock());
  }

  signOut(personId?: string): Promise<Decision> {
    return this.call(() => this.engine.signOut(personId));
  }

  activity(): Promise<void> {
    return this.call(() => {
      this.engine.activity();
      return undefined;
    }).then(() => undefined);
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private call<T extends Decision | undefined>(fn: () => T): Promise<T> {
    return this.enqueue(async () => {
      this.engine.hold();
      try {
        this.batch = [];
        let result: T;
        let decisions: Decision[];
        try {
          this.engine.takePreGrantSnapshot();
          result = fn();
        } finally {
          decisions = this.batch;
          this.batch = undefined;
        }
        const preGrant = this.engine.takePreGrantSnapshot();
        for (let i = 0; i < decisions.length; i++) {
          const d = decisions[i] as Decision;
          try {
            await this.record(d);
          } catch (e) {
            const err = new SessionError('decision_not_recorded', `decision ${d.decision} (${d.reason}) could not be recorded`, { cause: e });
            if (preGrant && decisions.slice(i).some((x) => PERMISSIVE.has(x.decision))) {
              // Undo the permissive decision (the last of the call); restrictive ones stay.
              this.engine.restore(preGrant);
              throw err;
            }
            this.report(err);
            return result;
          }
          this.notify(d);
        }
        return result;
      } finally {
        this.engine.release();
      }
    });
  }

  private async recordTimerDecision(d: Decision): Promise<void> {
    try {
      await this.record(d);
    } catch (e) {
      throw new SessionError('decision_not_recorded', `decision ${d.decision} (${d.reason}) took effect but could not be recorded`, { cause: e });
    }
    this.notify(d);
  }

  private notify(d: Decision): void {
    for (const l of [...this.recorded]) {
      try {
        l(d);
      } catch (e) {
        this.report(e);
      }
    }
  }

  private report(e: unknown): void {
    for (const l of [...this.errors]) {
      try {
        l(e);
      } catch {
        // nobody left to tell
      }
    }
  }
}
