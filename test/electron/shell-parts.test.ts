/** The small pure parts of the Electron shell: tray actions, login item, power forwarding to the engine, host switch, offline host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayEffect } from '../../src/main/electron/tray-actions.js';
import { trayActions } from '../../src/main/electron/tray-model.js';
import { applyLoginItem, hiddenArg, loginItemSettingsFor, type LoginItemSettings } from '../../src/main/electron/login-item.js';
import { enginePowerEvents } from '../../src/main/electron/agent-power.js';
import { createHostSwitch } from '../../src/main/electron/host-switch.js';
import { offlineHost, offlineStatus } from '../../src/main/electron/offline-host.js';
import { isStatusView, type StatusView } from '../../src/shared/status-view.js';
import type { Prompt } from '../../src/shared/prompt.js';
import type { TesseraHost } from '../../src/shared/bridge.js';
import { active, locked, pinPrompt, recordingHost } from './fixtures.js';

test('every tray action has an effect: agent calls, window sections, About, Quit', () => {
  const effects = Object.fromEntries(trayActions.map((a) => [a, trayEffect(a)]));
  assert.deepEqual(effects, {
    'show-status': { kind: 'window', hash: 'status' },
    lock: { kind: 'host', call: 'lock', thenShow: false },
    'sign-out': { kind: 'host', call: 'signOut', thenShow: false },
    'use-security-key': { kind: 'host', call: 'useSecurityKey', thenShow: true },
    'retry-connection': { kind: 'host', call: 'retryConnection', thenShow: false },
    'enrol-badge': { kind: 'window', hash: 'enrol-badge' },
    'enrol-fido2': { kind: 'window', hash: 'enrol-fido2' },
    settings: { kind: 'window', hash: 'settings' },
    about: { kind: 'about' },
    quit: { kind: 'quit' },
  });
});

test('login item: Windows starts hidden from the executable, macOS registers the app, Linux is left to the package', () => {
  assert.deepEqual(loginItemSettingsFor(true, 'win32', 'C:\\Program Files\\Tessera\\Tessera.exe'), {
    openAtLogin: true,
    path: 'C:\\Program Files\\Tessera\\Tessera.exe',
    args: [hiddenArg],
  });
  assert.deepEqual(loginItemSettingsFor(false, 'darwin', '/Applications/Tessera.app'), { openAtLogin: false });
  assert.equal(loginItemSettingsFor(true, 'linux', '/opt/Tessera/tessera'), null);
  const set: LoginItemSettings[] = [];
  const app = { setLoginItemSettings: (s: LoginItemSettings) => void set.push(s) };
  applyLoginItem(app, false, 'win32', 'x.exe');
  applyLoginItem(app, true, 'linux', 'x');
  assert.deepEqual(set, [{ openAtLogin: false, path: 'x.exe', args: [hiddenArg] }]);
});

test('power: lock-screen and suspend lock through the engine; resume catches up and re-checks the provider', async () => {
  const calls: string[] = [];
  const logged: string[] = [];
  const engine = {
    screenLocked: async () => void calls.push('screenLocked'),
    suspending: async () => void calls.push('suspending'),
    resumed: async () => {
      calls.push('resumed');
      throw new Error('audit disk full');
    },
  };
  const power = enginePowerEvents({ engine, probe: { checkNow: async () => void calls.push('probe') }, log: (m) => logged.push(m) });
  power.screenLocked();
  power.suspending();
  power.resumed();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['screenLocked', 'suspending', 'resumed', 'probe']);
  assert.deepEqual(logged, ['power: resume not recorded']);
});

function emittingHost(status: StatusView) {
  const { host } = recordingHost(status);
  const statusListeners = new Set<(s: StatusView) => void>();
  const promptListeners = new Set<(p: Prompt) => void>();
  const h: TesseraHost = {
    ...host,
    onStatus: (l) => (statusListeners.add(l), () => void statusListeners.delete(l)),
    onPrompt: (l) => (promptListeners.add(l), () => void promptListeners.delete(l)),
  };
  return { host: h, statusListeners, promptListeners };
}

test('host switch: subscribers follow the host behind it, and get its status at the switch', async () => {
  const retried: number[] = [];
  const sw = createHostSwitch(offlineHost(() => retried.push(1)));
  const seen: StatusView[] = [];
  const prompts: Prompt[] = [];
  sw.host.onStatus((s) => seen.push(s));
  sw.host.onPrompt((p) => prompts.push(p));
  assert.deepEqual(await sw.host.getStatus(), { ok: true, value: offlineStatus });
  assert.deepEqual(await sw.host.retryConnection(), { ok: true, value: null });
  assert.deepEqual(retried, [1]);
  const lock = await sw.host.lock();
  assert.equal(!lock.ok && lock.error.code, 'unavailable');

  const a = emittingHost(active);
  await sw.set(a.host);
  assert.deepEqual(seen, [active]);
  assert.deepEqual(prompts, [pinPrompt]);
  for (const l of a.statusListeners) l(locked);
  assert.deepEqual(seen, [active, locked]);
  assert.equal((await sw.host.lock()).ok, true);

  const b = emittingHost(locked);
  await sw.set(b.host);
  assert.equal(a.statusListeners.size, 0, 'the old host is no longer listened to');
  assert.equal(b.statusListeners.size, 1);
});

test('offline host: status says the agent is in error, PIN bytes are wiped, settings cannot change', async () => {
  const host = offlineHost();
  assert.equal(isStatusView(offlineStatus), true);
  assert.equal(offlineStatus.agent, 'error');
  const pin = Uint8Array.from([0x31, 0x32, 0x33, 0x34]);
  const answer = await host.submitPin('pin-1', pin);
  assert.equal(!answer.ok && answer.error.code, 'unavailable');
  assert.deepEqual([...pin], [0, 0, 0, 0]);
  const set = await host.setSettings({ language: 'en' });
  assert.equal(!set.ok && set.error.code, 'not-allowed');
});
