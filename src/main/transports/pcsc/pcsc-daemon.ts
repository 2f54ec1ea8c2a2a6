/**
 * Where the PC/SC daemon listens, and whether it answers, checked before the addon is used.
 *
 * `@pokusew/pcsclite` spins in its constructor when no daemon is there, and a socket file left
 * by a killed daemon still exists, so the check is a real connection attempt on Linux. Windows
 * and macOS have a system PC/SC service that is always there.
 */
import { connect } from 'node:net';

export const DEFAULT_PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

export function pcscdSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['PCSCLITE_CSOCK_NAME'] || DEFAULT_PCSCD_SOCKET;
}

export function daemonReachable(timeoutMs = 500, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(true);
  return new Promise((resolve) => {
    const sock = connect({ path: pcscdSocketPath(env) });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
