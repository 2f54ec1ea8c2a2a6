/**
 * Hostile clients of the local control channel, over a real Unix socket: a 10 MB line, JSON
 * nested 10,000 deep, half a line then silence, 1,000 connections at once, random lines. Each
 * is stopped by a limit with a typed wire error, and the agent keeps serving the others.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ControlClient, ControlServer, MAX_JSON_DEPTH, MAX_LINE_BYTES, type ControlHandler } from '../../src/main/integrations/control/index.js';
import { seedFor } from '../fuzz/harness.js';

const handler: ControlHandler = {
  status: () => ({ state: 'locked', degraded: false, readers: [] }),
  lock: () => ({ decision: 'lock', reason: 'session.user_lock' }),
  signOut: () => ({ decision: 'sign_out', reason: 'session.user_sign_out' }),
};

interface Peer {
  readonly socket: Socket;
  /** Lines received so far, parsed. */
  readonly lines: Array<{ id?: unknown; ok?: boolean; error?: { code: string } }>;
  readonly closed: Promise<void>;
  /** Resolves once `n` lines have arrived. */
  waitLines(n: number): Promise<void>;
}

function peer(path: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const lines: Peer['lines'] = [];
    let buf = '';
    const waiters: Array<{ n: number; resolve: () => void }> = [];
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Peer['lines'][number]);
        buf = buf.slice(nl + 1);
      }
      for (const w of waiters.splice(0)) if (lines.length >= w.n) w.resolve(); else waiters.push(w);
    });
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        lines,
        closed,
        waitLines: (n) => (lines.length >= n ? Promise.resolve() : new Promise((r) => waiters.push({ n, resolve: r }))),
      }),
    );
    socket.once('error', reject);
  });
}

/** Writes `total` bytes of `fill` without a newline, in 64 KiB writes, as fast as the socket takes them; stops when the server closes. */
async function writeFlood(s: Socket, total: number): Promise<number> {
  const piece = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  while (sent < total && !s.destroyed && s.writable) {
    const ok = s.write(piece);
    sent += piece.length;
    if (!ok) await new Promise<void>((r) => { s.once('drain', () => r()); s.once('close', () => r()); });
  }
  return sent;
}

let root: string;
let server: ControlServer;
let path: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'tessera-hostile-control-'));
  path = join(root, 'run', 'agent.sock');
  server = await ControlServer.start({ path, handler, lineTimeoutMs: 300, maxClients: 1024 });
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

async function stillServes(): Promise<void> {
  const client = await ControlClient.connect(path);
  try {
    const status = await client.status();
    assert.equal(status.state, 'locked');
  } finally {
    client.close();
  }
}

describe('hostile control clients', () => {
  it('a 10 MB line: line_too_long after at most the limit, connection closed, others served', async () => {
    const p = await peer(path);
    const rssBefore = process.memoryUsage().rss;
    await writeFlood(p.socket, 10 * 1024 * 1024);
    await p.closed;
    assert.equal(p.lines[0]?.error?.code, 'line_too_long');
    assert.equal(p.lines.length, 1);
    // the server kept at most one line's worth of it (generous margin for the socket buffers)
    assert.ok(process.memoryUsage().rss - rssBefore < 64 * 1024 * 1024, 'memory grew with the line');
    await stillServes();
  });

  it('JSON nested 10,000 deep: too_deep, counted before parsing; the connection still works', async () => {
    const p = await peer(path);
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    assert.ok(Buffer.byteLength(deep) <= MAX_LINE_BYTES);
    p.socket.write(`${deep}\n`);
    await p.waitLines(1);
    assert.equal(p.lines[0]?.error?.code, 'too_deep');
    p.socket.write(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}\n{"id":7,"method":"status"}\n`);
    await p.waitLines(3);
    assert.equal(p.lines[1]?.error?.code, 'too_deep');
    assert.deepEqual([p.lines[2]?.id, p.lines[2]?.ok], [7, true]);
    p.socket.destroy();
  });

  it('half a line then silence: line_timeout and the connection is closed (an idle connection without a partial line stays)', async () => {
    const staller = await peer(path);
    const idle = await peer(path);
    staller.socket.write('{"id":1,"meth');
    await staller.closed;
    assert.equal(staller.lines[0]?.error?.code, 'line_timeout');
    // the idle one (a quiet subscriber) is still connected and served
    assert.equal(idle.socket.destroyed, false);
    idle.socket.write('{"id":2,"method":"status"}\n');
    await idle.waitLines(1);
    assert.equal(idle.lines[0]?.ok, true);
    idle.socket.destroy();
  });

  it('a line finished in pieces within the time limit is served', async () => {
    const p = await peer(path);
    p.socket.write('{"id":3,');
    await new Promise((r) => setTimeout(r, 100));
    p.socket.write('"method":"status"}\n');
    await p.waitLines(1);
    assert.deepEqual([p.lines[0]?.id, p.lines[0]?.ok], [3, true]);
    p.socket.destroy();
  });

  it('1,000 connections at once: every one is answered, and all are released', async () => {
    // opened 100 at a time, each batch once the agent has accepted the previous ones (a burst of
    // 1,000 connects overflows the kernel's listen backlog: the client gets EAGAIN); all held open together
    const peers: Peer[] = [];
    while (peers.length < 1000) {
      peers.push(...(await Promise.all(Array.from({ length: 100 }, () => peer(path)))));
      while (server.clientCount < peers.length) await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(server.clientCount, 1000);
    peers.forEach((p, i) => p.socket.write(`{"id":${i},"method":"status"}\n`));
    await Promise.all(peers.map((p) => p.waitLines(1)));
    peers.forEach((p, i) => assert.deepEqual([p.lines[0]?.id, p.lines[0]?.ok], [i, true]));
    for (const p of peers) p.socket.destroy();
    await Promise.all(peers.map((p) => p.closed));
    const deadline = Date.now() + 5000;
    while (server.clientCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.clientCount, 0);
    await stillServes();
  });

  it('random lines over the socket: exactly one answer per non-empty line, with a wire code, in order', async () => {
    const codes = new Set(['line_too_long', 'bad_json', 'too_deep', 'bad_request', 'unknown_method', 'bad_params']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.json({ maxDepth: 10 }), fc.constant('{"id":1,"method":"status"}')).map((s) => s.replace(/[\n\r]/g, ' ')), { minLength: 1, maxLength: 8 }),
        async (lines) => {
          const p = await peer(path);
          const expectedAnswers = lines.filter((l) => l.trim() !== '').length;
          p.socket.write(lines.map((l) => `${l}\n`).join(''));
          p.socket.write('{"id":"end","method":"status"}\n');
          await p.waitLines(expectedAnswers + 1);
          assert.equal(p.lines.length, expectedAnswers + 1);
          for (const a of p.lines.slice(0, -1)) assert.ok(a.ok === true || (a.error !== undefined && codes.has(a.error.code)), JSON.stringify(a));
          assert.equal(p.lines.at(-1)?.id, 'end');
          p.socket.destroy();
        },
      ),
      { numRuns: 60, seed: seedFor('hostile-control-lines') },
    );
  });
});
