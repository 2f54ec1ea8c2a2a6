/**
 * What the desktop UI shows about the agent: the read-only projection of the session engine's
 * state that the tray, the status window and the web demo display. It carries no secret: the
 * person's display name and identifier (RPPS or local id) are what their card already shows.
 * Pure data and validators: no Electron, no Node, no DOM.
 */
import { hasOnlyKeys, isArrayOf, isCode, isIsoInstant, isOneOf, isPlain, isText, optional, type Plain } from './validate.js';

/** Means of identification, as the status shows them. */
export const meansKinds = ['cps', 'desfire', 'fido2'] as const;
export type MeansKind = (typeof meansKinds)[number];

/** Authentication factors of the last authentication (a badge tap shows possession only). */
export const factorKinds = ['possession', 'knowledge', 'inherence'] as const;
export type FactorKind = (typeof factorKinds)[number];

/** Workstation session states (the engine's `signed_out` is `none` here). */
export const sessionStates = ['none', 'authenticating', 'active', 'locked', 'expired'] as const;
export type SessionState = (typeof sessionStates)[number];

export const maxDisplayNameLength = 128;
export const maxPersonIdLength = 64;
export const maxReaderNameLength = 200;
export const maxReaders = 16;
export const maxDegradedReasons = 16;
export const maxProviderLength = 200;

export interface PersonView {
  /** Name as the card or key registration gives it ("Dr Marie Curie"). */
  displayName: string;
  /** RPPS number or the establishment's local identifier. */
  id: string;
}

export type SessionView =
  | { state: 'none' }
  | { state: 'authenticating'; means?: MeansKind; reader?: string }
  | {
      state: 'active' | 'locked' | 'expired';
      person: PersonView;
      means: MeansKind;
      factors: FactorKind[];
      /** End of the EXI 14 re-identification window, ISO 8601 UTC: the UI counts down to it. */
      windowEnd: string;
      /** Reason code of the lock or expiry (`card_removed`, `idle`, `user_lock`, ...). */
      reason?: string;
    };

export const ssoStates = ['signed-in', 'signed-out', 'error'] as const;
export type SsoState = (typeof ssoStates)[number];
/** Web SSO state; `null` in StatusView when no provider is configured. */
export interface SsoView {
  state: SsoState;
  /** The provider's display name or issuer host. */
  provider: string;
  /** Why, when `state` is `error` (`provider_unreachable`, `token_refused`, ...). */
  code?: string;
}

/**
 * One reason the agent works in degraded mode, since when. Codes are snake case; the UI has
 * words for the known ones (`degradedReasonCodes`) and a generic sentence for any other.
 */
export interface DegradedReason {
  code: string;
  /** ISO 8601 UTC. */
  since: string;
}
export const degradedReasonCodes = ['pcsc_unavailable', 'idp_unreachable', 'network_down', 'audit_unreachable', 'fido2_unavailable'] as const;
export type KnownDegradedReason = (typeof degradedReasonCodes)[number];

export interface ReaderView {
  name: string;
  /** A card is present in the reader. */
  card: boolean;
}

/** What the policy lets this user do from the UI (the tray and the screens hide the rest). */
export interface AllowedActions {
  /** Settings screen (managed setting AllowUserSettings). */
  settings: boolean;
  /** Quit item (managed setting AllowQuit). */
  quit: boolean;
  /** "I forgot my card — use a security key" (a FIDO2 fallback is configured). */
  securityKey: boolean;
  /** Means the user may enrol from the UI, inside a two-factor session. */
  enrol: EnrolKind[];
}
export const enrolKinds = ['badge', 'fido2'] as const;
export type EnrolKind = (typeof enrolKinds)[number];

export interface StatusView {
  session: SessionView;
  sso: SsoView | null;
  /** Empty `reasons` = not degraded. */
  degraded: { reasons: DegradedReason[] };
  readers: ReaderView[];
  /** `error`: the agent core failed or the UI lost it; the UI says so and offers a retry. */
  agent: 'ok' | 'error';
  allowed: AllowedActions;
}

export const nothingAllowed: AllowedActions = { settings: false, quit: false, securityKey: false, enrol: [] };

/** The status shown before the core has reported anything. */
export const noSession: StatusView = {
  session: { state: 'none' },
  sso: null,
  degraded: { reasons: [] },
  readers: [],
  agent: 'ok',
  allowed: { ...nothingAllowed, quit: true },
};

/** The session, when someone is in it (active, locked or expired). */
export type PersonSession = Extract<SessionView, { person: PersonView }>;
export function personSession(view: StatusView): PersonSession | null {
  const s = view.session;
  return s.state === 'active' || s.state === 'locked' || s.state === 'expired' ? s : null;
}

/** A two-factor session in front: what enrolment needs (a badge tap alone is one factor). */
export function isTwoFactorSession(view: StatusView): boolean {
  const s = personSession(view);
  return s !== null && s.state === 'active' && s.factors.length >= 2;
}

export function isDegraded(view: StatusView): boolean {
  return view.degraded.reasons.length > 0;
}

/** Milliseconds left in the window at `now` (0 once passed); null without a person session. */
export function timeLeftMs(view: StatusView, now: number): number | null {
  const s = personSession(view);
  if (!s) return null;
  return Math.max(0, Date.parse(s.windowEnd) - now);
}

/** Tray icon states, one icon file each (see assets/tray). */
export const trayStates = ['signed-out', 'active', 'locked', 'degraded', 'error'] as const;
export type TrayState = (typeof trayStates)[number];

/** Errors and degraded mode win over the session state: they must be visible first. */
export function trayStateOf(view: StatusView): TrayState {
  if (view.agent === 'error') return 'error';
  if (isDegraded(view)) return 'degraded';
  if (view.session.state === 'active') return 'active';
  if (view.session.state === 'locked' || view.session.state === 'expired') return 'locked';
  return 'signed-out';
}

// ---- validators (hand-written; applied on receipt on both sides) ----

function isPerson(x: unknown): x is PersonView {
  return (
    isPlain(x) &&
    hasOnlyKeys(x, ['displayName', 'id']) &&
    isText(x.displayName, maxDisplayNameLength) &&
    isText(x.id, maxPersonIdLength)
  );
}

function isFactors(x: unknown): x is FactorKind[] {
  return isArrayOf(x, factorKinds.length, (f): f is FactorKind => isOneOf(factorKinds, f)) && new Set(x).size === x.length;
}

function isReaderName(x: unknown): x is string {
  return isText(x, maxReaderNameLength);
}

function isMeans(x: unknown): x is MeansKind {
  return isOneOf(meansKinds, x);
}

export function isSessionView(x: unknown): x is SessionView {
  if (!isPlain(x)) return false;
  switch (x.state) {
    case 'none':
      return hasOnlyKeys(x, ['state']);
    case 'authenticating':
      return hasOnlyKeys(x, ['state', 'means', 'reader']) && optional(x.means, isMeans) && optional(x.reader, isReaderName);
    case 'active':
    case 'locked':
    case 'expired':
      return (
        hasOnlyKeys(x, ['state', 'person', 'means', 'factors', 'windowEnd', 'reason']) &&
        isPerson(x.person) &&
        isMeans(x.means) &&
        isFactors(x.factors) &&
        isIsoInstant(x.windowEnd) &&
        optional(x.reason, isCode)
      );
    default:
      return false;
  }
}

export function isSsoView(x: unknown): x is SsoView {
  return (
    isPlain(x) &&
    hasOnlyKeys(x, ['state', 'provider', 'code']) &&
    isOneOf(ssoStates, x.state) &&
    isText(x.provider, maxProviderLength) &&
    optional(x.code, isCode)
  );
}

function isDegradedReason(x: unknown): x is DegradedReason {
  return isPlain(x) && hasOnlyKeys(x, ['code', 'since']) && isCode(x.code) && isIsoInstant(x.since);
}

function isReader(x: unknown): x is ReaderView {
  return isPlain(x) && hasOnlyKeys(x, ['name', 'card']) && isReaderName(x.name) && typeof x.card === 'boolean';
}

export function isEnrolKind(x: unknown): x is EnrolKind {
  return isOneOf(enrolKinds, x);
}

function isAllowed(x: unknown): x is AllowedActions {
  return (
    isPlain(x) &&
    hasOnlyKeys(x, ['settings', 'quit', 'securityKey', 'enrol']) &&
    typeof x.settings === 'boolean' &&
    typeof x.quit === 'boolean' &&
    typeof x.securityKey === 'boolean' &&
    isArrayOf(x.enrol, enrolKinds.length, isEnrolKind) &&
    new Set(x.enrol).size === x.enrol.length
  );
}

function isDegradedBlock(x: unknown): x is { reasons: DegradedReason[] } {
  return isPlain(x) && hasOnlyKeys(x, ['reasons']) && isArrayOf(x.reasons, maxDegradedReasons, isDegradedReason);
}

const statusKeys = ['session', 'sso', 'degraded', 'readers', 'agent', 'allowed'] as const;

/** Hand-written validator for a status received over IPC or the demo's WebSocket. */
export function isStatusView(x: unknown): x is StatusView {
  if (!isPlain(x)) return false;
  const o: Plain = x;
  return (
    hasOnlyKeys(o, statusKeys) &&
    statusKeys.every((k) => k in o) &&
    isSessionView(o.session) &&
    (o.sso === null || isSsoView(o.sso)) &&
    isDegradedBlock(o.degraded) &&
    isArrayOf(o.readers, maxReaders, isReader) &&
    isOneOf(['ok', 'error'], o.agent) &&
    isAllowed(o.allowed)
  );
}
