import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiMethodNames, createTesseraApi, dispatchInvoke, forwardHostEvents, transportOverApi, type BridgeTransport } from '../../src/shared/bridge.js';
import { IpcChannel, type EventChannel } from '../../src/shared/ipc-contract.js';
import { active, pinPrompt, recordingHost } from './fixtures.js';

/** A transport whose answers and pushes the test chooses. */
function scripted(answer: (channel: string, args: readonly unknown[]) => unknown) {
  const sent: { channel: string; args: readonly unknown[] }[] = [];
  const listeners = new Map<string, (payload: unknown) => void>();
  const transport: BridgeTransport = {
    invoke: async (channel, args) => {
      sent.push({ channel, args });
      return answer(channel, args);
    },
    listen: (channel, listener) => {
      listeners.set(channel, listener);
      return () => listeners.delete(channel);
    },
  };
  const push = (channel: EventChannel, payload: unknown) => listeners.get(channel)?.(payload);
  return { transport, sent, push, listeners };
}

test('client: a valid answer passes, an answer that breaks the contract becomes an internal error', async () => {
  let reply: unknown = { ok: true, value: active };
  const { transport, sent } = scripted(() => reply);
  const api = createTesseraApi(transport);
  assert.deepEqual(await api.getStatus(), { ok: true, value: active });
  reply = { ok: true, value: { ...active, session: { state: 'active', person: { displayName: '<img>', id: 'x' } } } };
  const bad = await api.getStatus();
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.code, 'internal');
  assert.doesNotMatch(JSON.stringify(bad), /<img>/);
  reply = { ok: false, error: { code: 'stale-request', message: 'answered' } };
  assert.deepEqual(await api.submitPin('pin-1', '1234'), reply);
  assert.deepEqual(sent.at(-1), { channel: IpcChannel.submitPin, args: ['pin-1', '1234'] });
});

test('client: a transport that throws answers unavailable', async () => {
  const api = createTesseraApi({
    invoke: () => Promise.reject(new Error('socket closed')),
    listen: () => () => undefined,
  });
  const answer = await api.lock();
  assert.equal(!answer.ok && answer.error.code, 'unavailable');
});

test('client: pushes that break the contract are dropped', () => {
  const { transport, push, listeners } = scripted(() => null);
  const api = createTesseraApi(transport);
  const prompts: unknown[] = [];
  const off = api.onPrompt((p) => prompts.push(p));
  push(IpcChannel.promptChanged, pinPrompt);
  push(IpcChannel.promptChanged, { ...pinPrompt, holder: '' });
  push(IpcChannel.promptChanged, 'pin');
  assert.deepEqual(prompts, [pinPrompt]);
  off();
  assert.equal(listeners.size, 0);
});

test('host: dispatch refuses unknown channels and bad arguments without calling the host', async () => {
  const { host, calls } = recordingHost();
  const log: string[] = [];
  const options = { log: (m: string) => log.push(m) };
  assert.equal(((await dispatchInvoke(host, 'tessera:status:changed', [], options)) as { ok: boolean }).ok, false);
  assert.equal(((await dispatchInvoke(host, 'constructor', [], options)) as { ok: boolean }).ok, false);
  assert.equal(((await dispatchInvoke(host, IpcChannel.setSettings, [{ language: 'de' }], options)) as { ok: boolean }).ok, false);
  assert.deepEqual(calls, []);
  assert.deepEqual(await dispatchInvoke(host, IpcChannel.setSettings, [{ language: 'en' }], options), {
    ok: true,
    value: { values: { language: 'en', notifications: true }, allowed: { language: true, notifications: true } },
  });
});

test('the window.tessera of a bridge is used only when it has every method', async () => {
  assert.equal(transportOverApi(null), null);
  assert.equal(transportOverApi({ getStatus: () => null }), null);
  const { host } = recordingHost();
  const raw: Record<string, unknown> = {};
  for (const m of apiMethodNames) raw[m] = (host as unknown as Record<string, (...a: unknown[]) => unknown>)[m];
  raw.submitPin = async (id: string) => ({ ok: true, value: null, id });
  const transport = transportOverApi(raw);
  assert.ok(transport);
  const api = createTesseraApi(transport);
  assert.deepEqual(await api.getStatus(), { ok: true, value: active });
  // The extra field breaks the contract: refused, not passed through.
  assert.equal((await api.submitPin('pin-1', '1234')).ok, false);
});

test('forwardHostEvents sends each push on its channel and unsubscribes them all', () => {
  const { host } = recordingHost();
  const subscribed = new Map<string, (p: unknown) => void>();
  const withEvents = {
    ...host,
    onStatus: (l: (p: never) => void) => (subscribed.set('status', l as (p: unknown) => void), () => subscribed.delete('status')),
    onPrompt: (l: (p: never) => void) => (subscribed.set('prompt', l as (p: unknown) => void), () => subscribed.delete('prompt')),
    onEnrolProgress: (l: (p: never) => void) => (subscribed.set('enrol', l as (p: unknown) => void), () => subscribed.delete('enrol')),
  };
  const sent: [string, unknown][] = [];
  const off = forwardHostEvents(withEvents, (channel, payload) => sent.push([channel, payload]));
  subscribed.get('status')?.(active);
  subscribed.get('prompt')?.(pinPrompt);
  assert.deepEqual(sent, [
    [IpcChannel.statusChanged, active],
    [IpcChannel.promptChanged, pinPrompt],
  ]);
  off();
  assert.equal(subscribed.size, 0);
});
