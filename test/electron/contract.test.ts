import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IpcChannel,
  apiEventChannels,
  apiInvokeChannels,
  eventValidators,
  isResultOf,
  requestValidators,
  responseValidators,
} from '../../src/shared/ipc-contract.js';
import { isPrompt, pinBytes, maxPinLength } from '../../src/shared/prompt.js';
import { isEnrolProgress } from '../../src/shared/enrolment.js';
import { isSettingsChange, isSettingsView, defaultSettings } from '../../src/shared/settings.js';
import { isStatusView, maxDisplayNameLength, noSession, personSession, timeLeftMs, trayStateOf } from '../../src/shared/status-view.js';
import { degradedLines, formatDuration, meansLine, pickLanguage, sessionLine, ssoLine, timeLeftLine } from '../../src/shared/status-text.js';
import { active, at, degraded, expired, locked, pinPrompt, signedOut, t0, tapped } from './fixtures.js';

test('channel names are unique and namespaced; every API method has exactly one channel', () => {
  const names = Object.values(IpcChannel);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^tessera:[a-z-]+:[a-z-]+$/);
  const mapped = [...Object.values(apiInvokeChannels), ...Object.values(apiEventChannels)];
  assert.deepEqual([...mapped].sort(), [...names].sort());
  assert.deepEqual(Object.keys(requestValidators).sort(), Object.values(apiInvokeChannels).sort());
  assert.deepEqual(Object.keys(responseValidators).sort(), Object.values(apiInvokeChannels).sort());
  assert.deepEqual(Object.keys(eventValidators).sort(), Object.values(apiEventChannels).sort());
});

test('isStatusView accepts every fixture and the empty status', () => {
  for (const view of [noSession, signedOut, active, tapped, locked, expired, degraded]) assert.equal(isStatusView(view), true, JSON.stringify(view));
  assert.equal(isStatusView({ ...noSession, session: { state: 'authenticating', means: 'cps', reader: 'R 0' } }), true);
  assert.equal(isStatusView({ ...noSession, session: { state: 'authenticating' } }), true);
});

/** Variations of `active` that break the contract, each in one field. */
function broken(): [string, unknown][] {
  const s = personSession(active);
  assert.ok(s);
  const session = (patch: Record<string, unknown>) => ({ ...active, session: { ...s, ...patch } });
  return [
    ['null', null],
    ['array', []],
    ['missing readers', { ...active, readers: undefined }],
    ['extra top-level field', { ...active, rpps: '1' }],
    ['unknown session state', session({ state: 'open' })],
    ['none with a person', { ...active, session: { state: 'none', person: s.person } }],
    ['blank display name', session({ person: { displayName: '   ', id: '1' } })],
    ['long display name', session({ person: { displayName: 'x'.repeat(maxDisplayNameLength + 1), id: '1' } })],
    ['person with extra field', session({ person: { ...s.person, pin: '1234' } })],
    ['unknown means', session({ means: 'password' })],
    ['unknown factor', session({ factors: ['possession', 'luck'] })],
    ['repeated factor', session({ factors: ['knowledge', 'knowledge'] })],
    ['window end not ISO', session({ windowEnd: 'tomorrow' })],
    ['window end with offset', session({ windowEnd: '2026-11-23T10:00:00+01:00' })],
    ['window end impossible date', session({ windowEnd: '2026-13-45T10:00:00Z' })],
    ['reason not a code', session({ reason: 'Card Removed!' })],
    ['sso unknown state', { ...active, sso: { state: 'maybe', provider: 'X' } }],
    ['sso without provider', { ...active, sso: { state: 'signed-in' } }],
    ['degraded not an object', { ...active, degraded: true }],
    ['degraded reason without since', { ...active, degraded: { reasons: [{ code: 'idp_unreachable' }] } }],
    ['degraded reason bad code', { ...active, degraded: { reasons: [{ code: '<b>', since: at(0) }] } }],
    ['too many degraded reasons', { ...active, degraded: { reasons: Array.from({ length: 17 }, () => ({ code: 'x', since: at(0) })) } }],
    ['reader card not boolean', { ...active, readers: [{ name: 'R', card: 'yes' }] }],
    ['too many readers', { ...active, readers: Array.from({ length: 17 }, (_, i) => ({ name: `R${i}`, card: false })) }],
    ['agent state unknown', { ...active, agent: 'fine' }],
    ['allowed enrol unknown kind', { ...active, allowed: { ...active.allowed, enrol: ['password'] } }],
    ['allowed missing quit', { ...active, allowed: { settings: true, securityKey: true, enrol: [] } }],
  ];
}

test('isStatusView refuses each broken field', () => {
  for (const [what, x] of broken()) assert.equal(isStatusView(x), false, what);
});

test('prompts: the five kinds, and what breaks them', () => {
  for (const p of [{ kind: 'none' }, { kind: 'touch_key' }, { kind: 'touch_key', requestId: 'k-1' }, { kind: 'present_badge' }, { kind: 'notice', code: 'pin_blocked', holder: 'Dr A' }, pinPrompt, { ...pinPrompt, reason: 'wrong_pin', triesLeft: 0 }]) {
    assert.equal(isPrompt(p), true, JSON.stringify(p));
  }
  const bad: unknown[] = [
    { kind: 'pin' },
    { ...pinPrompt, requestId: 'has space' },
    { ...pinPrompt, triesLeft: -1 },
    { ...pinPrompt, triesLeft: 1.5 },
    { ...pinPrompt, reason: 'because' },
    { ...pinPrompt, length: { min: 8, max: 4 } },
    { ...pinPrompt, length: { min: 1, max: 4 } },
    { ...pinPrompt, pin: '1234' },
    { kind: 'notice', code: 'anything' },
    { kind: 'present_badge', holder: 'x' },
    { kind: 'type_password' },
  ];
  for (const p of bad) assert.equal(isPrompt(p), false, JSON.stringify(p));
});

test('submitPin takes a request id and 4 to 16 digits, nothing else', () => {
  const v = requestValidators[IpcChannel.submitPin];
  assert.equal(v(['pin-1', '1234']), true);
  assert.equal(v(['pin-1', '1'.repeat(maxPinLength)]), true);
  for (const args of [['pin-1', '123'], ['pin-1', '1'.repeat(maxPinLength + 1)], ['pin-1', '12a4'], ['pin-1', 1234], ['', '1234'], ['pin-1'], ['pin-1', '1234', 'x'], ['a b', '1234']]) {
    assert.equal(v(args), false, JSON.stringify(args));
  }
});

test('pinBytes gives the ASCII digits in a fresh array', () => {
  const bytes = pinBytes('0429');
  assert.deepEqual([...bytes], [0x30, 0x34, 0x32, 0x39]);
  bytes.fill(0);
  assert.deepEqual([...bytes], [0, 0, 0, 0]);
});

test('argument-less requests refuse arguments; enrol, cancel and settings check theirs', () => {
  for (const c of [IpcChannel.getStatus, IpcChannel.getPrompt, IpcChannel.lock, IpcChannel.signOut, IpcChannel.useSecurityKey, IpcChannel.retryConnection, IpcChannel.getSettings]) {
    assert.equal(requestValidators[c]([]), true, c);
    assert.equal(requestValidators[c]([undefined]), false, c);
  }
  assert.equal(requestValidators[IpcChannel.enrol]([{ kind: 'badge' }]), true);
  assert.equal(requestValidators[IpcChannel.enrol]([{ kind: 'fido2' }]), true);
  assert.equal(requestValidators[IpcChannel.enrol]([{ kind: 'cps' }]), false);
  assert.equal(requestValidators[IpcChannel.enrol]([{ kind: 'badge', pin: '1' }]), false);
  assert.equal(requestValidators[IpcChannel.cancelEnrol](['enr-1']), true);
  assert.equal(requestValidators[IpcChannel.cancelPin]([{}]), false);
  assert.equal(requestValidators[IpcChannel.cancelTouch](['touch-1']), true);
  for (const args of [[], [''], ['a b'], [1], ['t-1', 't-2']]) assert.equal(requestValidators[IpcChannel.cancelTouch](args), false, JSON.stringify(args));
  assert.equal(responseValidators[IpcChannel.cancelTouch]({ ok: true, value: null }), true);
  assert.equal(responseValidators[IpcChannel.cancelTouch]({ ok: true, value: 'cancelled' }), false);
  assert.equal(responseValidators[IpcChannel.cancelTouch]({ ok: false, error: { code: 'stale-request', message: 'x' } }), true);
  assert.equal(requestValidators[IpcChannel.setSettings]([{ language: 'en' }]), true);
  assert.equal(isSettingsChange({ notifications: false, language: 'system' }), true);
  for (const c of [{}, { language: 'de' }, { notifications: 'no' }, { theme: 'dark' }, null, []]) assert.equal(isSettingsChange(c), false, JSON.stringify(c));
});

test('settings views and enrolment progress are validated', () => {
  assert.equal(isSettingsView({ values: defaultSettings, allowed: { language: true, notifications: false } }), true);
  assert.equal(isSettingsView({ values: { language: 'fr' }, allowed: { language: true, notifications: false } }), false);
  assert.equal(isSettingsView({ values: defaultSettings, allowed: { language: 'yes', notifications: false } }), false);
  assert.equal(isSettingsView({ values: defaultSettings, allowed: { language: true, notifications: true }, notice: 'settings_file_invalid' }), true);
  assert.equal(isSettingsView({ values: defaultSettings, allowed: { language: true, notifications: true }, notice: 'corrupt' }), false);
  assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'badge', step: 'present' }), true);
  assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'fido2', step: 'failed', failure: 'timeout' }), true);
  for (const failure of ['wrong_pin', 'pin_blocked', 'no_uv', 'already_enrolled', 'needs_two_factor', 'cancelled']) {
    assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'fido2', step: 'failed', failure }), true, failure);
  }
  assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'fido2', step: 'failed', failure: 'pin_wrong' }), false);
  assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'fido2', step: 'failed' }), false);
  assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'fido2', step: 'done', failure: 'timeout' }), false);
  assert.equal(isEnrolProgress({ enrolmentId: 'e1', kind: 'cps', step: 'done' }), false);
});

test('answers are results of the channel value with a known error code', () => {
  const status = responseValidators[IpcChannel.getStatus];
  assert.equal(status({ ok: true, value: active }), true);
  assert.equal(status({ ok: false, error: { code: 'internal', message: 'x' } }), true);
  assert.equal(status({ ok: false, error: { code: 'stale-request', message: 'x' } }), true);
  assert.equal(status({ ok: false, error: { code: 'kaboom', message: 'x' } }), false);
  assert.equal(status({ ok: true, value: { session: 'none' } }), false);
  assert.equal(status({ ok: true, value: active, extra: 1 }), false);
  assert.equal(status({ ok: false, error: 'boom' }), false);
  assert.equal(status({ ok: 'yes' }), false);
  const lock = responseValidators[IpcChannel.lock];
  assert.equal(lock({ ok: true, value: null }), true);
  assert.equal(lock({ ok: true }), false);
  assert.equal(lock({ ok: true, value: 'done' }), false);
  assert.equal(isResultOf((x): x is number => typeof x === 'number', { ok: true, value: 1 }), true);
});

test('French first; English only when it is the first preference', () => {
  assert.equal(pickLanguage(['fr-FR', 'en-US']), 'fr');
  assert.equal(pickLanguage(['en-GB', 'fr-FR']), 'en');
  assert.equal(pickLanguage(['en']), 'en');
  assert.equal(pickLanguage(['de-DE', 'en-US']), 'fr');
  assert.equal(pickLanguage(['english']), 'fr');
  assert.equal(pickLanguage([]), 'fr');
});

test('status lines in both languages', () => {
  assert.equal(sessionLine(signedOut, 'fr'), 'Aucune session ouverte');
  assert.equal(sessionLine(signedOut, 'en'), 'No open session');
  assert.equal(sessionLine(active, 'fr'), 'Session de Dr Marie Curie');
  assert.equal(sessionLine(locked, 'fr'), 'Session de Dr Marie Curie verrouillée');
  assert.equal(sessionLine(locked, 'en'), 'Session of Dr Marie Curie, locked');
  assert.equal(meansLine(active, 'fr'), 'carte CPS (possession, code PIN)');
  assert.equal(meansLine(tapped, 'en'), 'contactless badge (possession)');
  assert.equal(meansLine(signedOut, 'fr'), null);
  assert.equal(ssoLine(active, 'fr'), 'Connecté à Hôpital Nord');
  assert.equal(ssoLine(signedOut, 'en'), 'Web single sign-on not configured');
  assert.deepEqual(degradedLines(degraded, 'fr'), ['Le fournisseur d’identité est injoignable.']);
  assert.deepEqual(degradedLines({ ...active, degraded: { reasons: [{ code: 'ldap_down', since: at(0) }] } }, 'en'), ['Service unavailable (ldap_down).']);
  assert.deepEqual(degradedLines(active, 'fr'), []);
});

test('time left: minutes rounded up, hours from 60 min, seconds in the last minute when asked', () => {
  assert.equal(timeLeftMs(active, t0), 240 * 60_000);
  assert.equal(timeLeftMs(expired, t0), 0);
  assert.equal(timeLeftMs(signedOut, t0), null);
  assert.equal(formatDuration(240 * 60_000, 'fr'), '4 h 00');
  assert.equal(formatDuration(61 * 60_000 - 1, 'fr'), '1 h 01');
  assert.equal(formatDuration(59 * 60_000 + 1, 'en'), '1 h 00');
  assert.equal(formatDuration(90_000, 'en'), '2 min');
  assert.equal(formatDuration(30_500, 'fr', true), '31 s');
  assert.equal(formatDuration(30_500, 'fr'), '1 min');
  assert.equal(timeLeftLine(active, t0, 'fr'), '4 h 00 restantes avant nouvelle authentification');
  assert.equal(timeLeftLine(expired, t0, 'en'), 'Re-identification window over');
  assert.equal(timeLeftLine(signedOut, t0, 'en'), null);
});

test('tray state: agent error, then degraded, then the session', () => {
  assert.equal(trayStateOf(signedOut), 'signed-out');
  assert.equal(trayStateOf(active), 'active');
  assert.equal(trayStateOf(locked), 'locked');
  assert.equal(trayStateOf(expired), 'locked');
  assert.equal(trayStateOf(degraded), 'degraded');
  assert.equal(trayStateOf({ ...degraded, agent: 'error' }), 'error');
});
