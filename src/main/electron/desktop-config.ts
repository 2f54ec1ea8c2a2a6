/**
 * The configuration the desktop app starts on: the machine policy and the user's settings file
 * (`loadAgentConfig`), where a settings file that does not load is a warning, not a failure (the
 * policy and the defaults apply; the file is left as it is), and the store the Settings screen
 * saves into (that same file). No Electron here.
 */
import { defaultUserSettingsPath, loadAgentConfig, type AgentConfigOptions, type EffectiveConfig } from '../config/layered.js';
import { fileSettingsStore, type SettingsStore } from '../shells/ui-core/settings-store.js';

export interface DesktopConfig {
  readonly effective: EffectiveConfig;
  readonly settingsStore: SettingsStore;
}

export function desktopConfig(options: Pick<AgentConfigOptions, 'configPath' | 'env' | 'home'>, log: (message: string) => void): DesktopConfig {
  const effective = loadAgentConfig({ ...options, brokenUserSettings: 'warn' });
  for (const w of effective.warnings) log(`configuration: ${JSON.stringify(w)}`);
  const problem = effective.userSettingsProblem;
  if (problem) log(`configuration: warning: the user settings file could not be read (${problem.message}); the defaults apply until the settings are saved again (the file is then kept beside the new one)`);
  const path = effective.userSource?.name ?? defaultUserSettingsPath(options.env ?? process.env, options.home);
  return { effective, settingsStore: fileSettingsStore({ effective, path, ...(problem ? { problem } : {}), log }) };
}
