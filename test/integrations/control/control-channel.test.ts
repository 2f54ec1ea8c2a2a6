/**
 * Local control channel (src/main/integrations/control) over a real Unix socket in a temp
 * folder: request/response, subscriptions, malformed and oversized input, 200 concurrent
 * clients, and the permission model (another user gets EACCES).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ControlClient,
  ControlError,
  ControlServer,
  CONTROL_METHODS,
  MAX_IN_FLIGHT,
  MAX_LINE_BYTES,
  defaultControlPath,
  prepareSocketPath,
  windowsPipePath,
  type AgentStatus,
  type ControlEvent,
  type ControlHandler,
} from '../../../src/main/integrations/control/index.js';

const STATUS: AgentStatus = {
  state: 'active',
  session: { person: '810000000001', means: 'cps', factors: ['possession', 'knowledge'], windowLeftMs: 3_600_000, locked: false },
  degraded: false,
  readers: [{ name: 'Virtual PCD 00 00', card: true }],
};

function fakeHandler(): ControlHandler & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    status: () => {
      calls.push('status');
      return STATUS;
    },
    lock: async () => {
      calls.push('lock');
      await Promise.resolve();
      return { decision: 'lock', reason: 'session.user_lock' };
    },
    signOut: () => {
      calls.push('signOut');
      return { decision: 'sign_out', reason: 'session.user_sign_out' };
    },
  };
}

/** Sends raw bytes, collects the lines answered until `count` lines arrived or the connection closed. */
function rawExchange(path: string, payload: string | Buffer, count: number): Promise<{ lines: unknown[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const lines: unknown[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ lines, closed });
    };
    s.setEncoding('utf8');
    s.on('connect', () => s.write(payload));
    s.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (lines.length >= count) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', (e) => (done ? undefined : reject(e)));
  });
}

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'tessera-control-'));
  chmodSync(root, 0o755); // so that another user can reach the agent's own folder (and be stopped there)
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshPath = (): string => join(root, `u${++n}`, 'tessera', 'agent.sock');

describe('control channel: requests and answers', () => {
  it('status, lock and signOut reach the injected handler and answer its result', async () => {
    const h = fakeHandler();
    const server = await ControlServer.start({ path: freshPath(), handler: h });
    const client = await ControlClient.connect(server.path);
    try {
      assert.deepEqual(await client.status(), STATUS);
      assert.deepEqual(await client.request('lock'), { decision: 'lock', reason: 'session.user_lock' });
      assert.deepEqual(await client.request('signOut'), { decision: 'sign_out', reason: 'session.user_sign_out' });
      assert.deepEqual(h.calls, ['status', 'lock', 'signOut']);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('the folder is 0700 and the socket 0600, both owned by the agent’s user; close removes the socket', async () => {
    const path = freshPath();
    const server = await ControlServer.start({ path, handler: fakeHandler() });
    const s = lstatSync(path);
    assert.ok(s.isSocket());
    assert.equal(s.mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    assert.equal(s.uid, process.getuid?.());
    await server.close();
    assert.throws(() => lstatSync(path), /ENOENT/);
  });

  it('a handler that throws answers ok:false with its code; the server keeps serving', async () => {
    const h = fakeHandler();
    const server = await ControlServer.start({
      path: freshPath(),
      handler: { ...h, lock: () => Promise.reject(Object.assign(new Error('engine busy'), { code: 'decision_not_recorded' })), signOut: () => { throw new Error('boom'); } },
      onWarning: () => undefined,
    });
    const client = await ControlClient.connect(server.path);
    try {
      await assert.rejects(client.request('lock'), (e) => e instanceof ControlError && e.code === 'control_remote_error' && e.remoteCode === 'decision_not_recorded');
      await assert.rejects(client.request('signOut'), (e) => e instanceof ControlError && e.remoteCode === 'handler_failed');
      assert.equal((await client.status()).state, 'active');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a connection with too many requests in progress gets busy for the extra ones, then is served again', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const server = await ControlServer.start({ path: freshPath(), handler: { ...fakeHandler(), lock: async () => { await gate; return { decision: 'lock', reason: 'session.user_lock' }; } } });
    const lines = Array.from({ length: MAX_IN_FLIGHT + 8 }, (_, i) => `{"id":${i},"method":"lock"}\n`).join('');
    // The gate opens only once the 8 extra requests were answered busy: no timing involved.
    const codes = await new Promise<string[]>((resolve, reject) => {
      const s = connect(server.path);
      const seen: string[] = [];
      let buf = '';
      s.setEncoding('utf8');
      s.on('connect', () => s.write(lines));
      s.on('error', reject);
      s.on('data', (d: string) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const l = JSON.parse(buf.slice(0, nl)) as { ok: boolean; error?: { code: string } };
          buf = buf.slice(nl + 1);
          seen.push(l.ok ? 'ok' : (l.error?.code ?? '?'));
        }
        if (seen.filter((c) => c === 'busy').length === 8) release();
        if (seen.length === MAX_IN_FLIGHT + 8) {
          s.destroy();
          resolve(seen);
        }
      });
    });
    assert.deepEqual(codes.slice(0, 8), Array<string>(8).fill('busy'));
    assert.equal(codes.filter((c) => c === 'ok').length, MAX_IN_FLIGHT);
    const c = await ControlClient.connect(server.path);
    assert.equal((await c.status()).state, 'active');
    c.close();
    await server.close();
  });

  it('connections beyond maxClients are closed at once; the others are served', async () => {
    const server = await ControlServer.start({ path: freshPath(), handler: fakeHandler(), maxClients: 2 });
    const a = await ControlClient.connect(server.path);
    const b = await ControlClient.connect(server.path);
    const c = await ControlClient.connect(server.path);
    try {
      await assert.rejects(c.status(), (e) => e instanceof ControlError && e.code === 'control_protocol');
      assert.equal((await a.status()).state, 'active');
      assert.equal((await b.status()).state, 'active');
    } finally {
      a.close();
      b.close();
      c.close();
      await server.close();
    }
  });

  it('a status answer outside the contract is refused by the client', async () => {
    const server = await ControlServer.start({ path: freshPath(), handler: { ...fakeHandler(), status: () => ({ state: 'active' }) as unknown as AgentStatus } });
    const client = await ControlClient.connect(server.path);
    try {
      await assert.rejects(client.status(), (e) => e instanceof ControlError && e.code === 'control_protocol');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('control channel: subscriptions', () => {
  it('a subscriber receives the events it asked for, in order; others receive nothing', async () => {
    const server = await ControlServer.start({ path: freshPath(), handler: fakeHandler() });
    const all = await ControlClient.connect(server.path);
    const decisionsOnly = await ControlClient.connect(server.path);
    const plain = await ControlClient.connect(server.path);
    const gotAll: ControlEvent[] = [];
    const gotDecisions: ControlEvent[] = [];
    let plainGot = 0;
    await plain.subscribe(() => plainGot++, ['readers']);
    try {
      assert.deepEqual(await all.subscribe((e) => gotAll.push(e)), ['status', 'decision', 'degraded', 'readers']);
      assert.deepEqual(await decisionsOnly.subscribe((e) => gotDecisions.push(e), ['decision']), ['decision']);
      assert.equal(server.subscriberCount, 3);
      server.publish('decision', { decision: 'lock', reason: 'session.card_removed' });
      server.publish('degraded', { degraded: true });
      server.publish('decision', { decision: 'unlock', reason: 'exi14.reidentified' });
      await all.status(); // answers come after the events published before the request
      await decisionsOnly.status();
      assert.deepEqual(gotAll, [
        { event: 'decision', data: { decision: 'lock', reason: 'session.card_removed' } },
        { event: 'degraded', data: { degraded: true } },
        { event: 'decision', data: { decision: 'unlock', reason: 'exi14.reidentified' } },
      ]);
      assert.deepEqual(gotDecisions.map((e) => (e.data as { reason: string }).reason), ['session.card_removed', 'exi14.reidentified']);
      await plain.status();
      assert.equal(plainGot, 0);
    } finally {
      all.close();
      decisionsOnly.close();
      plain.close();
      await server.close();
    }
  });

  it('a subscriber that stops reading is dropped, others go on', async () => {
    let dropped = 0;
    const server = await ControlServer.start({ path: freshPath(), handler: fakeHandler(), maxBufferedBytes: 64 * 1024, onWarning: (c) => (c === 'client_dropped' ? dropped++ : undefined) });
    const stalled = connect(server.path);
    await new Promise((r) => stalled.once('connect', r));
    stalled.write('{"id":1,"method":"subscribe"}\n');
    stalled.pause();
    const live = await ControlClient.connect(server.path);
    let liveEvents = 0;
    await live.subscribe(() => liveEvents++);
    while (server.subscriberCount < 2) await new Promise((r) => setTimeout(r, 5));
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2000 && dropped === 0; i++) {
      server.publish('status', { big, i });
      await new Promise((r) => setTimeout(r, 1)); // the live client reads between events, the stalled one never does
    }
    assert.equal(dropped, 1);
    await live.status();
    assert.ok(liveEvents > 0);
    stalled.destroy();
    live.close();
    await server.close();
  });
});

describe('control channel: hostile input', () => {
  let server: ControlServer;
  before(async () => {
    server = await ControlServer.start({ path: freshPath(), handler: fakeHandler() });
  });
  after(() => server.close());

  const deep = `{"id":1,"method":"status","params":${'{"a":'.repeat(20)}1${'}'.repeat(20)}}`;
  const cases: [string, string, unknown][] = [
    ['not JSON', 'hello', 'bad_json'],
    ['a JSON array', '[1,2]', 'bad_request'],
    ['a string', '"status"', 'bad_request'],
    ['no id', '{"method":"status"}', 'bad_request'],
    ['an object id', '{"id":{},"method":"status"}', 'bad_request'],
    ['an unknown method', '{"id":7,"method":"reboot"}', 'unknown_method'],
    ['a method of the wrong type', '{"id":7,"method":["status"]}', 'unknown_method'],
    ['an inherited property as method', '{"id":7,"method":"constructor"}', 'unknown_method'],
    ['an extra field', '{"id":7,"method":"status","pin":"1234"}', 'bad_request'],
    ['params not an object', '{"id":7,"method":"status","params":[]}', 'bad_params'],
    ['params for a method without any', '{"id":7,"method":"lock","params":{"force":true}}', 'bad_params'],
    ['unknown events', '{"id":7,"method":"subscribe","params":{"events":["keys"]}}', 'bad_params'],
    ['too deep', deep, 'too_deep'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1'), 'bad_json'],
  ];
  for (const [name, line, code] of cases) {
    it(`${name} → a typed error; the same connection still works`, async () => {
      const payload = name === 'invalid UTF-8' ? Buffer.concat([Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), Buffer.from('{"id":"after","method":"status"}\n')]) : `${line}\n{"id":"after","method":"status"}\n`;
      const { lines } = await rawExchange(server.path, payload, 2);
      const [first, second] = lines as [{ ok: boolean; error: { code: string; message: string } }, { id: string; ok: boolean }];
      assert.equal(first.ok, false);
      assert.equal(first.error.code, code);
      assert.ok(first.error.message.length > 0);
      assert.deepEqual([second.id, second.ok], ['after', true]);
    });
  }

  it('an id is echoed even when the method is unknown', async () => {
    const { lines } = await rawExchange(server.path, '{"id":"x-1","method":"nope"}\n', 1);
    assert.deepEqual(lines[0], { id: 'x-1', ok: false, error: { code: 'unknown_method', message: `method: expected one of ${CONTROL_METHODS.join(', ')}` } });
  });

  it('an over-long line (no newline) → line_too_long and the connection is closed; other clients are served', async () => {
    const { lines, closed } = await rawExchange(server.path, Buffer.alloc(MAX_LINE_BYTES + 10, 0x61), 5);
    assert.equal(closed, true);
    assert.equal((lines[0] as { error: { code: string } }).error.code, 'line_too_long');
    const c = await ControlClient.connect(server.path);
    assert.equal((await c.status()).state, 'active');
    c.close();
  });

  it('an over-long line split across many writes is cut at the limit, memory stays bounded', async () => {
    const s = connect(server.path);
    await new Promise((r) => s.once('connect', r));
    const closed = new Promise((r) => s.once('close', r));
    s.on('error', () => undefined);
    s.resume();
    const chunk = Buffer.alloc(4096, 0x20);
    for (let i = 0; i < 40 && !s.destroyed; i++) s.write(chunk);
    await closed;
    assert.ok(server.clientCount <= 1);
  });

  it('a line of exactly the limit is read (and refused for what it says, not for its size)', async () => {
    const prefix = '{"id":3,"method":"status","params":{"x":"';
    const line = `${prefix}${'a'.repeat(MAX_LINE_BYTES - prefix.length - 3)}"}}`;
    assert.equal(Buffer.byteLength(line), MAX_LINE_BYTES);
    const { lines } = await rawExchange(server.path, `${line}\n`, 1);
    assert.equal((lines[0] as { error: { code: string } }).error.code, 'bad_params');
  });

  it('random bytes never stop the server', async () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let k = 0; k < 20; k++) {
      const junk = Buffer.from(Array.from({ length: 300 }, rnd));
      const s = connect(server.path);
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      s.end(junk);
    }
    const c = await ControlClient.connect(server.path);
    assert.equal((await c.status()).state, 'active');
    c.close();
  });
});

describe('control channel: load', () => {
  it('200 concurrent clients for 2 s: no error, every answer matches its request (p99 reported)', async () => {
    const server = await ControlServer.start({ path: freshPath(), handler: fakeHandler() });
    const clients = await Promise.all(Array.from({ length: 200 }, () => ControlClient.connect(server.path)));
    const latencies: number[] = [];
    let errors = 0;
    const until = performance.now() + 2000;
    await Promise.all(
      clients.map(async (c, i) => {
        while (performance.now() < until) {
          const t0 = performance.now();
          try {
            const s = i % 2 === 0 ? await c.status() : await c.request('lock');
            latencies.push(performance.now() - t0);
            if (i % 2 === 0) assert.equal((s as AgentStatus).state, 'active');
            else assert.equal((s as { decision: string }).decision, 'lock');
          } catch {
            errors++;
          }
        }
      }),
    );
    for (const c of clients) c.close();
    await server.close();
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    console.log(`# control channel: 200 clients, ${latencies.length} requests in 2 s, p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms, max ${pct(100).toFixed(2)} ms`);
    assert.equal(errors, 0);
    assert.ok(latencies.length >= 200);
  });
});

describe('control channel: who may connect', () => {
  const NOBODY = 65534;
  /** Runs a connection attempt as uid/gid 65534 (nobody) and returns what it saw. */
  function connectAsNobody(path: string): Promise<string> {
    const script = `const s=require('net').connect(${JSON.stringify(path)});s.on('connect',()=>{s.write('{"id":1,"method":"status"}\\n')});s.on('data',d=>{process.stdout.write('CONNECTED '+String(d).trim());process.exit(0)});s.on('error',e=>{process.stdout.write(String(e.code));process.exit(0)});`;
    return new Promise((resolve, reject) => {
      const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim() || `stderr: ${err.trim()}`));
    });
  }

  it('another user gets EACCES: first at the 0700 folder, and at the 0600 socket even when the folder is opened', { skip: process.getuid?.() !== 0 && 'needs root to run a client as another user' }, async () => {
    const path = freshPath();
    mkdirSync(join(path, '..', '..'), { mode: 0o755 });
    chmodSync(join(path, '..', '..'), 0o755);
    const server = await ControlServer.start({ path, handler: fakeHandler() });
    try {
      assert.equal(await connectAsNobody(path), 'EACCES');
      chmodSync(join(path, '..'), 0o755); // only the socket's own mode protects it now
      assert.equal(await connectAsNobody(path), 'EACCES');
      // Control: with the socket opened to everyone the same child connects — the refusals above are the permissions at work.
      chmodSync(path, 0o666);
      assert.match(await connectAsNobody(path), /^CONNECTED .*"ok":true/);
    } finally {
      await server.close();
    }
  });

  it('the agent refuses a socket folder owned by another user', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    chownSync(join(path, '..'), NOBODY, NOBODY);
    await assert.rejects(ControlServer.start({ path, handler: fakeHandler() }), (e) => e instanceof ControlError && e.code === 'control_insecure_path' && /owned by uid 65534/.test(e.message));
  });

  it('the agent refuses a socket owned by another user, a non-socket at the path, a relative path, and a live agent', async () => {
    const p1 = freshPath();
    mkdirSync(join(p1, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(p1, 'not a socket');
    await assert.rejects(prepareSocketPath(p1), (e) => e instanceof ControlError && e.code === 'control_insecure_path' && /not a socket/.test(e.message));
    await assert.rejects(prepareSocketPath('tessera/agent.sock'), (e) => e instanceof ControlError && /absolute/.test(e.message));
    await assert.rejects(ControlServer.start({ path: join(root, 'x'.repeat(120), 'agent.sock'), handler: fakeHandler() }), (e) => e instanceof ControlError && e.code === 'control_insecure_path' && /sockaddr_un/.test(e.message));
    const p2 = freshPath();
    const live = await ControlServer.start({ path: p2, handler: fakeHandler() });
    await assert.rejects(ControlServer.start({ path: p2, handler: fakeHandler() }), (e) => e instanceof ControlError && /already listens/.test(e.message));
    if (process.getuid?.() === 0) {
      chownSync(p2, NOBODY, NOBODY);
      await assert.rejects(prepareSocketPath(p2), (e) => e instanceof ControlError && /socket owned by uid 65534/.test(e.message));
    }
    await live.close();
  });

  it('a stale socket left by a killed agent is cleared and the agent starts', async () => {
    const path = freshPath();
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)},()=>process.exit(0))`]);
    assert.equal(r.status, 0);
    assert.ok(lstatSync(path).isSocket());
    await assert.rejects(ControlClient.connect(path), (e) => e instanceof ControlError && e.code === 'agent_not_running' && /ECONNREFUSED/.test(e.message));
    const server = await ControlServer.start({ path, handler: fakeHandler() });
    const c = await ControlClient.connect(path);
    assert.equal((await c.status()).state, 'active');
    c.close();
    await server.close();
  });

  it('no agent (no socket) → agent_not_running', async () => {
    await assert.rejects(ControlClient.connect(join(root, 'nothing', 'agent.sock')), (e) => e instanceof ControlError && e.code === 'agent_not_running');
  });
});

describe('control channel: default paths', () => {
  it('XDG_RUNTIME_DIR, else /run/user/<uid>; Windows: a named pipe per user (path logic only, not exercised here)', () => {
    assert.equal(defaultControlPath({ platform: 'linux', env: { XDG_RUNTIME_DIR: '/run/user/1000' }, uid: 1000 }), '/run/user/1000/tessera/agent.sock');
    assert.equal(defaultControlPath({ platform: 'linux', env: {}, uid: 1001 }), '/run/user/1001/tessera/agent.sock');
    assert.equal(defaultControlPath({ platform: 'linux', env: { XDG_RUNTIME_DIR: 'relative' }, uid: 7 }), '/run/user/7/tessera/agent.sock');
    assert.equal(defaultControlPath({ platform: 'darwin', env: { XDG_RUNTIME_DIR: '/tmp/rt' }, uid: 501 }), '/tmp/rt/tessera/agent.sock');
    assert.equal(defaultControlPath({ platform: 'win32', username: 'mdupont' }), '\\\\.\\pipe\\tessera-mdupont');
    assert.equal(windowsPipePath('CHU\\j dupont'), '\\\\.\\pipe\\tessera-CHU_j_dupont');
    assert.equal(windowsPipePath(''), '\\\\.\\pipe\\tessera-user');
  });
});
