/**
 * The loopback redirect listener on its own, over real HTTP on 127.0.0.1: every rule a stray or
 * hostile request meets, and how an attempt ends (valid callback, provider error, timeout,
 * cancellation, second use, port conflict).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { CALLBACK_PAGE_CSP, LoopbackListener, SsoError } from '../../../../src/main/integrations/sso/client/index.js';
import { rejectsWith } from './fixtures/helpers.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request (lets the test set any Host header and method). */
function send(port: number, path: string, opts: { host?: string; method?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { Host: opts.host ?? `127.0.0.1:${port}`, Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('LoopbackListener', () => {
  it('binds 127.0.0.1 only, on an ephemeral port, with /callback as redirect URI', async () => {
    const l = await LoopbackListener.open();
    try {
      assert.ok(l.port > 0);
      assert.equal(l.redirectUri, `http://127.0.0.1:${l.port}/callback`);
    } finally {
      await l.close();
    }
  });

  it('turns away wrong Host, other methods, unknown paths and wrong, missing or repeated state without ending the attempt; then accepts the valid callback once', async () => {
    const l = await LoopbackListener.open();
    const waiting = l.waitForCallback({ state: 'good-state', timeoutMs: 10_000 });
    const p = l.port;
    assert.equal((await send(p, '/callback?code=c&state=good-state', { host: `localhost:${p}` })).status, 400);
    assert.equal((await send(p, '/callback?code=c&state=good-state', { host: `127.0.0.1:${p + 1}` })).status, 400);
    assert.equal((await send(p, '/callback?code=c&state=good-state', { host: 'evil.example' })).status, 400);
    const post = await send(p, '/callback?code=c&state=good-state', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET');
    assert.equal((await send(p, '/other?code=c&state=good-state')).status, 404);
    assert.equal((await send(p, '//evil.example/callback?code=c&state=good-state')).status, 404);
    assert.equal((await send(p, '/callback/?code=c&state=good-state')).status, 404);
    assert.equal((await send(p, '/callback?code=c')).status, 400);
    assert.equal((await send(p, '/callback?code=c&state=bad-state')).status, 400);
    assert.equal((await send(p, '/callback?code=c&state=good-statf')).status, 400);
    assert.equal((await send(p, '/callback?code=c&state=good-state&state=good-state')).status, 400);
    assert.deepEqual(l.rejected, ['host', 'host', 'host', 'method', 'path', 'path', 'path', 'state', 'state', 'state', 'state']);

    const answer = send(p, '/callback?code=the-code&state=good-state&iss=x');
    const cb = await waiting;
    assert.equal(cb.url.origin, `http://127.0.0.1:${p}`);
    assert.equal(cb.url.searchParams.get('code'), 'the-code');
    // While the code is being exchanged, the same callback again is "already used".
    assert.equal((await send(p, '/callback?code=the-code&state=good-state')).status, 410);
    cb.finish({ ok: true });
    const page = await answer;
    assert.equal(page.status, 200);
    assert.match(page.body, /Connexion terminée\. Vous pouvez fermer cet onglet\./);
    assert.equal(page.headers['content-security-policy'], CALLBACK_PAGE_CSP);
    assert.match(CALLBACK_PAGE_CSP, /default-src 'none'/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.doesNotMatch(page.body, /<script|src=|href=/);
    // Closed after the first valid callback: a replay finds nobody listening.
    await assert.rejects(send(p, '/callback?code=the-code&state=good-state'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });

  it('answers in English when asked and says why the sign-in failed', async () => {
    const l = await LoopbackListener.open({ lang: 'en' });
    const waiting = l.waitForCallback({ state: 's', timeoutMs: 10_000 });
    const answer = send(l.port, '/callback?code=c&state=s');
    (await waiting).finish({ ok: false, error: new SsoError('sso_id_token_invalid', 'x', { reason: 'audience' }) });
    const page = await answer;
    assert.equal(page.status, 400);
    assert.match(page.body, /Sign-in failed: Invalid ID token \(audience\)/);
    assert.match(page.body, /lang="en"/);
  });

  it("ends the attempt with sso_provider_error on the provider's error answer and shows it, escaped", async () => {
    const l = await LoopbackListener.open();
    const waiting = l.waitForCallback({ state: 's', timeoutMs: 10_000 });
    const answer = send(l.port, `/callback?error=access_denied&error_description=${encodeURIComponent('<b>refusé</b>')}&state=s`);
    const err = await rejectsWith(waiting, 'sso_provider_error');
    assert.equal(err.providerError, 'access_denied');
    assert.equal(err.providerErrorDescription, '<b>refusé</b>');
    const page = await answer;
    assert.equal(page.status, 400);
    assert.match(page.body, /access_denied \(&lt;b&gt;refusé&lt;\/b&gt;\)/);
    assert.doesNotMatch(page.body, /<b>/);
  });

  it("a provider error with another attempt's state is a stray request, not the end", async () => {
    const l = await LoopbackListener.open();
    const waiting = l.waitForCallback({ state: 's', timeoutMs: 10_000 });
    assert.equal((await send(l.port, '/callback?error=access_denied&state=other')).status, 400);
    const answer = send(l.port, '/callback?code=c&state=s');
    (await waiting).finish({ ok: true });
    assert.equal((await answer).status, 200);
  });

  it('times out with sso_timeout and closes; with only wrong-state callbacks seen, sso_state_mismatch', async () => {
    const quiet = await LoopbackListener.open();
    await rejectsWith(quiet.waitForCallback({ state: 's', timeoutMs: 50 }), 'sso_timeout');
    await assert.rejects(send(quiet.port, '/callback?code=c&state=s'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');

    const forged = await LoopbackListener.open();
    const waiting = forged.waitForCallback({ state: 's', timeoutMs: 300 });
    assert.equal((await send(forged.port, '/callback?code=c&state=forged')).status, 400);
    await rejectsWith(waiting, 'sso_state_mismatch');
  });

  it('is cancelled by the abort signal, and can be waited on only once', async () => {
    const l = await LoopbackListener.open();
    const ac = new AbortController();
    const waiting = l.waitForCallback({ state: 's', timeoutMs: 10_000, signal: ac.signal });
    await rejectsWith(l.waitForCallback({ state: 's', timeoutMs: 10_000 }), 'sso_cancelled');
    ac.abort();
    await rejectsWith(waiting, 'sso_cancelled');
    await rejectsWith(l.waitForCallback({ state: 's', timeoutMs: 10_000 }), 'sso_cancelled');
  });

  it('a fixed port already taken is sso_port_in_use; a free fixed port is used as given', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as AddressInfo).port;
    try {
      const err = await rejectsWith(LoopbackListener.open({ port }), 'sso_port_in_use');
      assert.equal(err.reason, `127.0.0.1:${port}`);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
    const l = await LoopbackListener.open({ port });
    assert.equal(l.redirectUri, `http://127.0.0.1:${port}/callback`);
    await l.close();
    await rejectsWith(LoopbackListener.open({ port: 70000 }), 'sso_config_invalid');
  });

  it('fuzz: hostile raw requests (any request line, Host, query) get an HTTP answer or a closed connection; none ends or hijacks the attempt', async () => {
    const l = await LoopbackListener.open();
    const state = 'S'.repeat(43);
    const waiting = l.waitForCallback({ state, timeoutMs: 60_000 });
    let settled = false;
    void waiting.then(
      () => (settled = true),
      () => (settled = true),
    );
    /** Writes raw bytes, resolves with the status line's code (0 when the server just closed). */
    const raw = (bytes: Buffer): Promise<number> =>
      new Promise((resolve) => {
        const sock = connect(l.port, '127.0.0.1');
        const chunks: Buffer[] = [];
        sock.on('data', (c: Buffer) => chunks.push(c));
        sock.on('error', () => resolve(0));
        sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? 0)));
        sock.end(bytes);
      });
    const piece = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('/callback', '?', '&', '=', 'state=', 'code=', 'error=', state, '%', '%00', '\r\n', ' ', '#', '//', '..'));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'G\u00c9T', ''),
        fc.array(piece, { maxLength: 8 }),
        fc.oneof(fc.constant(`127.0.0.1:${l.port}`), fc.constant(`localhost:${l.port}`), fc.string({ maxLength: 30 })),
        async (method, parts, host) => {
          const target = parts.join('');
          // The one request the rules must accept is excluded: anything else must be turned away.
          fc.pre(!(method === 'GET' && host === `127.0.0.1:${l.port}` && new URLSearchParams(target.split('?')[1] ?? '').getAll('state').join() === state && target.split('?')[0] === '/callback'));
          const status = await raw(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 'latin1'));
          assert.ok(status === 0 || (status >= 400 && status < 500), `status ${status} for ${JSON.stringify([method, target, host])}`);
          assert.equal(settled, false, 'a hostile request ended the attempt');
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(l.rejected.length <= 64, 'the diagnostics list is bounded');
    const answer = send(l.port, `/callback?code=c&state=${state}`);
    (await waiting).finish({ ok: true });
    assert.equal((await answer).status, 200);
  });
});
