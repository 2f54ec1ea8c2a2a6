/**
 * Writing the user's settings file (`defaultUserSettingsPath()`, the file the layered
 * configuration reads as its user layer): only keys marked `userSettable`, each checked by the
 * schema before anything is written, written atomically (a temporary file in the same folder,
 * mode 0600, synced, then renamed over the old one; the folder created 0700). Keys of the file
 * the change does not name are kept as they are.
 *
 * A file that does not load as settings (not JSON, an unknown key, a refused value) is never overwritten
 * silently: the write is refused (`config.not_json`) unless the caller says to replace it, and
 * then the broken file is first kept beside it as `<file>.invalid-<time>`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './config-error.js';
import { configError } from './issues.js';
import { resolveLayers } from './layered.js';
import { flattenSettings } from './layers.js';
import { SETTINGS, type SettingPath, type UserSettablePath } from './schema.js';

/** A change of the user's settings: a value, or `undefined` to remove the key (back to policy or default). */
export type UserSettingsChange = ReadonlyMap<UserSettablePath, unknown>;

export interface WriteUserSettingsOptions {
  /** The file is there but is not settings: keep it as `<file>.invalid-<time>` and write a new one. */
  readonly replaceBroken?: boolean;
  /** Where a replaced broken file went, and other notes for the log. */
  readonly log?: (message: string) => void;
  readonly now?: () => Date;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The file's settings object, `{}` when it does not exist; `undefined` when it is not settings (it would not load as the user layer). */
function readRaw(path: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read user settings ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { problem: 'config.unreadable', file: path, source: path });
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (!isRecord(raw)) return undefined;
    checkLoads(path, raw);
    return raw;
  } catch {
    return undefined;
  }
}

/** Throws the `ConfigError` the layered configuration would throw for `raw` as the user layer. */
function checkLoads(path: string, raw: Record<string, unknown>): void {
  resolveLayers([], { kind: 'user', name: path, values: flattenSettings(raw, path) }, { skip: true });
}

function setAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop() ?? '';
  const chain: Record<string, unknown>[] = [root];
  let node = root;
  for (const part of parts) {
    const next = node[part];
    if (!isRecord(next)) {
      if (value === undefined) return;
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
    chain.push(node);
  }
  if (value === undefined) delete node[last];
  else node[last] = value;
  // Sections left empty by a removal go too.
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i] ?? {}).length > 0) break;
    delete chain[i - 1]?.[parts[i - 1] ?? ''];
  }
}

/** Writes `text` to `path` atomically: temporary file (0600) in the same folder, fsync, rename. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Applies `change` to the user's settings file. Throws `ConfigError`: `config.not_allowed` for a
 * key only policy may set, the schema's problem for a value it refuses (nothing written), or
 * `config.not_json` for a broken file without `replaceBroken`.
 */
export function writeUserSettings(path: string, change: UserSettingsChange, opts: WriteUserSettingsOptions = {}): void {
  for (const key of change.keys()) {
    if (!(SETTINGS[key as SettingPath] as { userSettable: boolean } | undefined)?.userSettable) throw configError('config.not_allowed', key, 'a key the user may set', path);
  }
  let raw = readRaw(path);
  if (raw === undefined) {
    if (!opts.replaceBroken) throw new ConfigError(`${path}: the user settings file does not load as settings; it is left as it is`, { problem: 'config.not_json', file: path, source: path });
    const kept = `${path}.invalid-${(opts.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, kept);
    opts.log?.(`user settings: ${path} could not be read as settings; kept as ${kept}, replaced by the new settings`);
    raw = {};
  }
  const next = structuredClone(raw);
  for (const [key, value] of change) setAt(next, key, value);
  // What is written must load at the next start: the keys as a user layer, through the schema.
  checkLoads(path, next);
  writeAtomically(path, `${JSON.stringify(next, null, 2)}\n`);
}
