/**
 * OS events on Linux: the `dbus-monitor` output parser on hand-written lines and on random input
 * (never throws), `DbusMonitorOsEvents` on a private session bus the test starts and signals with
 * `dbus-send` (logind's PrepareForSleep and Session.Lock, the screen saver's ActiveChanged), and
 * the agent runtime locking the session when the screen locks — recorded with its reason.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { DbusMonitorOsEvents, DbusMonitorParser, MAX_MONITOR_LINE, logindSessionPath, type OsEvent } from '../../../src/main/shells/agent/os-events.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { cpsLogin, startTestRuntime, type TestRuntime } from './runtime-fixture.js';
import { until } from './until.js';

const run = promisify(execFile);
const header = (path: string, iface: string, member: string): string =>
  `signal time=1795457626.354850 sender=:1.7 -> destination=(null destination) serial=12 path=${path}; interface=${iface}; member=${member}`;

describe('dbus-monitor output parser', () => {
  it('logind sleep/resume, session lock/unlock, screen saver on/off', () => {
    const p = new DbusMonitorParser();
    const events = [
      header('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameAcquired'),
      '   string ":1.0"',
      header('/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'PrepareForSleep'),
      '   boolean true',
      header('/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'PrepareForSleep'),
      '   boolean false',
      header('/org/freedesktop/login1/session/_32', 'org.freedesktop.login1.Session', 'Lock'),
      header('/org/freedesktop/login1/session/_32', 'org.freedesktop.login1.Session', 'Unlock'),
      header('/org/gnome/ScreenSaver', 'org.gnome.ScreenSaver', 'ActiveChanged'),
      '   boolean true',
      header('/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver', 'ActiveChanged'),
      '   boolean false',
    ].map((l) => p.line(l)).filter((e): e is OsEvent => e !== undefined);
    assert.deepEqual(events.map((e) => e.kind), ['sleep', 'resume', 'screen_locked', 'screen_unlocked', 'screen_locked', 'screen_unlocked']);
    assert.deepEqual(events.map((e) => e.source), ['login1.PrepareForSleep', 'login1.PrepareForSleep', 'login1.Session.Lock', 'login1.Session.Unlock', 'ScreenSaver.ActiveChanged', 'ScreenSaver.ActiveChanged']);
  });

  it('follows only its own logind session when told which', () => {
    const p = new DbusMonitorParser({ sessionPath: '/org/freedesktop/login1/session/_32' });
    assert.equal(p.line(header('/org/freedesktop/login1/session/_7', 'org.freedesktop.login1.Session', 'Lock')), undefined);
    assert.equal(p.line(header('/org/freedesktop/login1/session/_32', 'org.freedesktop.login1.Session', 'Lock'))?.kind, 'screen_locked');
  });

  it('ignores a signal without its boolean, a foreign ActiveChanged, and over-long lines', () => {
    const p = new DbusMonitorParser();
    assert.equal(p.line(header('/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'PrepareForSleep')), undefined);
    assert.equal(p.line('   string "true"'), undefined);
    assert.equal(p.line('   boolean true'), undefined, 'the argument of no pending signal');
    p.line(header('/com/example', 'com.example.Player', 'ActiveChanged'));
    assert.equal(p.line('   boolean true'), undefined);
    p.line(header('/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'PrepareForSleep'));
    assert.equal(p.line(`   boolean true${' '.repeat(MAX_MONITOR_LINE)}`), undefined);
  });

  it('random input never throws and yields only known events', () => {
    const kinds = new Set(['screen_locked', 'screen_unlocked', 'sleep', 'resume']);
    const pieces = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom(
        header('/org/freedesktop/login1', 'org.freedesktop.login1.Manager', 'PrepareForSleep'),
        header('/x', 'org.freedesktop.login1.Session', 'Lock'),
        header('/x', 'org.gnome.ScreenSaver', 'ActiveChanged'),
        '   boolean true',
        '   boolean false',
      ),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 50 }), (lines) => {
        const p = new DbusMonitorParser();
        for (const l of lines) {
          const e = p.line(l);
          if (e) assert.ok(kinds.has(e.kind));
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** A private session bus: its own dbus-daemon, stopped by the test. */
async function privateBus(): Promise<{ address: string; daemon: ChildProcess; signal(path: string, member: string, ...args: string[]): Promise<void> }> {
  const daemon = spawn('dbus-daemon', ['--config-file=/usr/share/dbus-1/session.conf', '--print-address=1', '--nofork'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    daemon.on('error', reject);
    daemon.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
  });
  return {
    address,
    daemon,
    signal: async (path, member, ...args) => {
      await run('dbus-send', [`--address=${address}`, '--type=signal', path, member, ...args]);
    },
  };
}

describe('DbusMonitorOsEvents on a private bus', () => {
  it('hears sleep, resume, session lock and the screen saver; stop ends the monitor', async () => {
    const bus = await privateBus();
    const source = new DbusMonitorOsEvents({ buses: [{ address: bus.address }] });
    const seen: OsEvent[] = [];
    try {
      await source.start((e) => seen.push(e));
      await bus.signal('/org/freedesktop/login1', 'org.freedesktop.login1.Manager.PrepareForSleep', 'boolean:true');
      await bus.signal('/org/freedesktop/login1', 'org.freedesktop.login1.Manager.PrepareForSleep', 'boolean:false');
      await bus.signal('/org/freedesktop/login1/session/_32', 'org.freedesktop.login1.Session.Lock');
      await bus.signal('/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver.ActiveChanged', 'boolean:false');
      await until('four events', () => seen.length >= 4);
      assert.deepEqual(seen.map((e) => e.kind), ['sleep', 'resume', 'screen_locked', 'screen_unlocked']);
    } finally {
      await source.stop();
      bus.daemon.kill();
    }
  });

  it('a bus that does not exist: start fails with the monitor’s exit, or is reported and skipped when asked', async () => {
    const gone = { address: 'unix:path=/nonexistent/tessera-bus' };
    await assert.rejects(new DbusMonitorOsEvents({ buses: [gone] }).start(() => undefined), /dbus-monitor exited/);
    const skipped: string[] = [];
    const bus = await privateBus();
    const source = new DbusMonitorOsEvents({ buses: [gone, { address: bus.address }], onUnavailable: (b) => skipped.push(b) });
    const seen: OsEvent[] = [];
    try {
      await source.start((e) => seen.push(e));
      assert.deepEqual(skipped, [gone.address]);
      await bus.signal('/org/freedesktop/login1', 'org.freedesktop.login1.Manager.PrepareForSleep', 'boolean:true');
      await until('the event from the bus that works', () => seen.length === 1);
    } finally {
      await source.stop();
      bus.daemon.kill();
    }
  });

  it('logind session paths are escaped as sd-bus does', () => {
    assert.equal(logindSessionPath('2'), '/org/freedesktop/login1/session/_32');
    assert.equal(logindSessionPath('c1'), '/org/freedesktop/login1/session/c1');
    assert.equal(logindSessionPath('12'), '/org/freedesktop/login1/session/_312');
  });
});

describe('agent runtime: the screen locks → the session locks (recorded)', () => {
  let bed: TestBed;
  let t: TestRuntime;
  let bus: Awaited<ReturnType<typeof privateBus>>;

  before(async () => {
    bed = await openTestBed();
    bus = await privateBus();
    t = await startTestRuntime('os-events', { osEvents: new DbusMonitorOsEvents({ buses: [{ address: bus.address }] }) });
    await cpsLogin(bed, 0, t.runtime);
  });

  after(async () => {
    await t.dispose();
    bus.daemon.kill();
    await bed.close();
  });

  it('ActiveChanged(true) from the screen saver locks the session with reason session.os_lock', async () => {
    await bus.signal('/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver.ActiveChanged', 'boolean:true');
    await until('the lock', () => t.runtime.engine.status().locked);
    await t.runtime.agent.idle();
    const lock = t.audit().find((l) => l.event === 'screen_locked');
    assert.deepEqual([lock?.decision, lock?.reason], ['lock', 'session.os_lock']);
  });
});
