/**
 * Agent configuration: the entry points. The schema (every key, type, range, default) is in
 * `schema.ts`, the sources and their layering in `layers.ts` / `layered.ts`, documented in
 * docs/configuration.md. An invalid or insecure setting is a `ConfigError` naming the field and
 * the allowed values, never a silent default.
 *
 * { "cps": { "trustAnchors": ["/etc/tessera/igc-sante.pem"] }, "session": { "windowMinutes": 240 } }
 * Relative paths are resolved from the configuration file's folder.
 */
import { JsonFileSource, parseJsonLayer } from './layers.js';
import { resolveLayers } from './layered.js';
import type { AgentConfig } from './schema.js';

export { ConfigError, type ConfigErrorDetail, type ConfigProblem } from './config-error.js';
export type { AgentConfig } from './schema.js';

/** The whole validated configuration (defaults filled in). */
export type TesseraConfig = AgentConfig;

/** Linux machine policy file, also the default `--config`. */
export const DEFAULT_CONFIG_PATH = '/etc/tessera/config.json';

/** One JSON document as the only source over the defaults; paths are kept as written. */
export function parseConfig(text: string, origin: string): TesseraConfig {
  return resolveLayers([{ kind: 'policy', name: origin, values: parseJsonLayer(text, origin) }], undefined, { skip: true }).config;
}

/** Loads `path` as the only source over the defaults; relative paths are taken from the file's folder; the file and the files it names must not be writable by others. */
export function loadConfigFile(path: string): TesseraConfig {
  const layer = new JsonFileSource('policy', path, { required: true }).read();
  return resolveLayers(layer ? [layer] : [], undefined).config;
}
