/**
 * The demo's simulator control panel protocol, carried in the same frames as the contract
 * (wire.ts) on its own WebSocket path: `sim:state` reads the simulated devices, `sim:act` runs
 * one action, `sim:changed` pushes the new state. Pure: the panel page imports it too.
 */

export const simulatorChannel = {
  state: 'sim:state',
  act: 'sim:act',
  changed: 'sim:changed',
} as const;

/** What the panel can do to the simulated world. */
export const simulatorActions = [
  'insert_card',
  'remove_card',
  'tap_badge',
  'present_new_badge',
  'plug_key',
  /** A new key (blank, with the demo key's PIN) in the key's place, for the enrolment wizard. */
  'plug_new_key',
  'unplug_key',
  'cut_network',
  'restore_network',
  'stop_pcscd',
  'start_pcscd',
] as const;
export type SimulatorAction = (typeof simulatorActions)[number];

export interface SimulatorState {
  /** The CPS card is in its reader. */
  card: boolean;
  /** The badge lies on the contactless reader (only during a tap). */
  badge: boolean;
  /** The FIDO2 key is plugged in; null when the demo has no key. */
  key: boolean | null;
  /** The identity provider is reachable; null when the demo has no provider. */
  network: boolean | null;
  pcscd: boolean;
  /** An action is running; the panel waits. */
  busy: boolean;
  /** The CPS PIN and the key PIN the demo's simulated devices expect (test devices only). */
  pins: { card: string; key: string | null };
}

export function isSimulatorAction(x: unknown): x is SimulatorAction {
  return typeof x === 'string' && (simulatorActions as readonly string[]).includes(x);
}

function isDigits(x: unknown): x is string {
  return typeof x === 'string' && /^[0-9]{4,16}$/.test(x);
}

export function isSimulatorState(x: unknown): x is SimulatorState {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  const pins = o.pins as Record<string, unknown> | null | undefined;
  const keys = ['card', 'badge', 'key', 'network', 'pcscd', 'busy', 'pins'];
  return (
    Object.keys(o).every((k) => keys.includes(k)) &&
    typeof o.card === 'boolean' &&
    typeof o.badge === 'boolean' &&
    (o.key === null || typeof o.key === 'boolean') &&
    (o.network === null || typeof o.network === 'boolean') &&
    typeof o.pcscd === 'boolean' &&
    typeof o.busy === 'boolean' &&
    typeof pins === 'object' &&
    pins !== null &&
    isDigits(pins.card) &&
    (pins.key === null || isDigits(pins.key))
  );
}
