/**
 * The Settings screen's values, kept in the user's settings file of the layered configuration
 * (`ui.language`, `ui.notifications`: the keys marked `userSettable`): what is in force at
 * start, which of it the policy leaves to the user, and the save. A setting the policy sets, or
 * every setting when `ui.allowUserSettings` is false, is refused before anything is written.
 *
 * `language: 'system'` is the absence of `ui.language` from the user's file (the policy's or the
 * built-in language then applies to the agent; the screens follow the system's).
 */
import type { EffectiveConfig } from '../../config/layered.js';
import type { ConfigError } from '../../config/config-error.js';
import type { UserSettablePath } from '../../config/schema.js';
import { writeUserSettings } from '../../config/user-settings-file.js';
import { settingNames, type SettingName, type SettingsView, type UserSettings } from '../../../shared/settings.js';

export interface SettingsStore {
  /** The values in force and what the user may change. */
  view(): SettingsView;
  /** Writes `values` (refused with `not_allowed` for a setting the policy keeps); then `view()` shows them. */
  save(values: UserSettings): Promise<void>;
}

/** The configuration key of each setting of the screen. */
export const settingKeys: Readonly<Record<SettingName, UserSettablePath>> = { language: 'ui.language', notifications: 'ui.notifications' };

export class SettingsRefused extends Error {
  constructor(readonly names: readonly SettingName[]) {
    super(`the policy keeps ${names.join(', ')}`);
  }
}

export interface FileSettingsStoreOptions {
  /** The configuration loaded at start (`loadAgentConfig`). */
  readonly effective: EffectiveConfig;
  /** The user's settings file. */
  readonly path: string;
  /** The file did not load at start (`userSettingsProblem`): the view says so until a save replaces it. */
  readonly problem?: ConfigError;
  readonly log?: (message: string) => void;
}

export function fileSettingsStore(opts: FileSettingsStoreOptions): SettingsStore {
  const { config, origins } = opts.effective;
  const byPolicy = (name: SettingName): boolean => origins.get(settingKeys[name])?.kind === 'policy';
  const allowed = Object.fromEntries(settingNames.map((n) => [n, config.ui.allowUserSettings && !byPolicy(n)])) as Record<SettingName, boolean>;
  let values: UserSettings = {
    // The user's own choice, or the policy's when it keeps it; else the system's language.
    language: origins.get('ui.language')?.kind === 'user' || byPolicy('language') ? config.ui.language : 'system',
    notifications: config.ui.notifications,
  };
  let broken = opts.problem !== undefined;
  return {
    view: () => ({ values: { ...values }, allowed: { ...allowed }, ...(broken ? { notice: 'settings_file_invalid' as const } : {}) }),
    save: async (next) => {
      const changed = settingNames.filter((n) => next[n] !== values[n]);
      const refused = changed.filter((n) => !allowed[n]);
      if (refused.length > 0) throw new SettingsRefused(refused);
      const change = new Map<UserSettablePath, unknown>([
        [settingKeys.language, next.language === 'system' ? undefined : next.language],
        [settingKeys.notifications, next.notifications],
      ]);
      // Only what the user may set is written; what policy keeps is never put in their file.
      for (const n of settingNames) if (!allowed[n]) change.delete(settingKeys[n]);
      if (change.size === 0) return;
      writeUserSettings(opts.path, change, { replaceBroken: broken, ...(opts.log ? { log: opts.log } : {}) });
      broken = false;
      values = { ...next };
    },
  };
}
