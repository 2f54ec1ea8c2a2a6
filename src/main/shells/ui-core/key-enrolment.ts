/**
 * Enrolling a FIDO2 key from the UI, inside the person's two-factor session: the wizard asks to
 * plug in or present the key (`present`), the person types the key's PIN on the PIN pad, the
 * key makes the credential (`writing`; "touch your key" is shown when the key's keepalive asks
 * for a touch, and cancelling it aborts the key's operation), the agent audits and stores the
 * enrolment (`registering`), then `done`. The agent does the work (`EngineAgent.enrolFidoKey`,
 * which checks the session's two-factor authentication is at most 5 minutes old); the outcome
 * names what went wrong in the contract's words.
 */
import type { EnrolFailure, EnrolProgress, EnrolRequest, EnrolStarted } from '../../../shared/enrolment.js';
import { IpcErrorCode, err, type Result } from '../../../shared/result.js';
import { FidoError } from '../../means/fido2/fido-error.js';
import type { FidoEnrolmentRequest } from '../agent/fido-enrolment.js';
import type { EnrolmentRunner, EnrolRun } from './enrolment-runner.js';
import { fidoPinLength, type PinBroker } from './pin-broker.js';
import { UiError } from './ui-error.js';

/** The PIN pad's "reader" for an enrolment's key PIN (kept apart from the fallback's). */
export const FIDO_ENROL_PROMPT = 'fido2-enrolment';

export interface KeyEnrolmentOptions {
  readonly pins: PinBroker;
  readonly runner: EnrolmentRunner;
  readonly enrolFidoKey: (req: FidoEnrolmentRequest) => Promise<unknown>;
  /** How long to wait for the key (default 60 s). */
  readonly presentTimeoutMs?: number;
}

/** What a failed key enrolment is called in the contract. */
export function keyEnrolFailureOf(e: unknown): EnrolFailure {
  if (e instanceof UiError) return 'cancelled';
  if (!(e instanceof FidoError)) return 'device_error';
  switch (e.code) {
    case 'cancelled':
      return 'cancelled';
    case 'enrolment_refused':
      return 'needs_two_factor';
    case 'wrong_pin':
      return 'wrong_pin';
    case 'pin_blocked':
    case 'pin_auth_blocked':
    case 'uv_blocked':
      return 'pin_blocked';
    case 'uv_unavailable':
    case 'pin_not_set':
      return 'no_uv';
    case 'no_device':
    case 'user_presence_timeout':
      return 'timeout';
    case 'already_enrolled':
      return 'already_enrolled';
    case 'store_invalid':
      return 'refused';
    default:
      return 'device_error';
  }
}

export class KeyEnrolment {
  constructor(private readonly opts: KeyEnrolmentOptions) {}

  start(request: EnrolRequest, progress: (p: EnrolProgress) => void): Result<EnrolStarted> {
    if (request.kind !== 'fido2') return err({ code: IpcErrorCode.notAllowed, message: 'only security keys are enrolled here' });
    return this.opts.runner.start('fido2', progress, (r) => this.run(r), keyEnrolFailureOf);
  }

  private async run(r: EnrolRun): Promise<void> {
    const { pins } = this.opts;
    r.say('present');
    try {
      await this.opts.enrolFidoKey({
        signal: r.signal,
        ...(this.opts.presentTimeoutMs !== undefined ? { presentTimeoutMs: this.opts.presentTimeoutMs } : {}),
        pin: () => pins.ask({ reader: FIDO_ENROL_PROMPT, holder: r.person.name, means: 'fido2', reason: 'enrolment', length: fidoPinLength }),
        onKeepalive: (status) => {
          if (status === 'user-presence-needed') pins.showTouch(() => r.cancel());
        },
        onStep: (step) => r.say(step),
      });
    } finally {
      pins.clearTouch();
    }
    r.say('done');
  }
}
