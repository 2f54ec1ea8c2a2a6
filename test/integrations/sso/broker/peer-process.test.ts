/**
 * Peer identification on the agent's Unix socket (src/main/integrations/sso/broker/peer-process):
 * real client processes connect; the agent side finds their pid and executable through
 * /proc and `ss`, with the executable's SHA-256 on demand, and every holder of a shared
 * connection. The cost of one identification is printed as a diagnostic (not asserted).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { identifyPeer, peerInodeFromSs } from '../../../../src/main/integrations/sso/broker/index.js';
import { nodeClient, pythonClient, type PeerClient } from './peer-client.js';

describe('peerInodeFromSs', () => {
  const out = [
    'u_str ESTAB 0 0 /run/user/1000/tessera/agent.sock 5001 * 5000',
    'u_str ESTAB 0 0 * 5000 * 5001',
    'u_str ESTAB 0 0 /tmp/with space/agent.sock 7001 /tmp/other path.sock 7002',
    'u_str LISTEN 0 4096 /run/user/1000/tessera/agent.sock 4999 * 0',
    'garbage',
    '',
  ].join('\n');
  it('finds the peer of our inode, paths with spaces included', () => {
    assert.equal(peerInodeFromSs(out, '5001'), '5000');
    assert.equal(peerInodeFromSs(out, '5000'), '5001');
    assert.equal(peerInodeFromSs(out, '7001'), '7002');
  });
  it('no peer for a listening socket, an unknown inode or garbage', () => {
    assert.equal(peerInodeFromSs(out, '4999'), undefined);
    assert.equal(peerInodeFromSs(out, '12345'), undefined);
    assert.equal(peerInodeFromSs('\u0000\u0001 5001', '5001'), undefined);
  });
});

describe('identifyPeer on a real Unix socket', { skip: process.platform !== 'linux' }, () => {
  let dir: string;
  let path: string;
  let server: Server;
  const waiting: Array<(s: Socket) => void> = [];
  const clients: PeerClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-peer-'));
    path = join(dir, 'agent sock');
    server = createServer((s) => waiting.shift()?.(s));
    await new Promise<void>((r) => server.listen(path, r));
  });

  after(async () => {
    for (const c of clients) await c.stop();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  function accept(start: () => PeerClient): Promise<{ socket: Socket; client: PeerClient }> {
    return new Promise((resolve) => {
      const holder: { client?: PeerClient } = {};
      waiting.push((socket) => resolve({ socket, client: holder.client as PeerClient }));
      holder.client = start();
      clients.push(holder.client);
    });
  }

  it('names the node child and its executable, with the SHA-256 of the running binary', async () => {
    const { socket, client } = await accept(() => nodeClient(path));
    const id = await identifyPeer(socket, { hash: true });
    assert.equal(id.processes.length, 1);
    assert.equal(id.processes[0]?.pid, client.child.pid);
    assert.equal(id.processes[0]?.exe, realpathSync(process.execPath));
    assert.equal(id.processes[0]?.sha256, createHash('sha256').update(readFileSync(realpathSync(process.execPath))).digest('hex'));
    socket.destroy();
  });

  it('tells another executable apart (python3)', async () => {
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
    const { socket, client } = await accept(() => pythonClient(path));
    const id = await identifyPeer(socket);
    assert.equal(id.processes[0]?.pid, client.child.pid);
    assert.equal(id.processes[0]?.exe, realpathSync(python));
    assert.notEqual(id.processes[0]?.exe, realpathSync(process.execPath));
    socket.destroy();
  });

  it('a connection handed to a second process: both holders are reported', async () => {
    const { socket, client } = await accept(() => nodeClient(path, { share: true }));
    let id = await identifyPeer(socket);
    for (let i = 0; i < 50 && id.processes.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      id = await identifyPeer(socket);
    }
    const exes = id.processes.map((p) => p.exe).sort();
    assert.equal(id.processes.length, 2);
    assert.ok(id.processes.some((p) => p.pid === client.child.pid));
    assert.ok(exes.includes(realpathSync('/bin/sleep')) || exes.some((e) => e.endsWith('/sleep')));
    socket.destroy();
  });

  it('a client that is gone: peer_unknown, a typed refusal', async () => {
    const { socket, client } = await accept(() => nodeClient(path));
    const closed = new Promise((r) => socket.once('close', r));
    socket.resume();
    await client.stop();
    await closed;
    await assert.rejects(identifyPeer(socket), (e) => e instanceof SsoError && e.code === 'sso_not_allowed' && e.reason === 'peer_unknown');
  });

  it('cost of one identification (diagnostic)', async (t) => {
    const { socket } = await accept(() => nodeClient(path));
    const plain: number[] = [];
    const hashed: number[] = [];
    for (let i = 0; i < 15; i++) plain.push((await identifyPeer(socket)).elapsedMs);
    for (let i = 0; i < 15; i++) hashed.push((await identifyPeer(socket, { hash: true })).elapsedMs);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    t.diagnostic(`identifyPeer median ${median(plain).toFixed(2)} ms, with cached SHA-256 ${median(hashed).toFixed(2)} ms (${readFileSync('/proc/loadavg', 'utf8').trim()})`);
    assert.equal(plain.length, 15);
    socket.destroy();
  });
});
