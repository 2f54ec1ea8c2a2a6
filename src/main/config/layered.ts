/**
 * Layered configuration: built-in defaults < machine policy (JSON file, registry or managed
 * preferences) < the user's settings file, for only what policy leaves to the user. Each value
 * remembers its source; the merged whole is validated once by the schema, and a problem names
 * the field, the allowed values and the source that set it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';
import { configError, issueToConfigError } from './issues.js';
import { checkFileNotWritableByOthers, type FileSecurityOptions } from './file-security.js';
import { JsonFileSource, unflattenSettings, type ConfigLayer, type ConfigSource, type SourceKind } from './layers.js';
import { MacManagedPreferencesSource } from './macos-plist.js';
import { SETTINGS, SETTING_PATHS, agentConfigSchema, isSettingPath, type AgentConfig, type SettingPath } from './schema.js';
import { WindowsRegistrySource } from './windows-registry.js';

export const LINUX_POLICY_PATH = '/etc/tessera/config.json';

export interface ValueOrigin {
  readonly kind: SourceKind;
  /** `built-in` for defaults; else the file, registry key or plist. */
  readonly name: string;
}

export type IgnoredReason = 'locked_by_policy' | 'not_user_settable' | 'user_settings_disabled';

export interface ConfigWarning {
  readonly code: 'config.user_setting_ignored';
  readonly field: SettingPath;
  readonly reason: IgnoredReason;
  readonly source: string;
}

export interface EffectiveConfig {
  readonly config: AgentConfig;
  readonly origins: ReadonlyMap<SettingPath, ValueOrigin>;
  readonly warnings: readonly ConfigWarning[];
}

const DEFAULT_ORIGIN: ValueOrigin = { kind: 'default', name: 'built-in' };

/**
 * Merges the layers (policy layers in order, later ones win; then the user layer filtered) and
 * validates the result. Throws `ConfigError` naming the field and the source that set it.
 */
export function resolveLayers(policy: readonly ConfigLayer[], user: ConfigLayer | undefined, security: FileSecurityOptions = {}): EffectiveConfig {
  const values = new Map<SettingPath, unknown>();
  const origins = new Map<SettingPath, ValueOrigin>();
  for (const layer of policy) {
    for (const [k, v] of layer.values) {
      values.set(k, v);
      origins.set(k, { kind: 'policy', name: layer.name });
    }
  }
  const warnings: ConfigWarning[] = [];
  if (user) {
    const allowUser = values.get('ui.allowUserSettings') !== false;
    for (const [k, v] of user.values) {
      const reason: IgnoredReason | undefined = !SETTINGS[k].userSettable ? 'not_user_settable' : !allowUser ? 'user_settings_disabled' : origins.has(k) ? 'locked_by_policy' : undefined;
      if (reason) {
        warnings.push({ code: 'config.user_setting_ignored', field: k, reason, source: user.name });
        continue;
      }
      values.set(k, v);
      origins.set(k, { kind: 'user', name: user.name });
    }
  }
  const parsed = agentConfigSchema.safeParse(unflattenSettings(values));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw configError('config.wrong_type', '(top level)', 'a valid configuration', undefined);
    throw issueToConfigError(issue, originOfIssue(issue.path, origins));
  }
  for (const p of SETTING_PATHS) if (!origins.has(p)) origins.set(p, DEFAULT_ORIGIN);
  checkReferencedFiles(parsed.data, origins, security);
  return { config: parsed.data, origins, warnings };
}

function originOfIssue(path: readonly PropertyKey[], origins: ReadonlyMap<SettingPath, ValueOrigin>): string | undefined {
  const names = path.filter((k): k is string => typeof k === 'string');
  for (let n = names.length; n > 0; n--) {
    const p = names.slice(0, n).join('.');
    const direct = isSettingPath(p) ? origins.get(p)?.name : undefined;
    if (direct !== undefined) return direct;
    // A setting required by another one (sso.clientId with sso.issuerUrl): the source that set its section.
    for (const [k, o] of origins) if (k.startsWith(`${p}.`) && o.kind !== 'default') return o.name;
  }
  return undefined;
}

/** Trust anchors, the KMS configuration, stores and folders the configuration points to must not be writable by others. */
function checkReferencedFiles(c: AgentConfig, origins: ReadonlyMap<SettingPath, ValueOrigin>, security: FileSecurityOptions): void {
  const check = (field: SettingPath, path: string | undefined): void => {
    if (path !== undefined) checkFileNotWritableByOthers(path, field, origins.get(field)?.name, { ...security, missingOk: true });
  };
  c.cps.trustAnchors.forEach((p, i) => {
    checkFileNotWritableByOthers(p, `cps.trustAnchors[${i}]`, origins.get('cps.trustAnchors')?.name, { ...security, missingOk: true });
  });
  check('cps.trustAnchorFolder', c.cps.trustAnchorFolder);
  check('desfire.kmsConfigPath', c.desfire.kmsConfigPath);
  check('desfire.enrolmentRegisterPath', c.desfire.enrolmentRegisterPath);
  check('fido2.enrolmentStorePath', c.fido2.enrolmentStorePath);
}

/** `$XDG_CONFIG_HOME/tessera/settings.json`, else `~/.config/tessera/settings.json`. */
export function defaultUserSettingsPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env['XDG_CONFIG_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.config'), 'tessera', 'settings.json');
}

/** The machine policy sources of a platform; `configPath` (`--config`, `TESSERA_CONFIG`) replaces the Linux file and must exist. */
export function machinePolicySources(platform: NodeJS.Platform = process.platform, configPath?: string): ConfigSource[] {
  if (configPath !== undefined) return [new JsonFileSource('policy', configPath, { required: true })];
  if (platform === 'win32') return [new WindowsRegistrySource()];
  if (platform === 'darwin') return [new MacManagedPreferencesSource()];
  return [new JsonFileSource('policy', LINUX_POLICY_PATH)];
}

export interface LoadOptions {
  readonly policySources: readonly ConfigSource[];
  /** Absent: no user settings (e.g. a service account). */
  readonly userSource?: ConfigSource;
  readonly security?: FileSecurityOptions;
}

/** Reads every source and resolves the effective configuration; the agent refuses to start when this throws. */
export function loadEffectiveConfig(opts: LoadOptions): EffectiveConfig {
  const policy: ConfigLayer[] = [];
  for (const s of opts.policySources) {
    const layer = s.read();
    if (layer) policy.push(layer);
  }
  return resolveLayers(policy, opts.userSource?.read(), opts.security);
}

export interface AgentConfigOptions {
  /** `--config` / `TESSERA_CONFIG`: replaces the platform's machine policy; must exist. */
  readonly configPath?: string;
  readonly platform?: NodeJS.Platform;
  /** A user settings file (must exist), `false` for none; absent: the default file when present. */
  readonly userSettingsPath?: string | false;
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
  /**
   * What a user settings file that does not load does: `error` (default: the `ConfigError`
   * is thrown, `config check` reports it) or `warn` (the desktop app: the policy and defaults
   * without the user layer, the error in `userSettingsProblem`; the file is left as it is).
   */
  readonly brokenUserSettings?: 'error' | 'warn';
}

/**
 * What the agent (and `config check`) load at start: the platform's machine policy (or
 * `configPath`), then the user's settings. Throws `ConfigError`: the agent must then refuse to start.
 */
export function loadAgentConfig(opts: AgentConfigOptions = {}): EffectiveConfig & {
  readonly policySources: readonly ConfigSource[];
  readonly userSource: ConfigSource | undefined;
  /** With `brokenUserSettings: 'warn'`: why the user settings file was left out. */
  readonly userSettingsProblem?: ConfigError;
} {
  const policySources = machinePolicySources(opts.platform ?? process.platform, opts.configPath);
  let userSource: ConfigSource | undefined;
  if (typeof opts.userSettingsPath === 'string') userSource = new JsonFileSource('user', opts.userSettingsPath, { required: true });
  else if (opts.userSettingsPath === undefined) {
    const p = defaultUserSettingsPath(opts.env ?? process.env, opts.home ?? homedir());
    if (existsSync(p)) userSource = new JsonFileSource('user', p);
  }
  if (opts.brokenUserSettings === 'warn' && userSource) {
    // The machine policy alone must load; only a problem of the user's file is set aside.
    const policy = loadEffectiveConfig({ policySources });
    try {
      return { ...loadEffectiveConfig({ policySources, userSource }), policySources, userSource };
    } catch (e) {
      if (!(e instanceof ConfigError) || (e.source !== userSource.name && e.file !== userSource.name)) throw e;
      return { ...policy, policySources, userSource, userSettingsProblem: e };
    }
  }
  const e = loadEffectiveConfig({ policySources, ...(userSource ? { userSource } : {}) });
  return { ...e, policySources, userSource };
}

/** One row per key: effective value and its source (`config check --explain`). */
export function explainConfig(e: EffectiveConfig): { key: SettingPath; value: unknown; source: SourceKind; from: string }[] {
  return SETTING_PATHS.map((key) => {
    const o = e.origins.get(key) ?? DEFAULT_ORIGIN;
    return { key, value: valueAt(e.config, key), source: o.kind, from: o.name };
  });
}

function valueAt(obj: unknown, path: string): unknown {
  let node: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
