/**
 * The RIE policy as data: one rule per row of DOMAIN.md's table "Means of identification (MIE)
 * and what counts as 2FA" (the `row` text is the table's, verbatim), plus the rules the
 * framework's text adds around it (EXI 14 single factor, badge + biometrics, CPS without PIN).
 * The first rule whose means, possession proof and verification match decides; what matches
 * nothing is refused (`rie.no_matching_rule`). Changing what counts is a change of this table,
 * reviewed with docs/session-policy.md.
 */
import type { MeansKind } from '../../means/auth-event.js';
import type { PossessionProof, Verification } from './presentation.js';
import type { RieReason } from './reasons.js';

export type Classification = 'two_factor' | 'single_factor_reidentification_candidate' | 'refused';

export interface RieRule {
  /** Row of DOMAIN.md's table, verbatim, or `null` for a rule taken from the surrounding text. */
  readonly row: string | null;
  /** Where the rule comes from when it is not a table row. */
  readonly source?: string;
  readonly means: MeansKind;
  readonly possession: PossessionProof;
  readonly verification: readonly Verification[];
  readonly classification: Classification;
  readonly reason: RieReason;
}

export const RIE_RULES: readonly RieRule[] = Object.freeze([
  {
    row: 'CPS contact chip in a reader, certificate read + PIN',
    means: 'cps',
    possession: 'card_signature',
    verification: ['pin'],
    classification: 'two_factor',
    reason: 'rie.cps_pin',
  },
  {
    row: null,
    source: 'DOMAIN.md "Using only one factor of a two-factor means is not compliant"; the CPS contact chip is never a re-identification factor',
    means: 'cps',
    possession: 'card_signature',
    verification: ['none', 'session_password', 'biometrics', 'user_presence'],
    classification: 'refused',
    reason: 'rie.cps_without_pin',
  },
  {
    row: 'Contactless card with a **cryptographic exchange** + PIN',
    means: 'desfire',
    possession: 'badge_crypto',
    verification: ['pin'],
    classification: 'two_factor',
    reason: 'rie.badge_crypto_pin',
  },
  {
    row: 'Contactless card with a cryptographic exchange + the user\'s session password',
    means: 'desfire',
    possession: 'badge_crypto',
    verification: ['session_password'],
    classification: 'two_factor',
    reason: 'rie.badge_crypto_session_password',
  },
  {
    row: null,
    source: 'DOMAIN.md, establishment badges: "the crypto exchange is one factor and must be paired with another one (PIN, biometrics, session password)"',
    means: 'desfire',
    possession: 'badge_crypto',
    verification: ['biometrics'],
    classification: 'two_factor',
    reason: 'rie.badge_crypto_biometrics',
  },
  {
    row: null,
    source: 'DOMAIN.md, EXI 14: one factor of a registered MIE (the tap of the contactless part) re-identifies inside the window',
    means: 'desfire',
    possession: 'badge_crypto',
    verification: ['none'],
    classification: 'single_factor_reidentification_candidate',
    reason: 'rie.badge_crypto_tap',
  },
  {
    row: 'Contactless card where only a UID / serial number / identifier is read, + PIN or password',
    means: 'desfire',
    possession: 'badge_uid_only',
    verification: ['pin', 'session_password', 'biometrics', 'user_presence', 'none'],
    classification: 'refused',
    reason: 'rie.badge_uid_only',
  },
  {
    row: 'FIDO2 key + PIN',
    means: 'fido2',
    possession: 'fido_assertion',
    verification: ['pin'],
    classification: 'two_factor',
    reason: 'rie.fido_pin',
  },
  {
    row: 'FIDO2 key + biometrics on the key',
    means: 'fido2',
    possession: 'fido_assertion',
    verification: ['biometrics'],
    classification: 'two_factor',
    reason: 'rie.fido_biometric',
  },
  {
    row: 'FIDO2 key inserted, no user verification',
    means: 'fido2',
    possession: 'fido_assertion',
    verification: ['none'],
    classification: 'refused',
    reason: 'rie.fido_no_uv',
  },
  {
    row: 'FIDO2 key + touch (user presence only)',
    means: 'fido2',
    possession: 'fido_assertion',
    verification: ['user_presence'],
    classification: 'refused',
    reason: 'rie.fido_touch_only',
  },
] satisfies RieRule[]);

/** The rows of DOMAIN.md's table, in its order (for docs and for the "one test per row" check). */
export const DOMAIN_TABLE_ROWS: readonly string[] = RIE_RULES.flatMap((r) => (r.row ? [r.row] : []));
