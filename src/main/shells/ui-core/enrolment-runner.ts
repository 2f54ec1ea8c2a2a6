/**
 * What every enrolment from the UI shares, whatever it enrols (badge, FIDO2 key): one at a
 * time, only inside an active session, an id its progress carries, and a cancel that aborts the
 * run's signal and closes its PIN pad. The outcome is said once (`done` or `failed`), after
 * which another enrolment may start at once.
 */
import { randomBytes } from 'node:crypto';
import type { EnrolFailure, EnrolKind, EnrolProgress, EnrolStarted } from '../../../shared/enrolment.js';
import { IpcErrorCode, err, ok, type Result } from '../../../shared/result.js';
import type { EngineStatus } from '../../session/engine/session-engine.js';
import type { PinBroker } from './pin-broker.js';

/** One enrolment as its steps see it. */
export interface EnrolRun {
  readonly id: string;
  /** The person of the session, who is enrolled. */
  readonly person: { readonly id: string; readonly name: string };
  /** Aborted when the person cancels. */
  readonly signal: AbortSignal;
  say(step: 'present' | 'writing' | 'registering' | 'done'): void;
  fail(failure: EnrolFailure): void;
  /** What the person's cancel does (the touch prompt's cancel calls it). */
  cancel(): void;
}

export class EnrolmentRunner {
  private current: { id: string; controller: AbortController } | undefined;

  constructor(private readonly opts: { readonly pins: PinBroker; readonly status: () => EngineStatus }) {}

  /** True while an enrolment runs. */
  get active(): boolean {
    return this.current !== undefined;
  }

  /**
   * Starts `run` in the background and answers at once. A run that throws fails with
   * `failureOf(error)`, or `cancelled` once the person cancelled.
   */
  start(kind: EnrolKind, progress: (p: EnrolProgress) => void, run: (r: EnrolRun) => Promise<void>, failureOf: (e: unknown) => EnrolFailure): Result<EnrolStarted> {
    if (this.current) return err({ code: IpcErrorCode.busy, message: 'an enrolment is already in progress' });
    const s = this.opts.status().current;
    if (!s || s.state !== 'active') return err({ code: IpcErrorCode.noSession, message: 'enrolment needs an active session' });
    const id = randomBytes(12).toString('base64url');
    const controller = new AbortController();
    const mine = { id, controller };
    this.current = mine;
    let over = false;
    // The outcome frees the runner before it is said: the wizard may start again at once.
    const end = (p: EnrolProgress): void => {
      if (over) return;
      over = true;
      if (this.current === mine) this.current = undefined;
      progress(p);
    };
    const r: EnrolRun = {
      id,
      person: { id: s.person.id, name: s.person.name.trim() || s.person.id },
      signal: controller.signal,
      say: (step) => {
        if (step === 'done') end({ enrolmentId: id, kind, step });
        else if (!over) progress({ enrolmentId: id, kind, step });
      },
      fail: (failure) => end({ enrolmentId: id, kind, step: 'failed', failure }),
      cancel: () => void this.cancel(id),
    };
    void run(r)
      .catch((e: unknown) => r.fail(controller.signal.aborted ? 'cancelled' : failureOf(e)))
      .finally(() => {
        if (!over) r.fail(controller.signal.aborted ? 'cancelled' : 'device_error');
      });
    return ok({ enrolmentId: id });
  }

  cancel(enrolmentId: string): Result<null> {
    const c = this.current;
    if (!c || c.id !== enrolmentId) return err({ code: IpcErrorCode.staleRequest, message: 'no enrolment with this id is in progress' });
    c.controller.abort();
    const p = this.opts.pins.prompt();
    if (p.kind === 'pin') this.opts.pins.cancel(p.requestId);
    return ok(null);
  }
}
