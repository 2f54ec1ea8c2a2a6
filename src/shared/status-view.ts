/**
 * What the desktop shell displays about the agent: the read-only projection of the session
 * state that the tray and the status window show. It carries no secret and no identifier
 * beyond the display name the person already sees on their card.
 */

/** Means of identification, as the status shows them. */
export const meansKinds = ['cps', 'desfire', 'fido2'] as const;
export type MeansKind = (typeof meansKinds)[number];

/** Health of the agent independent of the session: degraded = IdP or audit sink unreachable. */
export const healthStates = ['ok', 'degraded', 'error'] as const;
export type Health = (typeof healthStates)[number];

export type StatusView =
  | { session: 'none'; health: Health }
  | { session: 'active' | 'locked'; holder: string; means: MeansKind; health: Health };

/** The status shown before the core has reported anything, and whenever no one is signed in. */
export const noSession: StatusView = { session: 'none', health: 'ok' };

/** Tray icon states, one icon file each (see assets/tray). */
export const trayStates = ['signed-out', 'active', 'locked', 'degraded', 'error'] as const;
export type TrayState = (typeof trayStates)[number];

/** Health wins over the session state: a degraded or failing agent must be visible first. */
export function trayStateOf(view: StatusView): TrayState {
  if (view.health === 'error') return 'error';
  if (view.health === 'degraded') return 'degraded';
  if (view.session === 'active') return 'active';
  if (view.session === 'locked') return 'locked';
  return 'signed-out';
}

/** Longest holder name accepted; a CPS display name is far shorter. */
export const maxHolderLength = 128;

function isOneOf<T extends string>(values: readonly T[], x: unknown): x is T {
  return typeof x === 'string' && (values as readonly string[]).includes(x);
}

function hasOnlyKeys(o: object, keys: readonly string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/** Hand-written validator for a status received over IPC (either direction). */
export function isStatusView(x: unknown): x is StatusView {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  if (!isOneOf(healthStates, o.health)) return false;
  if (o.session === 'none') return hasOnlyKeys(o, ['session', 'health']);
  if (o.session !== 'active' && o.session !== 'locked') return false;
  return (
    hasOnlyKeys(o, ['session', 'health', 'holder', 'means']) &&
    typeof o.holder === 'string' &&
    o.holder.trim().length > 0 &&
    o.holder.length <= maxHolderLength &&
    isOneOf(meansKinds, o.means)
  );
}
