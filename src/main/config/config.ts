/**
 * Agent configuration file (JSON), validated at load: an invalid or insecure setting is a clear
 * error naming the key, never a silent default. The foundation slice only needs the CPS trust
 * anchors; later issues add their sections here.
 *
 * { "cps": { "trustAnchors": ["/etc/tessera/igc-sante.pem"] } }
 * Relative paths are resolved from the configuration file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TesseraError } from '../errors.js';

export class ConfigError extends TesseraError<'config_invalid'> {
  readonly layer = 'config' as const;
  constructor(message: string) {
    super('config_invalid', message);
  }
}

export interface TesseraConfig {
  readonly cps: { readonly trustAnchors: readonly string[] };
}

export const DEFAULT_CONFIG_PATH = '/etc/tessera/config.json';

export function parseConfig(text: string, origin: string): TesseraConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${origin}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${origin}: the top level must be an object`);
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'cps') throw new ConfigError(`${origin}: unknown key "${key}"`);
  }
  const cps = obj['cps'] === undefined ? {} : obj['cps'];
  if (typeof cps !== 'object' || cps === null || Array.isArray(cps)) throw new ConfigError(`${origin}: "cps" must be an object`);
  const cpsObj = cps as Record<string, unknown>;
  for (const key of Object.keys(cpsObj)) {
    if (key !== 'trustAnchors') throw new ConfigError(`${origin}: unknown key "cps.${key}"`);
  }
  const anchors = cpsObj['trustAnchors'] === undefined ? [] : cpsObj['trustAnchors'];
  if (!Array.isArray(anchors) || !anchors.every((a): a is string => typeof a === 'string' && a.length > 0)) {
    throw new ConfigError(`${origin}: "cps.trustAnchors" must be an array of file paths`);
  }
  return { cps: { trustAnchors: anchors } };
}

/** Loads `path`; relative anchor paths are taken from the file's folder. */
export function loadConfigFile(path: string): TesseraConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read configuration ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const cfg = parseConfig(text, path);
  const base = dirname(path);
  return { cps: { trustAnchors: cfg.cps.trustAnchors.map((p) => resolve(base, p)) } };
}
