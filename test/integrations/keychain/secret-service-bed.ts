/**
 * A private Secret Service for keychain tests: a D-Bus session bus of our own (its config lists
 * no service folders, so nothing is activated behind our back) and, when asked, a
 * gnome-keyring-daemon on it, unlocked with a password given on stdin, its keyrings in a temp
 * home. Everything started here is stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=DIR</listen>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`;

export interface SessionBus {
  readonly address: string;
  stop(): Promise<void>;
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = once(c, 'exit');
  c.kill('SIGTERM');
  await gone;
}

/** A session bus that activates nothing: no Secret Service until one is started on it. */
export async function startSessionBus(dir: string): Promise<SessionBus> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'bus.conf');
  writeFileSync(conf, BUS_CONFIG.replace('DIR', dir));
  const child = spawn('dbus-daemon', ['--nofork', `--config-file=${conf}`, '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl).trim());
    });
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code})`)));
  });
  return { address, stop: () => stopChild(child) };
}

export interface Keyring {
  readonly pid: number;
  /** Env for tools (secret-tool) that talk to this keyring. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** gnome-keyring-daemon (secrets component) on `bus`, its login keyring in `home`, unlocked with `password`. */
export async function startKeyring(bus: SessionBus, home: string, password: string): Promise<Keyring> {
  const runtime = join(home, 'run');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: runtime, DBUS_SESSION_BUS_ADDRESS: bus.address };
  const child = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin?.end(password);
  // Ready when the default collection answers: a search that finds nothing exits 0 or 1, an absent service errors out on stderr.
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('secret-tool', ['search', '--all', 'tessera-ready-probe', 'x'], { env, encoding: 'utf8', timeout: 5000 });
    const store = spawnSync('secret-tool', ['store', '--label=probe', 'tessera-ready-probe', 'x'], { env, input: 'x', encoding: 'utf8', timeout: 5000 });
    if (r.stderr === '' && store.status === 0) {
      spawnSync('secret-tool', ['clear', 'tessera-ready-probe', 'x'], { env, timeout: 5000 });
      return { pid: child.pid ?? -1, env, stop: () => stopChild(child) };
    }
    if (child.exitCode !== null) throw new Error(`gnome-keyring-daemon exited (${child.exitCode})`);
    await new Promise((r2) => setTimeout(r2, 50));
  }
  await stopChild(child);
  throw new Error('gnome-keyring-daemon did not become ready');
}

/** `secret-tool lookup service <service> username <account>`: the stored value, or undefined when absent. */
export function lookupWithSecretTool(k: Keyring, service: string, account: string): string | undefined {
  const r = spawnSync('secret-tool', ['lookup', 'service', service, 'username', account], { env: k.env, encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout : undefined;
}

/** Locks the login collection through the Secret Service API (as a screen locker does). */
export function lockLoginCollection(k: Keyring): void {
  const r = spawnSync(
    'dbus-send',
    ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'],
    { env: k.env, encoding: 'utf8', timeout: 5000 },
  );
  if (r.status !== 0) throw new Error(`dbus-send Lock failed: ${r.stderr}`);
}

export interface ProcessSecretService {
  readonly bus: SessionBus;
  readonly keyring: Keyring;
  /** Stops the keyring and the bus and gives the process its own bus address back. */
  stop(): Promise<void>;
}

/**
 * A private bus with an unlocked gnome-keyring on it, made this process's session bus (the OS
 * keychain code reads `DBUS_SESSION_BUS_ADDRESS`), under `dir`.
 */
export async function startProcessSecretService(dir: string): Promise<ProcessSecretService> {
  const saved = process.env['DBUS_SESSION_BUS_ADDRESS'];
  const bus = await startSessionBus(join(dir, 'bus'));
  process.env['DBUS_SESSION_BUS_ADDRESS'] = bus.address;
  const restore = (): void => {
    if (saved === undefined) delete process.env['DBUS_SESSION_BUS_ADDRESS'];
    else process.env['DBUS_SESSION_BUS_ADDRESS'] = saved;
  };
  let keyring: Keyring;
  try {
    keyring = await startKeyring(bus, join(dir, 'home'), 'test-password');
  } catch (e) {
    await bus.stop();
    restore();
    throw e;
  }
  return {
    bus,
    keyring,
    stop: async () => {
      await keyring.stop();
      await bus.stop();
      restore();
    },
  };
}
