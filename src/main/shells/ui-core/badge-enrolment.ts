/**
 * Enrolling a badge from the UI, inside the person's two-factor session: the UI asks to present
 * a blank badge, the first card that arrives is taken, the person chooses the badge's PIN on the
 * PIN pad, and the agent writes the keys and records the enrolment (`EngineAgent.enrolBadge`:
 * audited, the operator proof being the session's own two-factor authentication). Progress goes
 * out as `EnrolProgress` (`present → writing → registering → done`); one enrolment at a time
 * (`EnrolmentRunner`, shared with the key enrolment); cancel works at any step before the writing.
 */
import type { EnrolFailure, EnrolProgress, EnrolRequest, EnrolStarted } from '../../../shared/enrolment.js';
import { IpcErrorCode, err, type Result } from '../../../shared/result.js';
import { BadgeError } from '../../means/desfire/badge-error.js';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../../means/desfire/badge-pin.js';
import type { EnrolmentRecord } from '../../means/desfire/enrolment-register.js';
import type { EngineStatus } from '../../session/engine/session-engine.js';
import type { ReaderEvent } from '../../transports/pcsc/reader-monitor.js';
import { EnrolmentRunner, type EnrolRun } from './enrolment-runner.js';
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
  /** Shared with the other kinds of enrolment (default: a runner of its own). */
  readonly runner?: EnrolmentRunner;
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
  private readonly runner: EnrolmentRunner;

  constructor(private readonly opts: BadgeEnrolmentOptions) {
    this.runner = opts.runner ?? new EnrolmentRunner({ pins: opts.pins, status: opts.status });
  }

  /** True while an enrolment runs: a blank badge the agent sees meanwhile is no news for the person. */
  get active(): boolean {
    return this.runner.active;
  }

  start(request: EnrolRequest, progress: (p: EnrolProgress) => void): Result<EnrolStarted> {
    if (request.kind !== 'badge') return err({ code: IpcErrorCode.notAllowed, message: 'only badges are enrolled from this screen' });
    return this.runner.start('badge', progress, (r) => this.run(r), enrolFailureOf);
  }

  cancel(enrolmentId: string): Result<null> {
    return this.runner.cancel(enrolmentId);
  }

  private async run(r: EnrolRun): Promise<void> {
    const { pins } = this.opts;
    r.say('present');
    pins.showPresentBadge();
    const reader = await this.firstCard(r.signal);
    pins.clearPresentBadge();
    if (r.signal.aborted) return r.fail('cancelled');
    if (reader === undefined) return r.fail('timeout');
    const pin = await pins.ask({ reader, holder: r.person.name, means: 'desfire', reason: 'enrolment', length: { min: PIN_MIN_DIGITS, max: PIN_MAX_DIGITS } });
    if (r.signal.aborted) {
      pin.fill(0);
      return r.fail('cancelled');
    }
    r.say('writing');
    await this.opts.enrolBadge({ reader, person: { ...r.person }, pin, onRegistering: () => r.say('registering') });
    r.say('done');
  }

  /** The reader of the first card that arrives, or undefined after the timeout or a cancel. */
  private firstCard(signal: AbortSignal): Promise<string | undefined> {
    return new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), this.opts.presentTimeoutMs ?? 60_000);
      const off = this.opts.monitor.on((e) => {
        if (e.type === 'card-inserted') done(e.reader);
      });
      const stop = (): void => done(undefined);
      signal.addEventListener('abort', stop, { once: true });
      const done = (reader: string | undefined): void => {
        clearTimeout(timer);
        off();
        signal.removeEventListener('abort', stop);
        resolve(reader);
      };
    });
  }
}
