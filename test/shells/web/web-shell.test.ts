/**
 * The web shell over HTTP and WebSocket, with a real UI core on a scripted runtime: the launch
 * token becomes an HttpOnly SameSite cookie; pages carry the Electron window's CSP; a wrong Host,
 * a missing or wrong token, a foreign Origin are refused; invokes go through the contract
 * (invalid arguments, unknown channels and malformed frames refused); status and prompt pushes
 * arrive; a PIN submitted over the socket reaches the PIN pad as bytes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { contentSecurityPolicy } from '../../../src/main/electron/secure-window-policy.js';
import { PinBroker } from '../../../src/main/shells/ui-core/pin-broker.js';
import { UiCore } from '../../../src/main/shells/ui-core/ui-core.js';
import { startWebShell, type WebShell } from '../../../src/main/shells/web/web-shell.js';
import { bridgePath, parseServerFrame, simulatorPath, type ServerFrame } from '../../../src/main/shells/web/wire.js';
import { IpcChannel } from '../../../src/shared/ipc-contract.js';
import { isPrompt } from '../../../src/shared/prompt.js';
import { isStatusView } from '../../../src/shared/status-view.js';
import { scriptedRuntime, type ScriptedRuntime } from '../ui-core/scripted-runtime.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web shell', () => {
  let dir: string;
  let shell: WebShell;
  let core: UiCore;
  let pins: PinBroker;
  let runtime: ScriptedRuntime;
  let cookie: string;
  let origin: string;
  const logs: string[] = [];

  const open = (headers: Record<string, string>, path = bridgePath): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${shell.port}${path}`, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
      ws.once('error', reject);
    });
  const frames = (ws: WebSocket): ServerFrame[] => {
    const got: ServerFrame[] = [];
    ws.on('message', (d: Buffer) => {
      const f = parseServerFrame(d.toString('utf8'));
      if (f) got.push(f);
    });
    return got;
  };
  async function until(what: string, cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Tessera</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'export {};');
    runtime = scriptedRuntime();
    pins = new PinBroker();
    core = new UiCore({ runtime, pins, monitor: { on: () => () => undefined }, refreshMs: 60_000 });
    shell = await startWebShell({ root: dir, host: core, log: (m) => logs.push(m) });
    origin = shell.origin;
  });

  after(async () => {
    core.stop();
    await shell.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the launch URL sets an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    assert.match(shell.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const r = await get(shell.port, new URL(shell.url).pathname + new URL(shell.url).search);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
    const set = String(r.headers['set-cookie']);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    cookie = set.split(';')[0] ?? '';
    assert.equal(shell.simulatorUrl, undefined);
  });

  it('pages and files with the cookie: served with the window CSP and nosniff', async () => {
    const r = await get(shell.port, '/', { cookie });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-security-policy'], contentSecurityPolicy);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(r.body, /<title>Tessera/);
    assert.equal((await get(shell.port, '/assets/app.js', { cookie })).headers['content-type'], 'text/javascript; charset=utf-8');
  });

  it('refused: no token, a wrong token, a wrong Host (DNS rebinding), other methods, traversal, the simulator page when there is none', async () => {
    assert.equal((await get(shell.port, '/')).status, 403);
    assert.equal((await get(shell.port, '/assets/app.js')).status, 403);
    assert.equal((await get(shell.port, '/?token=guess')).status, 403);
    assert.equal((await get(shell.port, '/', { cookie: `${cookie.split('=')[0]}=guess` })).status, 403);
    assert.equal((await get(shell.port, '/', { cookie, host: `localhost:${shell.port}` })).status, 421);
    assert.equal((await get(shell.port, '/', { cookie, host: 'evil.example' })).status, 421);
    assert.equal((await get(shell.port, '/', { cookie }, 'POST')).status, 405);
    assert.equal((await get(shell.port, '/../secret.js', { cookie })).status, 404);
    assert.equal((await get(shell.port, '/%2e%2e/%2e%2e/etc/passwd', { cookie })).status, 404);
    assert.equal((await get(shell.port, '/simulator/', { cookie })).status, 404);
  });

  it('WebSocket refused without the cookie, from another origin, with a wrong Host, on another path', async () => {
    await assert.rejects(open({ origin }), /refused 403/);
    await assert.rejects(open({ cookie, origin: 'http://evil.example' }), /refused 403/);
    await assert.rejects(open({ cookie }), /refused 403/);
    await assert.rejects(open({ cookie, origin, host: 'evil.example' }), /refused 421/);
    await assert.rejects(open({ cookie, origin }, simulatorPath), /refused 404/);
  });

  it('hostile raw requests (odd targets, upgrades included) are answered or closed; the shell stays up', async () => {
    const raw = (text: string): Promise<string> =>
      new Promise((resolve) => {
        const s = connect(shell.port, '127.0.0.1');
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.on('error', () => resolve(got));
        s.on('close', () => resolve(got));
        s.setTimeout(2000, () => s.destroy());
        s.end(text);
      });
    const host = `Host: 127.0.0.1:${shell.port}\r\n`;
    const upgrade = `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${origin}\r\nCookie: ${cookie}\r\n`;
    for (const target of ['http://[', '//%zz', '/bridge?x=%', '*', 'http://evil.example/bridge', '/%00', `/${'a'.repeat(4000)}`]) {
      for (const extra of ['', upgrade]) {
        const answer = await raw(`GET ${target} HTTP/1.1\r\n${host}${extra}\r\n`);
        assert.ok(answer === '' || /^HTTP\/1\.1 (4\d\d|101)/.test(answer), `${target}: ${answer.slice(0, 60)}`);
        if (answer.startsWith('HTTP/1.1 101')) assert.match(target, /^\/bridge(\?|$)/, `${target} was upgraded`);
      }
    }
    assert.equal((await get(shell.port, '/', { cookie })).status, 200, 'still serving');
  });

  it('invokes answer through the contract; pushes follow changes; bad frames are refused', async () => {
    const ws = await open({ cookie, origin });
    const got = frames(ws);
    const send = (o: unknown): void => ws.send(JSON.stringify(o));
    send({ t: 'invoke', id: 1, channel: IpcChannel.getStatus, args: [] });
    send({ t: 'invoke', id: 2, channel: IpcChannel.getStatus, args: ['extra'] });
    send({ t: 'invoke', id: 3, channel: 'tessera:nope', args: [] });
    send({ t: 'invoke', id: 4, channel: 'constructor', args: [] });
    send({ t: 'invoke', id: 5, channel: IpcChannel.lock });
    await until('five answers', () => got.filter((f) => f.t === 'result').length === 5);
    const byId = new Map(got.flatMap((f) => (f.t === 'result' ? [[f.id, f.result as { ok: boolean; value?: unknown; error?: { code: string } }]] : [])));
    assert.equal(byId.get(1)?.ok, true);
    assert.ok(isStatusView(byId.get(1)?.value));
    for (const id of [2, 3, 4, 5]) assert.equal(byId.get(id)?.error?.code, 'invalid-request', `request ${id}`);

    runtime.set({ state: 'authenticating', authenticating: { since: new Date(), reader: 'Lecteur 0', means: 'cps' } });
    runtime.fire();
    await until('the status push', () => got.some((f) => f.t === 'event' && f.channel === IpcChannel.statusChanged));
    const push = got.find((f) => f.t === 'event' && f.channel === IpcChannel.statusChanged);
    assert.ok(push?.t === 'event' && isStatusView(push.payload));
    assert.deepEqual((push.payload as { session: unknown }).session, { state: 'authenticating', means: 'cps', reader: 'Lecteur 0' });

    const pin = pins.ask({ reader: 'Lecteur 0', holder: 'JEAN MARTIN', means: 'cps', triesLeft: 3, length: { min: 4, max: 8 } });
    await until('the prompt push', () => got.some((f) => f.t === 'event' && f.channel === IpcChannel.promptChanged));
    const prompt = got.find((f) => f.t === 'event' && f.channel === IpcChannel.promptChanged);
    assert.ok(prompt?.t === 'event' && isPrompt(prompt.payload) && prompt.payload.kind === 'pin');
    send({ t: 'invoke', id: 6, channel: IpcChannel.submitPin, args: [prompt.payload.requestId, '4711'] });
    const bytes = await pin;
    assert.equal(bytes.toString('ascii'), '4711');
    bytes.fill(0);
    await until('the answer', () => got.some((f) => f.t === 'result' && f.id === 6));

    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{not json');
    assert.equal(await closed, 1008);
    assert.ok(!logs.join('\n').includes('4711'), 'the PIN is never logged');
  });
});
