/**
 * Runs the compiled preload the way Electron's sandbox does (a CommonJS script whose `require`
 * only knows `electron`), with a recording fake of `contextBridge` and `ipcRenderer`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { IpcChannel, apiKey, type TesseraApi } from '../../src/shared/ipc-contract.js';
import type { StatusView } from '../../src/shared/status-view.js';
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

test('the preload exposes exactly one object, window.tessera, with the contract methods', async () => {
  const { exposed } = await loadPreload();
  assert.deepEqual([...exposed.keys()], [apiKey]);
  const api = exposed.get(apiKey) as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), ['getStatus', 'onStatus']);
});

test('getStatus invokes the contract channel with no arguments', async () => {
  const { exposed, invoked } = await loadPreload();
  const api = exposed.get(apiKey) as TesseraApi;
  assert.deepEqual(await api.getStatus(), { ok: true, value: { session: 'none', health: 'ok' } });
  assert.deepEqual(invoked, [{ channel: IpcChannel.getStatus, args: [] }]);
});

test('onStatus passes only the status (never the IPC event) and unsubscribes', async () => {
  const { exposed, listeners } = await loadPreload();
  const api = exposed.get(apiKey) as TesseraApi;
  const seen: unknown[][] = [];
  const off = api.onStatus((...args: unknown[]) => seen.push(args));
  const registered = [...(listeners.get(IpcChannel.statusChanged) ?? [])];
  assert.equal(registered.length, 1);
  const view: StatusView = { session: 'active', holder: 'Dr Marie Curie', means: 'cps', health: 'ok' };
  registered[0]?.({ sender: 'ipc event with sender' }, view);
  assert.deepEqual(seen, [[view]]);
  off();
  assert.equal(listeners.get(IpcChannel.statusChanged)?.size, 0);
});
