/** Status views, prompts and a recording host shared by the shell and contract tests. */
import type { TesseraHost } from '../../src/shared/bridge.js';
import type { Prompt } from '../../src/shared/prompt.js';
import { ok } from '../../src/shared/result.js';
import { defaultSettings } from '../../src/shared/settings.js';
import { noSession, type StatusView } from '../../src/shared/status-view.js';

export const t0 = Date.parse('2026-11-23T08:00:00.000Z');
export const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();

export const allowedAll: StatusView['allowed'] = { settings: true, quit: true, securityKey: true, enrol: ['badge', 'fido2'] };

export const marie = { displayName: 'Dr Marie Curie', id: '10001234567' };

/** A two-factor CPS session with 4 h left at t0. */
export const active: StatusView = {
  session: { state: 'active', person: marie, means: 'cps', factors: ['possession', 'knowledge'], windowEnd: at(240) },
  sso: { state: 'signed-in', provider: 'Hôpital Nord' },
  degraded: { reasons: [] },
  readers: [{ name: 'Gemalto PC Twin Reader 00 00', card: true }],
  agent: 'ok',
  allowed: allowedAll,
};

export const tapped: StatusView = {
  ...active,
  session: { state: 'active', person: marie, means: 'desfire', factors: ['possession'], windowEnd: at(120) },
};

export const locked: StatusView = {
  ...active,
  session: { state: 'locked', person: marie, means: 'cps', factors: ['possession', 'knowledge'], windowEnd: at(90), reason: 'card_removed' },
};

export const expired: StatusView = {
  ...active,
  session: { state: 'expired', person: marie, means: 'cps', factors: ['possession', 'knowledge'], windowEnd: at(-1), reason: 'window_expired' },
};

export const signedOut: StatusView = { ...noSession, allowed: allowedAll };

export const degraded: StatusView = {
  ...active,
  sso: { state: 'error', provider: 'Hôpital Nord', code: 'provider_unreachable' },
  degraded: { reasons: [{ code: 'idp_unreachable', since: at(-5) }] },
};

export const pinPrompt: Extract<Prompt, { kind: 'pin' }> = {
  kind: 'pin',
  requestId: 'pin-1',
  holder: 'Dr Marie Curie',
  means: 'cps',
  triesLeft: 3,
  length: { min: 4, max: 8 },
};

/** A host that records calls and answers from fixed values. */
export function recordingHost(status: StatusView = active) {
  const calls: { method: string; args: unknown[] }[] = [];
  const pins: Uint8Array[] = [];
  const record =
    (method: string) =>
    (...args: unknown[]) => {
      calls.push({ method, args });
      return ok(null);
    };
  const never = () => () => undefined;
  const host: TesseraHost = {
    getStatus: () => ok(status),
    onStatus: never,
    getPrompt: () => ok(pinPrompt),
    onPrompt: never,
    submitPin: (requestId, pin) => {
      calls.push({ method: 'submitPin', args: [requestId] });
      pins.push(pin);
      return ok(null);
    },
    cancelPin: record('cancelPin'),
    cancelTouch: record('cancelTouch'),
    lock: record('lock'),
    signOut: record('signOut'),
    useSecurityKey: record('useSecurityKey'),
    retryConnection: record('retryConnection'),
    enrol: (request) => {
      calls.push({ method: 'enrol', args: [request] });
      return ok({ enrolmentId: 'enr-1' });
    },
    cancelEnrol: record('cancelEnrol'),
    onEnrolProgress: never,
    getSettings: () => ok({ values: defaultSettings, allowed: { language: true, notifications: true } }),
    setSettings: (changes) => {
      calls.push({ method: 'setSettings', args: [changes] });
      return ok({ values: { ...defaultSettings, ...changes }, allowed: { language: true, notifications: true } });
    },
  };
  return { host, calls, pins };
}
