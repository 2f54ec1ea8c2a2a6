/**
 * An isolated pcscd for one test process: its own socket, its own reader.conf, its own vpcd
 * ports. By default a single vpcd entry (two readers); with `readers: N`, N/2 entries, each
 * loading its own copy of the driver (see ../shared/docs/TESTBED.md: two entries sharing one
 * loaded driver corrupt each other's traffic).
 *
 * pcscd 1.9.x has its socket and pid file compiled in (`/run/pcscd`); only the client library
 * honours `PCSCLITE_CSOCK_NAME`. So the daemon runs in a private mount namespace (`unshare -m`)
 * where a per-instance folder is bind-mounted on `/run/pcscd`; the socket it creates there is
 * the same inode as `<dir>/run/pcscd.comm` outside, which is what clients are pointed at. No
 * system pcscd is touched and several instances run side by side. The daemon gets SIGTERM when
 * the test process dies (`setpriv --pdeathsig`), so a killed test run leaves no daemon behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

/** At least two names (the default bed); more when the daemon was started with more readers. */
export type ReaderNames = readonly [string, string, ...string[]];

export interface PcscdOptions {
  /**
   * Number of virtual readers (even, 2..16; default 2). Reader `i` listens on `port + i`.
   * Every pair of readers is one reader.conf entry with its own copy of the vpcd driver: the
   * driver keeps its connections in one global table, so two entries loading the same file
   * would share it (see TESTBED.md); a copy under another path is loaded as a separate object
   * with its own table.
   */
  readers?: number;
}

export interface PcscdInstance {
  /** Path clients must use as `PCSCLITE_CSOCK_NAME`. */
  readonly socketPath: string;
  /** vpcd port of slot 0; reader `i` listens on `port + i`. */
  readonly port: number;
  /** Reader names as the daemon lists them, reader `i` at index `i` (slot 0 and slot 1 by default). */
  readonly readerNames: ReaderNames;
  /** Environment to give child processes (CLI under test) so they use this daemon. */
  readonly env: Readonly<Record<string, string>>;
  readonly running: boolean;
  /** Kill the daemon (SIGKILL when `crash` is set, as in a crash) and wait for it to be gone. */
  stop(opts?: { crash?: boolean }): Promise<void>;
  /** Start it again with the same socket and ports. */
  start(): Promise<void>;
  /** Stop and remove every file of the instance. */
  dispose(): Promise<void>;
}

const FRIENDLY_NAME = 'Tessera Virtual PCD';
const LOG_TAIL_CHARS = 16 * 1024;

/** Fails with a clear message when the machine lacks what the test bed needs. */
export function checkTestbedPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync('/usr/sbin/pcscd')) missing.push('pcscd (apt-get install pcscd)');
  if (!existsSync(VPCD_DRIVER)) missing.push('vsmartcard-vpcd (apt-get install vsmartcard-vpcd)');
  if (spawnSync('unshare', ['--version']).status !== 0) missing.push('unshare (util-linux)');
  if (missing.length > 0) {
    throw new Error(`test bed prerequisites missing: ${missing.join(', ')}; run ./dev.sh test, which installs them`);
  }
  if (!existsSync('/run/pcscd')) mkdirSync('/run/pcscd', { recursive: true });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function allFree(ports: readonly number[]): Promise<boolean> {
  for (const p of ports) if (!(await portFree(p))) return false;
  return true;
}

/** `count` consecutive free TCP ports (vpcd listens on every interface, one port per slot). */
async function findPortRun(count: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const base = 20000 + Math.floor(Math.random() * (20000 / count)) * count;
    if (await allFree(Array.from({ length: count }, (_, k) => base + k))) return base;
  }
  throw new Error(`no run of ${count} free ports for vpcd`);
}

/** Friendly name of reader.conf entry `entry`: pcscd numbers readers per library, so every entry needs its own name. */
function friendlyName(entry: number): string {
  return entry === 0 ? FRIENDLY_NAME : `${FRIENDLY_NAME} ${entry + 1}`;
}

/** The name pcscd gives reader `i`: slot `i % 2` of entry `i / 2`. */
function readerName(i: number): string {
  return `${friendlyName(Math.floor(i / 2))} 00 0${i % 2}`;
}

function readerConf(dir: string, port: number, entries: number): string {
  const lines: string[] = [];
  for (let e = 0; e < entries; e++) {
    const hexPort = `0x${(port + 2 * e).toString(16).toUpperCase()}`;
    let lib = VPCD_DRIVER;
    if (e > 0) {
      lib = join(dir, `libifdvpcd-${e}.so`);
      copyFileSync(VPCD_DRIVER, lib);
    }
    lines.push(`FRIENDLYNAME "${friendlyName(e)}"\nDEVICENAME   /dev/null:${hexPort}\nLIBPATH      ${lib}\nCHANNELID    ${hexPort}\n`);
  }
  return lines.join('\n');
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function startPcscd(opts: PcscdOptions = {}): Promise<PcscdInstance> {
  const readers = opts.readers ?? 2;
  if (!Number.isInteger(readers) || readers < 2 || readers > 16 || readers % 2 !== 0) {
    throw new RangeError(`readers must be an even number from 2 to 16, got ${readers}`);
  }
  checkTestbedPrerequisites();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pcscd-'));
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  mkdirSync(confDir);
  mkdirSync(runDir);
  const port = await findPortRun(readers);
  const ports = Array.from({ length: readers }, (_, k) => port + k);
  writeFileSync(join(confDir, 'vpcd'), readerConf(dir, port, readers / 2));
  const socketPath = join(runDir, 'pcscd.comm');
  let child: ChildProcess | undefined;
  // pcscd's own output, for the message when it fails to start; only the tail is kept, since a
  // long run (the soak) makes it log a line per client that leaves.
  let log = '';
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-LOG_TAIL_CHARS);
  };

  const start = async (): Promise<void> => {
    if (child) return;
    rmSync(socketPath, { force: true });
    const script = `mount --bind "$1" /run/pcscd && exec setpriv --pdeathsig TERM /usr/sbin/pcscd --foreground --config "$2" --error`;
    const args = process.getuid?.() === 0
      ? ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', runDir, confDir]
      : ['--user', '--map-root-user', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', runDir, confDir];
    const proc = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => { if (child === proc) child = undefined; });
    try {
      await waitFor(() => existsSync(socketPath) || child !== proc, 5000, 'pcscd socket');
      if (child !== proc) throw new Error(`pcscd exited at start: ${log.trim()}`);
      // vpcd opens its listening sockets while the daemon initialises its readers.
      await waitFor(async () => !(await portFree(port)) && !(await portFree(port + readers - 1)), 5000, 'vpcd listening ports');
    } catch (e) {
      proc.kill('SIGKILL');
      child = undefined;
      throw e;
    }
  };

  const stop = async (opts?: { crash?: boolean }): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(opts?.crash ? 'SIGKILL' : 'SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    if (child === proc) {
      proc.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    await waitFor(async () => allFree(ports), 3000, 'vpcd port release');
  };

  await start();
  const instance: PcscdInstance = {
    socketPath,
    port,
    readerNames: [readerName(0), readerName(1), ...ports.slice(2).map((_, k) => readerName(k + 2))],
    env: { PCSCLITE_CSOCK_NAME: socketPath },
    get running() { return child !== undefined; },
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return instance;
}
