/**
 * Runs the compiled preload the way Electron's sandbox does (a CommonJS script whose `require`
 * only knows `electron`), with a recording fake of `contextBridge` and `ipcRenderer`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { IpcChannel, apiEventChannels, apiInvokeChannels, apiKey, type TesseraApi } from '../../src/shared/ipc-contract.js';
import { apiMethodNames } from '../../src/shared/bridge.js';
import { repoRoot } from './repo-root.js';

const compiledPreload = path.join(repoRoot, 'build', 'src', 'main', 'electron', 'preload.cjs');

type Listener = (event: unknown, ...args: unknown[]) => void;

async function loadPreload() {
  const code = await readFile(compiledPreload, 'utf8');
  const exposed = new Map<string, unknown>();
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<Listener>>();
  const required: string[] = [];
  const ipcRenderer = {
    invoke: (channel: string, ...args: unknown[]) => {
      invoked.push({ channel, args });
      return Promise.resolve({ ok: true, value: { session: 'none', health: 'ok' } });
    },
    on: (channel: string, listener: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)?.add(listener);
    },
    removeListener: (channel: string, listener: Listener) => listeners.get(channel)?.delete(listener),
  };
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) };
  const sandboxRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return { contextBridge, ipcRenderer };
    throw new Error(`a sandboxed preload cannot require ${id}`);
  };
  const module = { exports: {} };
  vm.runInNewContext(code, { require: sandboxRequire, module, exports: module.exports }, { filename: compiledPreload });
  return { exposed, invoked, listeners, required };
}

test('the preload requires nothing but electron', async () => {
  const { required } = await loadPreload();
  assert.deepEqual(required, ['electron']);
  const code = await readFile(compiledPreload, 'utf8');
  const requires = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  assert.deepEqual(requires, ['electron']);
});

test('the preload exposes exactly one frozen object, window.tessera, with every contract method', async () => {
  const { exposed } = await loadPreload();
  assert.deepEqual([...exposed.keys()], [apiKey]);
  const api = exposed.get(apiKey) as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), [...apiMethodNames].sort());
  assert.ok(Object.isFrozen(api));
});

test('each request method invokes its contract channel with its arguments', async () => {
  const { exposed, invoked } = await loadPreload();
  const api = exposed.get(apiKey) as TesseraApi;
  assert.deepEqual(await api.getStatus(), { ok: true, value: { session: 'none', health: 'ok' } });
  await api.submitPin('pin-1', '1234');
  await api.enrol({ kind: 'fido2' });
  await api.setSettings({ language: 'en' });
  assert.deepEqual(invoked, [
    { channel: IpcChannel.getStatus, args: [] },
    { channel: IpcChannel.submitPin, args: ['pin-1', '1234'] },
    { channel: IpcChannel.enrol, args: [{ kind: 'fido2' }] },
    { channel: IpcChannel.setSettings, args: [{ language: 'en' }] },
  ]);
  for (const [method, channel] of Object.entries(apiInvokeChannels)) {
    invoked.length = 0;
    await (api[method as keyof typeof apiInvokeChannels] as () => Promise<unknown>)();
    assert.equal(invoked[0]?.channel, channel, method);
  }
});

test('each on* method passes only the payload (never the IPC event) and unsubscribes', async () => {
  const { exposed, listeners } = await loadPreload();
  const api = exposed.get(apiKey) as TesseraApi;
  for (const [method, channel] of Object.entries(apiEventChannels)) {
    const seen: unknown[][] = [];
    const subscribe = api[method as keyof typeof apiEventChannels] as (l: (...a: unknown[]) => void) => () => void;
    const off = subscribe((...args: unknown[]) => seen.push(args));
    const registered = [...(listeners.get(channel) ?? [])];
    assert.equal(registered.length, 1, method);
    registered[0]?.({ sender: 'ipc event with sender' }, { payload: method });
    assert.deepEqual(seen, [[{ payload: method }]]);
    off();
    assert.equal(listeners.get(channel)?.size, 0);
  }
});
