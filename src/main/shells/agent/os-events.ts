/**
 * Operating-system events for the headless agent: screen locked / unlocked, going to sleep,
 * resumed. Behind `OsEventSource` so the agent is tested without a desktop; on Linux,
 * `DbusMonitorOsEvents` reads the signals `dbus-monitor` prints:
 *
 *  - system bus, logind (`org.freedesktop.login1`): `Manager.PrepareForSleep(true|false)` →
 *    `sleep` / `resume`; `Session.Lock` / `Session.Unlock` → `screen_locked` / `screen_unlocked`
 *    (only for `sessionPath` when given: logind signals every session of the machine);
 *  - session bus, the desktop's screen saver (`org.freedesktop.ScreenSaver`,
 *    `org.gnome.ScreenSaver`, …): `ActiveChanged(true|false)` → `screen_locked` / `screen_unlocked`.
 *
 * `dbus-monitor` is the one tool every distribution ships with the bus; its text output is parsed
 * line by line with a bounded line length (a longer line is dropped), unknown lines are ignored,
 * and a signal without its expected boolean argument is ignored too: never a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type OsEventKind = 'screen_locked' | 'screen_unlocked' | 'sleep' | 'resume';

export interface OsEvent {
  readonly kind: OsEventKind;
  /** Where it came from, for the log (`login1.PrepareForSleep`, `ScreenSaver.ActiveChanged`, …). */
  readonly source: string;
}

export interface OsEventSource {
  /** Resolves once events are being watched. */
  start(listener: (e: OsEvent) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Longest `dbus-monitor` line considered (bytes); longer lines are dropped. */
export const MAX_MONITOR_LINE = 4096;

/** The match rules given to `dbus-monitor`. */
export const OS_EVENT_MATCH_RULES = [
  "type='signal',interface='org.freedesktop.login1.Manager',member='PrepareForSleep'",
  "type='signal',interface='org.freedesktop.login1.Session',member='Lock'",
  "type='signal',interface='org.freedesktop.login1.Session',member='Unlock'",
  "type='signal',member='ActiveChanged'",
] as const;

const HEADER = /^signal time=\S+ sender=\S+ -> destination=.*? serial=\d+ path=([^;\s]+); interface=([^;\s]+); member=([^;\s]+)\s*$/;
const BOOLEAN = /^\s+boolean (true|false)\s*$/;
const SCREENSAVER = /^org\.(freedesktop|gnome|mate|cinnamon|kde)\.ScreenSaver$/;

interface Pending {
  readonly path: string;
  readonly iface: string;
  readonly member: string;
}

/** Turns `dbus-monitor` output lines into OS events (stateful: a signal's argument is on the next line). */
export class DbusMonitorParser {
  private pending: Pending | undefined;

  constructor(private readonly opts: { readonly sessionPath?: string } = {}) {}

  /** One line without its newline; returns the event it completes, if any. */
  line(text: string): OsEvent | undefined {
    if (text.length > MAX_MONITOR_LINE) {
      this.pending = undefined;
      return undefined;
    }
    const h = HEADER.exec(text);
    if (h) {
      const [, path = '', iface = '', member = ''] = h;
      this.pending = undefined;
      if (iface === 'org.freedesktop.login1.Session' && (member === 'Lock' || member === 'Unlock')) {
        if (this.opts.sessionPath !== undefined && path !== this.opts.sessionPath) return undefined;
        return { kind: member === 'Lock' ? 'screen_locked' : 'screen_unlocked', source: `login1.Session.${member}` };
      }
      if ((iface === 'org.freedesktop.login1.Manager' && member === 'PrepareForSleep') || (SCREENSAVER.test(iface) && member === 'ActiveChanged')) {
        this.pending = { path, iface, member };
      }
      return undefined;
    }
    const p = this.pending;
    if (!p) return undefined;
    this.pending = undefined;
    const b = BOOLEAN.exec(text);
    if (!b) return undefined;
    const on = b[1] === 'true';
    if (p.member === 'PrepareForSleep') return { kind: on ? 'sleep' : 'resume', source: 'login1.PrepareForSleep' };
    return { kind: on ? 'screen_locked' : 'screen_unlocked', source: `${p.iface.split('.').slice(-1)[0] ?? 'ScreenSaver'}.ActiveChanged` };
  }
}

export type DbusBus = 'system' | 'session' | { readonly address: string };

export interface DbusMonitorOsEventsOptions {
  /** Buses to watch (default: system for logind, session for the screen saver). */
  readonly buses?: readonly DbusBus[];
  /** logind session object path to follow (e.g. `/org/freedesktop/login1/session/_32`); absent: any session. */
  readonly sessionPath?: string;
  /** The `dbus-monitor` executable (default: found on PATH). */
  readonly command?: string;
  /** Time allowed for a monitor to start (default 5 s). */
  readonly startTimeoutMs?: number;
  /**
   * When given, a bus that cannot be watched (no system bus in a container, no session bus on a
   * server) is reported here and skipped; absent, `start` rejects.
   */
  readonly onUnavailable?: (bus: string, why: string) => void;
}

/** logind's object path of a session id (`XDG_SESSION_ID`), escaped as sd-bus does: `2` → `_32`, `c1` → `c1`. */
export function logindSessionPath(sessionId: string): string {
  let out = '';
  for (let i = 0; i < sessionId.length; i++) {
    const c = sessionId[i] ?? '';
    out += /[A-Za-z]/.test(c) || (i > 0 && /[0-9]/.test(c)) ? c : `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return `/org/freedesktop/login1/session/${out === '' ? '_' : out}`;
}

function busName(bus: DbusBus): string {
  return typeof bus === 'string' ? bus : bus.address;
}

function busArgs(bus: DbusBus): string[] {
  if (bus === 'system') return ['--system'];
  if (bus === 'session') return ['--session'];
  return ['--address', bus.address];
}

/** Watches the buses through `dbus-monitor` child processes (one per bus), killed on `stop`. */
export class DbusMonitorOsEvents implements OsEventSource {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly opts: DbusMonitorOsEventsOptions = {}) {}

  async start(listener: (e: OsEvent) => void): Promise<void> {
    try {
      for (const bus of this.opts.buses ?? ['system', 'session']) {
        try {
          await this.watch(bus, listener);
        } catch (e) {
          if (!this.opts.onUnavailable) throw e;
          this.opts.onUnavailable(busName(bus), e instanceof Error ? e.message : String(e));
        }
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const all = this.children.splice(0);
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) {
              resolve();
              return;
            }
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
  }

  private watch(bus: DbusBus, listener: (e: OsEvent) => void): Promise<void> {
    const parser = new DbusMonitorParser(this.opts.sessionPath !== undefined ? { sessionPath: this.opts.sessionPath } : {});
    const child = spawn(this.opts.command ?? 'dbus-monitor', [...busArgs(bus), ...OS_EVENT_MATCH_RULES], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let partial = '';
      let stderr = '';
      const timer = setTimeout(() => fail(new Error(`dbus-monitor did not start within ${this.opts.startTimeoutMs ?? 5000} ms`)), this.opts.startTimeoutMs ?? 5000);
      timer.unref();
      const fail = (e: Error): void => {
        if (ready) return;
        ready = true;
        clearTimeout(timer);
        reject(e);
      };
      child.on('error', (e) => fail(e));
      child.on('exit', (code) => fail(new Error(`dbus-monitor exited (${code ?? 'signal'}): ${stderr.trim().slice(0, 200)}`)));
      child.stderr?.on('data', (b: Buffer) => {
        if (stderr.length < 1024) stderr += b.toString('utf8');
      });
      child.stdout?.on('data', (b: Buffer) => {
        // The monitor prints the bus's NameAcquired (to itself) once it watches: then it is ready.
        if (!ready) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
        partial += b.toString('utf8');
        let nl = partial.indexOf('\n');
        while (nl >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          const e = parser.line(line);
          if (e) listener(e);
          nl = partial.indexOf('\n');
        }
        // A line that never ends is dropped once it is too long, so memory stays bounded.
        if (partial.length > MAX_MONITOR_LINE) {
          partial = '';
          parser.line('x'.repeat(MAX_MONITOR_LINE + 1));
        }
      });
    });
  }
}
