/**
 * The machine a benchmark ran on, as every bench JSON and the report record it: CPU model,
 * cores, RAM, kernel, Node and pcscd versions, load, TCP quickack on the loopback, git commit.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { routesHaveLoopbackQuickack } from './stats.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly ramBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly pcscd: string | null;
  readonly loadavg1m: number;
  /** Loopback quickack as scripts/testnet.sh sets it; null when `ip` could not be run. */
  readonly quickack: boolean | null;
}

function run(cmd: string, args: readonly string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return r.error || r.status !== 0 ? undefined : r.stdout;
}

/** "1.9.9" from `pcscd --version`, null when it is not installed. */
export function pcscdVersion(): string | null {
  const out = run('/usr/sbin/pcscd', ['--version']);
  return out?.match(/pcsc-lite version (\d+(?:\.\d+)*)/)?.[1] ?? null;
}

export function routeQuickack(): boolean | null {
  const out = run('ip', ['route', 'show', 'table', 'local']);
  return out === undefined ? null : routesHaveLoopbackQuickack(out);
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramBytes: totalmem(),
    kernel: release(),
    node: process.version,
    pcscd: pcscdVersion(),
    loadavg1m: loadavg()[0] ?? 0,
    quickack: routeQuickack(),
  };
}

/** `git rev-parse HEAD` (and whether the tree had changes), null outside a repository. */
export function gitCommit(cwd = process.cwd()): { commit: string; dirty: boolean } | null {
  const head = run('git', ['-C', cwd, 'rev-parse', 'HEAD'])?.trim();
  if (!head) return null;
  const status = run('git', ['-C', cwd, 'status', '--porcelain', '--untracked-files=no']);
  return { commit: head, dirty: (status ?? '').trim().length > 0 };
}
