/**
 * Where the control channel listens, and making that place safe before listening.
 *
 * POSIX: a Unix domain socket in a folder of the user's runtime directory:
 * `$XDG_RUNTIME_DIR/tessera/agent.sock`, else `/run/user/<uid>/tessera/agent.sock`. The folder
 * is 0700 and the socket 0600, both owned by the agent's user: connecting needs write access to
 * the socket, so another user (root excepted) gets EACCES. Node exposes no SO_PEERCRED, so the
 * agent cannot ask the kernel who connected: the file permissions are the check, and the agent
 * verifies them (folder and socket) after listening, refusing to run if they are not as set.
 *
 * Windows: a named pipe `\\.\pipe\tessera-<user>` (path logic only: not exercised in this test
 * bed; a pipe's default ACL grants the creator and LocalSystem, which the installer keeps).
 */
import { connect } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { userInfo } from 'node:os';
import { ControlError } from './control-error.js';

export interface SocketPathInput {
  readonly platform?: NodeJS.Platform;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly username?: string;
}

/** The default control channel path for this user. */
export function defaultControlPath(input: SocketPathInput = {}): string {
  const platform = input.platform ?? process.platform;
  if (platform === 'win32') return windowsPipePath(input.username ?? userInfo().username);
  const env = input.env ?? process.env;
  const runtime = env['XDG_RUNTIME_DIR'];
  const uid = input.uid ?? (typeof process.getuid === 'function' ? process.getuid() : 0);
  const base = runtime && isAbsolute(runtime) ? runtime : `/run/user/${uid}`;
  return join(base, 'tessera', 'agent.sock');
}

/** `\\.\pipe\tessera-<user>`: characters outside [A-Za-z0-9._-] become `_` (a pipe name may not hold `\`). */
export function windowsPipePath(username: string): string {
  const safe = username.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'user';
  return `\\\\.\\pipe\\tessera-${safe}`;
}

export function isWindowsPipePath(p: string): boolean {
  return p.startsWith('\\\\.\\pipe\\');
}

/** sun_path holds 108 bytes on Linux, 104 on macOS, terminating NUL included. */
export const MAX_SOCKET_PATH_BYTES = 103;

function insecure(path: string, why: string): ControlError {
  return new ControlError('control_insecure_path', `${path}: ${why}`, { path });
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/** Is someone accepting connections on this socket? */
function probe(path: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (alive: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(alive);
    };
    const t = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Makes the socket's folder (0700, owned by this user; created if missing) and clears a stale
 * socket. Refuses (ControlError `control_insecure_path`) a folder or socket owned by another
 * user, a symlink, something that is not a socket at the path, or an agent already listening.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  if (!isAbsolute(path)) throw insecure(path, 'the socket path must be absolute');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw insecure(path, `socket path longer than ${MAX_SOCKET_PATH_BYTES} bytes (sockaddr_un limit)`);
  const dir = dirname(path);
  const uid = currentUid();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const d = lstatSync(dir);
  if (d.isSymbolicLink() || !d.isDirectory()) throw insecure(dir, 'not a folder (or a symbolic link)');
  if (d.uid !== uid) throw insecure(dir, `folder owned by uid ${d.uid}, not by this user (${uid})`);
  if ((d.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  let s: Stats | undefined;
  try {
    s = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw insecure(path, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  if (s) {
    if (!s.isSocket()) throw insecure(path, 'exists and is not a socket');
    if (s.uid !== uid) throw insecure(path, `socket owned by uid ${s.uid}, not by this user (${uid})`);
    if (await probe(path)) throw insecure(path, 'an agent already listens on this socket');
    unlinkSync(path);
  }
}

/** After listening: socket 0600 and folder 0700, both ours — else the agent refuses to run. */
export function secureListeningSocket(path: string): void {
  chmodSync(path, 0o600);
  const uid = currentUid();
  const s = lstatSync(path);
  const d = lstatSync(dirname(path));
  if (!s.isSocket() || s.uid !== uid || (s.mode & 0o077) !== 0) throw insecure(path, 'socket not 0600 or not owned by this user after listening');
  if (!d.isDirectory() || d.uid !== uid || (d.mode & 0o077) !== 0) throw insecure(dirname(path), 'folder not 0700 or not owned by this user');
}
