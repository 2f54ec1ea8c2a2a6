/**
 * Windows machine policy: `HKLM\SOFTWARE\Policies\Tessera`, written by the Group Policy
 * template (native/windows/tessera.admx). Read with `reg query <key> /s` and parsed from its
 * text output, so no native module is needed; the parser is tested on sample output here (no
 * Windows machine in this test bed).
 *
 * `reg query` prints, for each key, its full name on a line of its own and then one line per
 * value: four spaces, name, four spaces, type, four spaces, data (REG_DWORD as 0x…).
 */
import { spawnSync } from 'node:child_process';
import { ConfigError } from './config-error.js';
import type { ConfigLayer, ConfigSource } from './layers.js';
import { managedLayer, type NativeValue } from './managed-policy.js';

export const WINDOWS_POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Tessera';

export interface RegistryValue {
  readonly type: string;
  /** REG_DWORD / REG_QWORD as numbers, REG_SZ / REG_EXPAND_SZ as text, REG_MULTI_SZ as text with \0 separators, others as their raw text. */
  readonly value: NativeValue;
}

const MAX_OUTPUT = 1 << 20;
const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/;

function bad(reason: string, origin: string): ConfigError {
  return new ConfigError(`${origin}: unreadable policy (${reason})`, { problem: 'config.bad_source', file: origin, source: origin });
}

/** Parses `reg query /s` output → key (as printed) → value name → value. */
export function parseRegQuery(text: string, origin = WINDOWS_POLICY_KEY): Map<string, Map<string, RegistryValue>> {
  if (text.length > MAX_OUTPUT) throw bad('output larger than 1 MiB', origin);
  const keys = new Map<string, Map<string, RegistryValue>>();
  let current: Map<string, RegistryValue> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '' || /^End of search:/.test(line)) continue;
    if (/^HKEY_[A-Z_]+(\\|$)/.test(line) || /^HK(LM|CU|CR|U|CC)(\\|$)/.test(line)) {
      current = new Map();
      keys.set(line.trim(), current);
      continue;
    }
    const m = VALUE_LINE.exec(line);
    if (!m || !current) throw bad(`unexpected line ${JSON.stringify(line.slice(0, 80))}`, origin);
    const [, name = '', type = '', data = ''] = m;
    current.set(name, { type, value: decodeValue(type, data, name, origin) });
  }
  return keys;
}

function decodeValue(type: string, data: string, name: string, origin: string): NativeValue {
  switch (type) {
    case 'REG_DWORD':
    case 'REG_QWORD': {
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(data)) throw bad(`${name}: ${type} data ${JSON.stringify(data.slice(0, 40))}`, origin);
      const n = Number.parseInt(data.slice(2), 16);
      if (!Number.isSafeInteger(n)) throw bad(`${name}: ${type} too large`, origin);
      return n;
    }
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
    case 'REG_MULTI_SZ':
      return data;
    default:
      return data;
  }
}

/** The values of the policy key itself (subkeys are not used by Tessera and are refused). */
export function registryPolicyLayer(text: string, origin = WINDOWS_POLICY_KEY): ConfigLayer {
  const keys = parseRegQuery(text, origin);
  const entries: [string, NativeValue][] = [];
  for (const [key, values] of keys) {
    const isRoot = key.toUpperCase().replace(/^HKEY_LOCAL_MACHINE/, 'HKLM') === origin.toUpperCase();
    if (!isRoot && values.size > 0) throw bad(`unexpected subkey ${key}`, origin);
    for (const [name, v] of values) {
      if (v.type !== 'REG_DWORD' && v.type !== 'REG_SZ' && v.type !== 'REG_EXPAND_SZ') throw bad(`${name}: type ${v.type} not used by Tessera policies`, origin);
      entries.push([name, v.value]);
    }
  }
  return { kind: 'policy', name: origin, values: managedLayer(entries, origin) };
}

export type RegRunner = (args: readonly string[]) => { status: number | null; stdout: string; stderr: string };

const defaultRunner: RegRunner = (args) => {
  const r = spawnSync('reg', [...args], { encoding: 'utf8', maxBuffer: MAX_OUTPUT, windowsHide: true, timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};

/** `HKLM\SOFTWARE\Policies\Tessera` through `reg query`; absent key → no layer. */
export class WindowsRegistrySource implements ConfigSource {
  readonly kind = 'policy' as const;
  readonly name = WINDOWS_POLICY_KEY;
  constructor(private readonly run: RegRunner = defaultRunner) {}

  read(): ConfigLayer | undefined {
    const r = this.run(['query', WINDOWS_POLICY_KEY, '/s']);
    if (r.status === 1 && /unable to find/i.test(r.stderr)) return undefined;
    if (r.status !== 0) throw bad(`reg query exited with ${String(r.status)}: ${r.stderr.trim().slice(0, 200)}`, WINDOWS_POLICY_KEY);
    return registryPolicyLayer(r.stdout, WINDOWS_POLICY_KEY);
  }
}
