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

export interface SettingsView {
  values: UserSettings;
  /** Per setting: whether the policy lets the user change it (a managed value wins). */
  allowed: Record<SettingName, boolean>;
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
  if (!isPlain(x) || !hasOnlyKeys(x, ['values', 'allowed'])) return false;
  const { values, allowed } = x;
  return (
    isPlain(values) &&
    hasOnlyKeys(values, settingNames) &&
    settingNames.every((k) => isValue(k, values[k])) &&
    isPlain(allowed) &&
    hasOnlyKeys(allowed, settingNames) &&
    settingNames.every((k) => typeof allowed[k] === 'boolean')
  );
}
