/**
 * What the user may change from the Settings screen, and which of it the policy allows. Pure
 * data and validators.
 */
import { hasOnlyKeys, isOneOf, isPlain } from './validate.js';

/** `system`: follow the operating system's preferred language (French unless English first). */
export const languageChoices = ['system', 'fr', 'en'] as const;
export type LanguageChoice = (typeof languageChoices)[number];

export interface UserSettings {
  language: LanguageChoice;
  /** Desktop notifications (window about to expire, degraded mode). */
  notifications: boolean;
}
export type SettingName = keyof UserSettings;
export const settingNames = ['language', 'notifications'] as const satisfies readonly SettingName[];

/** `settings_file_invalid`: the saved settings could not be read at start; defaults are in use until the next save replaces them. */
export const settingsNotices = ['settings_file_invalid'] as const;
export type SettingsNotice = (typeof settingsNotices)[number];

export interface SettingsView {
  values: UserSettings;
  /** Per setting: whether the policy lets the user change it (a managed value wins). */
  allowed: Record<SettingName, boolean>;
  notice?: SettingsNotice;
}

export const defaultSettings: UserSettings = { language: 'system', notifications: true };

function isValue<N extends SettingName>(name: N, x: unknown): x is UserSettings[N] {
  return name === 'language' ? isOneOf(languageChoices, x) : typeof x === 'boolean';
}

/** A change request: at least one known setting, each with a valid value. */
export function isSettingsChange(x: unknown): x is Partial<UserSettings> {
  if (!isPlain(x) || !hasOnlyKeys(x, settingNames)) return false;
  const keys = Object.keys(x) as SettingName[];
  return keys.length > 0 && keys.every((k) => isValue(k, x[k]));
}

export function isSettingsView(x: unknown): x is SettingsView {
  if (!isPlain(x) || !hasOnlyKeys(x, ['values', 'allowed', 'notice'])) return false;
  const { values, allowed } = x;
  return (
    (x.notice === undefined || isOneOf(settingsNotices, x.notice)) &&
    isPlain(values) &&
    hasOnlyKeys(values, settingNames) &&
    settingNames.every((k) => isValue(k, values[k])) &&
    isPlain(allowed) &&
    hasOnlyKeys(allowed, settingNames) &&
    settingNames.every((k) => typeof allowed[k] === 'boolean')
  );
}
