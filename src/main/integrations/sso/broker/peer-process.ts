/**
 * Which process is at the other end of a connection to the agent's Unix socket (Linux).
 *
 * Node exposes neither SO_PEERCRED nor SCM_CREDENTIALS, so the peer is found through the kernel's
 * own tables:
 *  1. our end's inode: `/proc/self/fd/<fd>` of the accepted socket reads `socket:[<inode>]`;
 *  2. the peer's inode: `ss -xnH` (iproute2, answered by the kernel's sock_diag netlink
 *     interface, UNIX_DIAG_PEER) lists each Unix connection as
 *     `… <path> <our inode> <peer path> <peer inode>` (its filter language cannot take a path
 *     with spaces, so the whole list is read: a few ms);
 *  3. the processes holding the peer inode: every `/proc/<pid>/fd/*` that reads
 *     `socket:[<peer inode>]` (only processes this user may inspect are visible, which covers
 *     every process allowed to connect to a 0600 socket, root excepted);
 *  4. for each holder, the executable: `readlink /proc/<pid>/exe` (realpath'd), optionally its
 *     SHA-256 read through `/proc/<pid>/exe` itself (the binary actually running, even if the
 *     file on disk was replaced since; cached per device, inode, size, mtime and ctime); then
 *     the holder's fd is read again: a process that exec'd meanwhile has closed it (sockets are
 *     close-on-exec in Node), and is refused.
 *
 * Every holder must be identified (a socket passed to another process over SCM_RIGHTS has two
 * holders; both must be allowed). Any doubt is an error: the caller refuses.
 *
 * Windows (named pipe: GetNamedPipeClientProcessId, then the image path and its Authenticode
 * signature) and macOS (LOCAL_PEERTOKEN audit token, then SecCodeCopyGuestWithAttributes and a
 * code-signing requirement) are documented in docs/tokens-and-broker.md and not implemented:
 * on those systems `identifyPeer` throws and the broker refuses every request.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readlink, realpath, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { SsoError } from '../sso-error.js';

export interface PeerProcess {
  readonly pid: number;
  /** Real path of the running executable. */
  readonly exe: string;
  /** SHA-256 (hex) of the running executable, when asked for. */
  readonly sha256?: string;
}

export interface PeerIdentity {
  /** Every process holding the client's end of the connection (usually one). */
  readonly processes: readonly PeerProcess[];
  /** Time the lookup took (ms), for the documentation's cost figures. */
  readonly elapsedMs: number;
}

export interface IdentifyOptions {
  /** Also hash each executable (cached per file identity: device, inode, size, mtime, ctime). */
  readonly hash?: boolean;
  /** The `ss` binary (default: `ss` on PATH). */
  readonly ssCommand?: string;
}

function refuse(reason: string, message: string, cause?: unknown): SsoError {
  return new SsoError('sso_not_allowed', message, { reason, ...(cause !== undefined ? { cause } : {}) });
}

/** The file descriptor of a connected socket (Node keeps it on its internal handle). */
export function socketFd(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

const SOCKET_LINK = /^socket:\[(\d+)\]$/;

async function inodeOfFd(path: string): Promise<string | undefined> {
  try {
    return SOCKET_LINK.exec(await readlink(path))?.[1];
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 2000, maxBuffer: 4 << 20, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/**
 * The peer inode of `localInode` in `ss -xnH` output: the line on which `localInode` is the
 * local port (second-to-last field) answers with its last field. Tolerates spaces in paths.
 */
export function peerInodeFromSs(output: string, localInode: string): string | undefined {
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const peer = fields[fields.length - 1];
    // Local address and port, then peer address and port: our inode is the local port, the field
    // before the peer address (which itself may be `*` or a path with spaces).
    const at = fields.indexOf(localInode, 2);
    if (at < 0 || at >= fields.length - 2 || peer === undefined || !/^\d+$/.test(peer)) continue;
    if (peer === '0') return undefined;
    return peer;
  }
  return undefined;
}

/** Pids whose open files include `socket:[inode]`, with the fd number (for the re-check). */
async function holdersOf(inode: string): Promise<{ pid: number; fd: string }[]> {
  const wanted = `socket:[${inode}]`;
  const out: { pid: number; fd: string }[] = [];
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  await Promise.all(
    pids.map(async (pid) => {
      let fds: string[];
      try {
        fds = await readdir(`/proc/${pid}/fd`);
      } catch {
        return; // another user's process, or gone
      }
      for (const fd of fds) {
        try {
          if ((await readlink(`/proc/${pid}/fd/${fd}`)) === wanted) out.push({ pid: Number(pid), fd });
        } catch {
          // closed meanwhile
        }
      }
    }),
  );
  return out;
}

const hashCache = new Map<string, string>();

async function sha256OfRunning(pid: number): Promise<string> {
  const path = `/proc/${pid}/exe`;
  const st = await stat(path);
  // ctime too: a user can set mtime back after rewriting a file in place, not ctime.
  const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = hashCache.get(id);
  if (known) return known;
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve())
      .on('error', reject);
  });
  const digest = h.digest('hex');
  if (hashCache.size > 256) hashCache.clear();
  hashCache.set(id, digest);
  return digest;
}

/**
 * The processes at the other end of `socket`, a connection accepted on a Unix socket.
 * Throws `SsoError('sso_not_allowed')` with `reason` `peer_unknown` when any step fails.
 */
export async function identifyPeer(socket: Socket, opts: IdentifyOptions = {}): Promise<PeerIdentity> {
  const t0 = process.hrtime.bigint();
  if (process.platform !== 'linux') throw refuse('peer_unsupported', `peer identification is not implemented on ${process.platform}`);
  const fd = socketFd(socket);
  if (fd === undefined) throw refuse('peer_unknown', 'the connection has no file descriptor');
  const local = await inodeOfFd(`/proc/self/fd/${fd}`);
  if (local === undefined) throw refuse('peer_unknown', 'the connection is not a socket');
  let ss: string;
  try {
    ss = await run(opts.ssCommand ?? 'ss', ['-xnH']);
  } catch (e) {
    throw refuse('peer_unknown', `ss failed: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const peer = peerInodeFromSs(ss, local);
  if (peer === undefined) throw refuse('peer_unknown', `no peer for socket inode ${local} (client gone?)`);
  const holders = await holdersOf(peer);
  if (holders.length === 0) throw refuse('peer_unknown', `no visible process holds the client socket (inode ${peer})`);
  const processes: PeerProcess[] = [];
  for (const { pid, fd: peerFd } of holders) {
    let exe: string;
    let sha256: string | undefined;
    try {
      const link = await readlink(`/proc/${pid}/exe`);
      if (link.endsWith(' (deleted)')) throw new Error('executable deleted since it started');
      exe = await realpath(link);
      if (opts.hash) sha256 = await sha256OfRunning(pid);
    } catch (e) {
      throw refuse('peer_unknown', `process ${pid}: executable unreadable (${e instanceof Error ? e.message : String(e)})`, e);
    }
    // Still the same process holding the same socket (no exec, no pid reuse in between).
    if ((await inodeOfFd(`/proc/${pid}/fd/${peerFd}`)) !== peer) throw refuse('peer_unknown', `process ${pid} changed while it was identified`);
    processes.push({ pid, exe, ...(sha256 !== undefined ? { sha256 } : {}) });
  }
  return { processes, elapsedMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}
