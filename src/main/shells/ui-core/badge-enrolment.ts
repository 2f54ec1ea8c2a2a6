/**
 * Enrolling a badge from the UI, inside the person's two-factor session: the UI asks to present
 * a blank badge, the first card that arrives is taken, the person chooses the badge's PIN on the
 * PIN pad, and the agent writes the keys and records the enrolment (`EngineAgent.enrolBadge`:
 * audited, the operator proof being the session's own two-factor authentication). Progress goes
 * out as `EnrolProgress`; one enrolment at a time; cancel works at any step before the writing.
 */
import { randomBytes } from 'node:crypto';
import type { EnrolFailure, EnrolProgress, EnrolRequest, EnrolStarted } from '../../../shared/enrolment.js';
import { IpcErrorCode, err, ok, type Result } from '../../../shared/result.js';
import { BadgeError } from '../../means/desfire/badge-error.js';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../../means/desfire/badge-pin.js';
import type { EnrolmentRecord } from '../../means/desfire/enrolment-register.js';
import type { EngineStatus } from '../../session/engine/session-engine.js';
import type { ReaderEvent } from '../../transports/pcsc/reader-monitor.js';
import type { PinBroker } from './pin-broker.js';
import { UiError } from './ui-error.js';

export interface BadgeEnrolmentOptions {
  readonly pins: PinBroker;
  readonly monitor: { on(listener: (e: ReaderEvent) => void): () => void };
  readonly status: () => EngineStatus;
  /** `onRegistering`: the badge is written and read back, the enrolment is being recorded. */
  readonly enrolBadge: (req: { reader: string; person: { id: string; name: string }; pin: Buffer; onRegistering: () => void }) => Promise<EnrolmentRecord>;
  /** How long to wait for the badge (default 60 s). */
  readonly presentTimeoutMs?: number;
}

/** What a failed enrolment is called in the contract. */
export function enrolFailureOf(e: unknown): EnrolFailure {
  // The PIN pad cancelled, the badge pulled before the PIN, or the UI stopping.
  if (e instanceof UiError) return 'cancelled';
  if (e instanceof BadgeError) {
    switch (e.code) {
      case 'badge_not_blank':
        return 'already_enrolled';
      case 'enrolment_refused':
        return e.reason === 'no_session' ? 'needs_two_factor' : 'refused';
      case 'badge_revoked':
        return 'refused';
      default:
        return 'device_error';
    }
  }
  return 'device_error';
}

export class BadgeEnrolment {
  private current: { id: string; cancel: () => void } | undefined;

  constructor(private readonly opts: BadgeEnrolmentOptions) {}

  /** True while an enrolment runs: a blank badge the agent sees meanwhile is no news for the person. */
  get active(): boolean {
    return this.current !== undefined;
  }

  start(request: EnrolRequest, progress: (p: EnrolProgress) => void): Result<EnrolStarted> {
    if (request.kind !== 'badge') return err({ code: IpcErrorCode.notAllowed, message: 'only badges are enrolled from this screen' });
    if (this.current) return err({ code: IpcErrorCode.busy, message: 'an enrolment is already in progress' });
    const s = this.opts.status().current;
    if (!s || s.state !== 'active') return err({ code: IpcErrorCode.noSession, message: 'enrolment needs an active session' });
    const person = { id: s.person.id, name: s.person.name.trim() || s.person.id };
    const id = randomBytes(12).toString('base64url');
    let cancelled = false;
    let stopWaiting: (() => void) | undefined;
    this.current = {
      id,
      cancel: () => {
        cancelled = true;
        stopWaiting?.();
        const p = this.opts.pins.prompt();
        if (p.kind === 'pin') this.opts.pins.cancel(p.requestId);
      },
    };
    const say = (step: 'present' | 'writing' | 'registering' | 'done'): void => progress({ enrolmentId: id, kind: 'badge', step });
    const fail = (failure: EnrolFailure): void => progress({ enrolmentId: id, kind: 'badge', step: 'failed', failure });
    const run = async (): Promise<void> => {
      say('present');
      this.opts.pins.showPresentBadge();
      const reader = await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => done(undefined), this.opts.presentTimeoutMs ?? 60_000);
        const off = this.opts.monitor.on((e) => {
          if (e.type === 'card-inserted') done(e.reader);
        });
        const done = (r: string | undefined): void => {
          clearTimeout(timer);
          off();
          resolve(r);
        };
        stopWaiting = () => done(undefined);
      });
      this.opts.pins.clearPresentBadge();
      if (cancelled) return fail('cancelled');
      if (reader === undefined) return fail('timeout');
      let pin: Buffer;
      try {
        pin = await this.opts.pins.ask({ reader, holder: person.name, means: 'desfire', reason: 'enrolment', length: { min: PIN_MIN_DIGITS, max: PIN_MAX_DIGITS } });
      } catch (e) {
        return fail(enrolFailureOf(e));
      }
      if (cancelled) {
        pin.fill(0);
        return fail('cancelled');
      }
      say('writing');
      try {
        await this.opts.enrolBadge({ reader, person, pin, onRegistering: () => say('registering') });
      } catch (e) {
        return fail(enrolFailureOf(e));
      }
      say('done');
    };
    void run()
      .catch(() => fail('device_error'))
      .finally(() => {
        if (this.current?.id === id) this.current = undefined;
      });
    return ok({ enrolmentId: id });
  }

  cancel(enrolmentId: string): Result<null> {
    if (!this.current || this.current.id !== enrolmentId) return err({ code: IpcErrorCode.staleRequest, message: 'no enrolment with this id is in progress' });
    this.current.cancel();
    return ok(null);
  }
}
