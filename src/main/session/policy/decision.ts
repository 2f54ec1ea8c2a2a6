/**
 * A session decision: what the engine did, and why. Every decision carries a reason code
 * (`reasons.ts`) and the fields an audit record needs: time, workstation, event, means,
 * factors, person, decision and reason. Never a PIN, key or token.
 */
import type { Factor, MeansKind } from '../../means/auth-event.js';
import type { MeansRef } from './means-ref.js';
import type { Classification } from './rie-rules.js';
import type { ReasonCode } from './reasons.js';

export type DecisionKind = 'open' | 'unlock' | 'switch_user' | 'lock' | 'sign_out' | 'refuse' | 'require_second_factor' | 'expire' | 'ignore';

/** What made the engine decide. */
export type EngineEventKind =
  | 'authentication'
  | 'authentication_started'
  | 'authentication_failed'
  | 'badge_tap'
  | 'card_removed'
  | 'screen_locked'
  | 'sleep'
  | 'resume'
  | 'os_user_switch'
  | 'idle_timeout'
  | 'window_timer'
  | 'lock_request'
  | 'sign_out_request';

export interface Decision {
  readonly decision: DecisionKind;
  readonly reason: ReasonCode;
  /** When the decision was made (engine clock). */
  readonly at: Date;
  readonly workstation: string;
  readonly event: EngineEventKind;
  /** Subject id of the person the decision is about (RPPS-based or local id). */
  readonly person?: string;
  readonly rpps?: string;
  /** Means and factors of the authentication that led to it, when there was one. */
  readonly means?: MeansKind;
  readonly factors?: readonly Factor[];
  /**
   * The registered means used (certificate SHA-256, badge enrolment id, FIDO2 credential id):
   * public identifiers, for the auditor's "which card, which badge, which key".
   */
  readonly meansRef?: MeansRef;
  /** What the RIE table made of the authentication. */
  readonly classification?: Classification;
  /** The RIE rule reason when `reason` is not itself the rule (re-identification, switch). */
  readonly rule?: string;
  /** The means stood in for a missing card (audited as such). */
  readonly fallback?: boolean;
  /** For `switch_user`: who was in front before. */
  readonly previousPerson?: string;
  /** End of the person's EXI 14 window after the decision. */
  readonly windowEnd?: Date;
  readonly reader?: string;
  /** Code of the lower-layer failure for `authentication_failed` (e.g. `wrong_pin`). */
  readonly detail?: string;
}
