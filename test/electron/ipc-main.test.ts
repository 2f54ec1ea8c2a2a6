import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerIpcHandlers, type IpcMainLike, type InvokeEventLike } from '../../src/main/electron/ipc-main.js';
import { IpcChannel } from '../../src/shared/ipc-contract.js';
import type { StatusView } from '../../src/shared/status-view.js';

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
const active: StatusView = { session: 'active', holder: 'Dr Marie Curie', means: 'cps', health: 'ok' };

function setup(handler: () => StatusView) {
  const { ipc, handlers } = fakeIpcMain();
  const logged: string[] = [];
  const unregister = registerIpcHandlers(
    ipc,
    { [IpcChannel.getStatus]: handler },
    { isTrustedSender: (url) => url === page, log: (m) => logged.push(m) },
  );
  const call = (event: InvokeEventLike, ...args: unknown[]) => {
    const listener = handlers.get(IpcChannel.getStatus);
    assert.ok(listener, 'handler registered');
    return listener(event, ...args);
  };
  return { call, logged, handlers, unregister };
}

test('a valid request from the app page gets { ok: true, value }', async () => {
  const { call } = setup(() => active);
  assert.deepEqual(await call(fromPage), { ok: true, value: active });
});

test('unexpected arguments are refused before the handler runs', async () => {
  let ran = false;
  const { call, logged } = setup(() => {
    ran = true;
    return active;
  });
  assert.deepEqual(await call(fromPage, { extra: true }), {
    ok: false,
    error: { code: 'invalid-request', message: `invalid arguments for ${IpcChannel.getStatus}` },
  });
  assert.equal(ran, false);
  assert.match(logged.join('\n'), /invalid arguments/);
});

test('a request from another page, or from a destroyed frame, is forbidden', async () => {
  const { call } = setup(() => active);
  const other = (await call({ senderFrame: { url: 'https://evil.example/' } })) as { ok: boolean; error: { code: string } };
  assert.equal(other.ok, false);
  assert.equal(other.error.code, 'forbidden');
  const gone = (await call({ senderFrame: null })) as { ok: boolean; error: { code: string } };
  assert.equal(gone.error.code, 'forbidden');
});

test('a failing handler answers a generic internal error and logs the cause', async () => {
  const { call, logged } = setup(() => {
    throw new Error('SW=6A82 secret detail');
  });
  const answer = await call(fromPage);
  assert.deepEqual(answer, { ok: false, error: { code: 'internal', message: `${IpcChannel.getStatus} failed` } });
  assert.doesNotMatch(JSON.stringify(answer), /6A82/);
  assert.match(logged.join('\n'), /handler failed/);
});

test('unregistering removes every handler', () => {
  const { handlers, unregister } = setup(() => active);
  assert.equal(handlers.size, 1);
  unregister();
  assert.equal(handlers.size, 0);
});
