/**
 * Configuration sources and the flat form they share: each source yields the settings it sets
 * as `SettingPath → raw value` (nothing validated yet but the shape), so the layering can say
 * which source set each value and the schema validates the merged whole once.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { checkFileNotWritableByOthers, type FileSecurityOptions } from './file-security.js';
import { childKeys, configError } from './issues.js';
import { SETTINGS, isSettingPath, type SettingPath } from './schema.js';

export type SourceKind = 'default' | 'policy' | 'user';

/** What one source sets. */
export interface ConfigLayer {
  readonly kind: Exclude<SourceKind, 'default'>;
  /** File path, registry key or plist path, shown by `config check --explain`. */
  readonly name: string;
  readonly values: ReadonlyMap<SettingPath, unknown>;
}

/** One source of settings; `read()` returns undefined when the source does not exist on this machine. */
export interface ConfigSource {
  readonly kind: Exclude<SourceKind, 'default'>;
  readonly name: string;
  read(): ConfigLayer | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nested JSON → flat settings. Unknown keys and sections of the wrong type are `ConfigError`s naming the source. */
export function flattenSettings(raw: unknown, origin: string): Map<SettingPath, unknown> {
  const out = new Map<SettingPath, unknown>();
  const walk = (value: unknown, prefix: string): void => {
    if (!isRecord(value)) {
      throw configError('config.wrong_type', prefix === '' ? '(top level)' : prefix, `an object with keys ${childKeys(prefix).join(', ')}`, origin);
    }
    for (const [k, v] of Object.entries(value)) {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      if (isSettingPath(path)) {
        out.set(path, v);
      } else if (childKeys(path).length > 0) {
        walk(v, path);
      } else {
        throw configError('config.unknown_key', path, childKeys(prefix).join(', '), origin);
      }
    }
  };
  walk(raw, '');
  return out;
}

/** Flat settings → the nested object the schema reads. */
export function unflattenSettings(values: ReadonlyMap<SettingPath, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, value] of values) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (isRecord(next)) node = next;
      else {
        const created: Record<string, unknown> = {};
        node[part] = created;
        node = created;
      }
    }
    node[parts[parts.length - 1] ?? ''] = value;
  }
  return root;
}

/** Relative file settings are taken from `base` (the JSON file's folder); other types are left for the schema to refuse. */
export function resolvePaths(values: Map<SettingPath, unknown>, base: string): void {
  for (const [path, v] of values) {
    const kind = (SETTINGS[path] as { path?: 'file' | 'files' }).path;
    if (kind === 'file' && typeof v === 'string' && v.length > 0) values.set(path, resolve(base, v));
    if (kind === 'files' && Array.isArray(v)) values.set(path, v.map((x: unknown) => (typeof x === 'string' && x.length > 0 ? resolve(base, x) : x)));
  }
}

/** Parses the text of a JSON configuration file into flat settings. */
export function parseJsonLayer(text: string, origin: string): Map<SettingPath, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${origin}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, { problem: 'config.not_json', file: origin, source: origin });
  }
  return flattenSettings(raw, origin);
}

const MAX_FILE_BYTES = 1 << 20;

/** A JSON file (`/etc/tessera/config.json`, `--config <file>`, `~/.config/tessera/settings.json`). */
export class JsonFileSource implements ConfigSource {
  constructor(
    readonly kind: 'policy' | 'user',
    readonly name: string,
    private readonly opts: { readonly required?: boolean; readonly security?: FileSecurityOptions } = {},
  ) {}

  read(): ConfigLayer | undefined {
    let text: string;
    try {
      const buf = readFileSync(this.name);
      if (buf.length > MAX_FILE_BYTES) throw Object.assign(new Error('larger than 1 MiB'), { code: 'EFBIG' });
      text = buf.toString('utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      if (code === 'ENOENT' && !this.opts.required) return undefined;
      throw new ConfigError(`cannot read configuration ${this.name}: ${code}`, { problem: 'config.unreadable', file: this.name, source: this.name });
    }
    checkFileNotWritableByOthers(this.name, '(file)', this.name, this.opts.security);
    const values = parseJsonLayer(text, this.name);
    resolvePaths(values, dirname(isAbsolute(this.name) ? this.name : resolve(this.name)));
    return { kind: this.kind, name: this.name, values };
  }
}
