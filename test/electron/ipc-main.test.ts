import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerIpcHandlers, type IpcMainLike, type InvokeEventLike } from '../../src/main/electron/ipc-main.js';
import { IpcChannel, requestValidators } from '../../src/shared/ipc-contract.js';
import type { TesseraHost } from '../../src/shared/bridge.js';
import { active, recordingHost } from './fixtures.js';

type Listener = (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc: IpcMainLike = {
    handle: (channel, listener) => {
      assert.ok(!handlers.has(channel), `second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  return { ipc, handlers };
}

const page = 'file:///app/build/renderer/index.html';
const fromPage: InvokeEventLike = { senderFrame: { url: page } };

function setup(host: TesseraHost = recordingHost().host) {
  const { ipc, handlers } = fakeIpcMain();
  const logged: string[] = [];
  const unregister = registerIpcHandlers(ipc, host, { isTrustedSender: (url) => url === page, log: (m) => logged.push(m) });
  const call = (channel: string, event: InvokeEventLike, ...args: unknown[]) => {
    const listener = handlers.get(channel);
    assert.ok(listener, `handler registered for ${channel}`);
    return listener(event, ...args);
  };
  return { call, logged, handlers, unregister };
}

test('every invoke channel of the contract is registered', () => {
  const { handlers } = setup();
  assert.deepEqual([...handlers.keys()].sort(), Object.keys(requestValidators).sort());
});

test('a valid request from the app page reaches the host and answers its result', async () => {
  const { host, calls } = recordingHost();
  const { call } = setup(host);
  assert.deepEqual(await call(IpcChannel.getStatus, fromPage), { ok: true, value: active });
  assert.deepEqual(await call(IpcChannel.lock, fromPage), { ok: true, value: null });
  assert.deepEqual(await call(IpcChannel.enrol, fromPage, { kind: 'badge' }), { ok: true, value: { enrolmentId: 'enr-1' } });
  assert.deepEqual(
    calls.map((c) => c.method),
    ['lock', 'enrol'],
  );
});

test('submitPin: the host gets the PIN as bytes it owns, and the log never sees it', async () => {
  const { host, calls, pins } = recordingHost();
  const { call, logged } = setup(host);
  assert.deepEqual(await call(IpcChannel.submitPin, fromPage, 'pin-1', '4321'), { ok: true, value: null });
  assert.deepEqual(calls, [{ method: 'submitPin', args: ['pin-1'] }]);
  assert.deepEqual([...(pins[0] ?? [])], [0x34, 0x33, 0x32, 0x31]);
  await call(IpcChannel.submitPin, fromPage, 'pin-1', '12');
  assert.doesNotMatch(logged.join('\n'), /4321|12\b/);
});

test('a host that throws on submitPin gets its PIN wiped and the renderer a generic error', async () => {
  const { host } = recordingHost();
  let seen: Uint8Array | undefined;
  const failing: TesseraHost = {
    ...host,
    submitPin: (_id, pin) => {
      seen = pin;
      throw new Error('card gone');
    },
  };
  const { call, logged } = setup(failing);
  const answer = await call(IpcChannel.submitPin, fromPage, 'pin-1', '9876');
  assert.deepEqual(answer, { ok: false, error: { code: 'internal', message: `${IpcChannel.submitPin} failed` } });
  assert.deepEqual([...(seen ?? [1])], [0, 0, 0, 0]);
  assert.match(logged.join('\n'), /handler failed/);
});

test('unexpected arguments are refused before the host runs', async () => {
  const { host, calls } = recordingHost();
  const { call, logged } = setup(host);
  assert.deepEqual(await call(IpcChannel.lock, fromPage, { extra: true }), {
    ok: false,
    error: { code: 'invalid-request', message: `invalid arguments for ${IpcChannel.lock}` },
  });
  assert.equal((await call(IpcChannel.enrol, fromPage, { kind: 'cps' }) as { ok: boolean }).ok, false);
  assert.deepEqual(calls, []);
  assert.match(logged.join('\n'), /invalid arguments/);
});

test('a request from another page, or from a destroyed frame, is forbidden', async () => {
  const { host, calls } = recordingHost();
  const { call } = setup(host);
  const other = (await call(IpcChannel.signOut, { senderFrame: { url: 'https://evil.example/' } })) as { ok: boolean; error: { code: string } };
  assert.equal(other.error.code, 'forbidden');
  const gone = (await call(IpcChannel.signOut, { senderFrame: null })) as { ok: boolean; error: { code: string } };
  assert.equal(gone.error.code, 'forbidden');
  assert.deepEqual(calls, []);
});

test('a failing host answers a generic internal error and logs the cause', async () => {
  const { host } = recordingHost();
  const { call, logged } = setup({
    ...host,
    getStatus: () => {
      throw new Error('SW=6A82 secret detail');
    },
  });
  const answer = await call(IpcChannel.getStatus, fromPage);
  assert.deepEqual(answer, { ok: false, error: { code: 'internal', message: `${IpcChannel.getStatus} failed` } });
  assert.doesNotMatch(JSON.stringify(answer), /6A82/);
  assert.match(logged.join('\n'), /handler failed/);
});

test('unregistering removes every handler', () => {
  const { handlers, unregister } = setup();
  assert.ok(handlers.size > 10);
  unregister();
  assert.equal(handlers.size, 0);
});
