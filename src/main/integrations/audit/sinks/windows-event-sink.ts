/**
 * Windows event log, written by `eventcreate.exe` or PowerShell's `Write-EventLog`, invoked
 * with an argument vector (never a shell string). With PowerShell the record travels in an
 * environment variable, so no part of it is ever parsed as PowerShell code.
 *
 * Cannot run on these Linux machines: only the argument construction is tested here. The
 * event source must be registered once by the installer (`New-EventLog -LogName Application
 * -Source Tessera`, administrator), otherwise Windows refuses the write.
 */
import { execFile } from 'node:child_process';
import { AuditError } from '../audit-error.js';
import type { AuditRecord } from '../record.js';
import type { AuditSink } from './sink.js';

export type WindowsEventType = 'ERROR' | 'WARNING' | 'INFORMATION';

export interface WindowsEventOptions {
  readonly method: 'eventcreate' | 'powershell';
  /** Event source (default `Tessera`). */
  readonly source?: string;
  /** Log name (default `Application`). */
  readonly log?: string;
  readonly name?: string;
  /** Runs the command (injectable for tests); default `execFile` with a 15 s timeout. */
  readonly run?: (cmd: WindowsEventCommand) => Promise<void>;
}

export interface WindowsEventCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Event identifiers (1..1000, the range `eventcreate` accepts), one per decision. */
export const WINDOWS_EVENT_IDS: Readonly<Record<AuditRecord['decision'], number>> = {
  allow: 100,
  open: 101,
  switch_user: 102,
  deny: 200,
  refuse: 201,
  require_second_factor: 210,
  lock: 300,
  unlock: 310,
  sign_out: 320,
  expire: 330,
  info: 400,
  ignore: 410,
};

export const MESSAGE_ENV = 'TESSERA_AUDIT_EVENT';

export function windowsEventType(record: AuditRecord): WindowsEventType {
  if (record.event === 'log_repaired') return 'WARNING';
  return record.decision === 'deny' || record.decision === 'refuse' ? 'WARNING' : 'INFORMATION';
}

function checkName(field: string, v: string): string {
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(v)) throw new AuditError('audit_record_invalid', `windows event ${field}: letters, digits, space, dot, dash`);
  return v;
}

export function eventCreateCommand(record: AuditRecord, line: string, opts: Pick<WindowsEventOptions, 'source' | 'log'> = {}): WindowsEventCommand {
  return {
    file: 'eventcreate.exe',
    args: ['/L', checkName('log', opts.log ?? 'Application').toUpperCase(), '/T', windowsEventType(record), '/SO', checkName('source', opts.source ?? 'Tessera'), '/ID', String(WINDOWS_EVENT_IDS[record.decision]), '/D', line],
    env: {},
  };
}

export function writeEventLogCommand(record: AuditRecord, line: string, opts: Pick<WindowsEventOptions, 'source' | 'log'> = {}): WindowsEventCommand {
  const entryType = { ERROR: 'Error', WARNING: 'Warning', INFORMATION: 'Information' }[windowsEventType(record)];
  const script = `Write-EventLog -LogName '${checkName('log', opts.log ?? 'Application')}' -Source '${checkName('source', opts.source ?? 'Tessera')}' -EventId ${WINDOWS_EVENT_IDS[record.decision]} -EntryType ${entryType} -Message $env:${MESSAGE_ENV}`;
  return {
    file: 'powershell.exe',
    args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script],
    env: { [MESSAGE_ENV]: line },
  };
}

export class WindowsEventLogSink implements AuditSink {
  readonly name: string;

  constructor(private readonly opts: WindowsEventOptions) {
    this.name = opts.name ?? 'windows-event';
  }

  async send(record: AuditRecord, line: string): Promise<void> {
    const cmd = this.opts.method === 'eventcreate' ? eventCreateCommand(record, line, this.opts) : writeEventLogCommand(record, line, this.opts);
    const run = this.opts.run ?? defaultRun;
    await run(cmd);
  }

  async close(): Promise<void> {
    // nothing held open
  }
}

function defaultRun(cmd: WindowsEventCommand): Promise<void> {
  if (process.platform !== 'win32') return Promise.reject(new AuditError('audit_sink_failed', 'the Windows event log exists only on Windows'));
  return new Promise((resolve, reject) => {
    execFile(cmd.file, [...cmd.args], { env: { ...process.env, ...cmd.env }, windowsHide: true, timeout: 15_000 }, (e) =>
      e ? reject(new AuditError('audit_sink_failed', `${cmd.file} failed: ${e.message}`, { cause: e })) : resolve(),
    );
  });
}
