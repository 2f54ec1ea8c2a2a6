/**
 * What the person must do now, pushed by the core whenever it changes: type a PIN, touch a
 * key, present a badge, read a notice, or nothing. The UI shows exactly one prompt at a time.
 * Pure data and validators: no Electron, no Node, no DOM.
 */
import { meansKinds, maxDisplayNameLength, type MeansKind } from './status-view.js';
import { hasOnlyKeys, isIntegerIn, isOneOf, isPlain, isText, isToken, optional } from './validate.js';

/** Why a PIN is asked again or in a particular way. */
export const pinReasons = [
  /** The previous PIN was wrong (`triesLeft` says how many remain). */
  'wrong_pin',
  /** A badge was tapped and the policy wants its PIN as the second factor. */
  'second_factor',
  /** The PIN authorises the enrolment of a new badge or key. */
  'enrolment',
] as const;
export type PinReason = (typeof pinReasons)[number];

/** What the person is told once, with nothing to answer but "OK". */
export const noticeCodes = [
  'pin_blocked',
  'card_not_trusted',
  'card_unreadable',
  'badge_refused',
  'badge_not_enrolled',
  'key_not_registered',
  'key_timeout',
  'security_key_unavailable',
] as const;
export type NoticeCode = (typeof noticeCodes)[number];

/** PIN lengths the contract carries: CPS 4–8 digits, FIDO2 and badge PINs up to 16 here. */
export const minPinLength = 4;
export const maxPinLength = 16;
export const maxTries = 15;

export type Prompt =
  | { kind: 'none' }
  | {
      kind: 'pin';
      /** Answer with submitPin/cancelPin and this id; a stale id is refused. */
      requestId: string;
      /** Whose PIN, as the card or key says ("Dr Marie Curie"). */
      holder: string;
      means: MeansKind;
      /** Tries left before the PIN blocks, when the device says. */
      triesLeft?: number;
      reason?: PinReason;
      /** Allowed length of the PIN for this means (digits only). */
      length: { min: number; max: number };
    }
  | { kind: 'touch_key'; requestId?: string }
  | { kind: 'present_badge' }
  | { kind: 'notice'; code: NoticeCode; holder?: string };

export const noPrompt: Prompt = { kind: 'none' };

function isLength(x: unknown): x is { min: number; max: number } {
  return (
    isPlain(x) &&
    hasOnlyKeys(x, ['min', 'max']) &&
    isIntegerIn(x.min, minPinLength, maxPinLength) &&
    isIntegerIn(x.max, minPinLength, maxPinLength) &&
    x.min <= x.max
  );
}

function isHolder(x: unknown): x is string {
  return isText(x, maxDisplayNameLength);
}

/** Hand-written validator for a prompt received over IPC or the demo's WebSocket. */
export function isPrompt(x: unknown): x is Prompt {
  if (!isPlain(x)) return false;
  switch (x.kind) {
    case 'none':
    case 'present_badge':
      return hasOnlyKeys(x, ['kind']);
    case 'touch_key':
      return hasOnlyKeys(x, ['kind', 'requestId']) && optional(x.requestId, isToken);
    case 'notice':
      return hasOnlyKeys(x, ['kind', 'code', 'holder']) && isOneOf(noticeCodes, x.code) && optional(x.holder, isHolder);
    case 'pin':
      return (
        hasOnlyKeys(x, ['kind', 'requestId', 'holder', 'means', 'triesLeft', 'reason', 'length']) &&
        isToken(x.requestId) &&
        isHolder(x.holder) &&
        isOneOf(meansKinds, x.means) &&
        optional(x.triesLeft, (t): t is number => isIntegerIn(t, 0, maxTries)) &&
        optional(x.reason, (r): r is PinReason => isOneOf(pinReasons, r)) &&
        isLength(x.length)
      );
    default:
      return false;
  }
}

/** The PIN as typed: digits only, within the contract's bounds. */
export function isPinDigits(x: unknown): x is string {
  return typeof x === 'string' && x.length >= minPinLength && x.length <= maxPinLength && /^[0-9]+$/.test(x);
}

/**
 * The PIN's bytes (ASCII digits, as ISO 7816 VERIFY and CTAP2 clientPIN take them) in a fresh
 * array the caller owns and must wipe (`fill(0)`). The string itself cannot be wiped: callers
 * drop it at once.
 */
export function pinBytes(digits: string): Uint8Array {
  const out = new Uint8Array(digits.length);
  for (let i = 0; i < digits.length; i++) out[i] = digits.charCodeAt(i);
  return out;
}
