/**
 * Machine policy set by IT through Group Policy (Windows) or a configuration profile (macOS):
 * flat names from `src/shared/managed-settings.ts`, mapped here onto configuration keys. Both
 * readers turn their native values into the same flat settings as the JSON file.
 */
import { managedSettings, type ManagedSettingName } from '../../shared/managed-settings.js';
import { configError } from './issues.js';
import type { SettingPath } from './schema.js';

export const MANAGED_TO_SETTING: Readonly<Record<ManagedSettingName, SettingPath>> = {
  Exi14WindowMinutes: 'session.windowMinutes',
  CardRemovalAction: 'session.removalAction',
  IdleLockMinutes: 'session.idleLockMinutes',
  FastUserSwitching: 'session.fastUserSwitching',
  AllowUserSettings: 'ui.allowUserSettings',
  AllowQuit: 'ui.allowQuit',
  StartAtLogin: 'ui.startAtLogin',
  OidcIssuerUrl: 'sso.issuerUrl',
  OidcClientId: 'sso.clientId',
  OidcLoopbackPort: 'sso.loopbackPort',
  OidcAutoSignIn: 'sso.autoSignIn',
  OidcAssertionPort: 'sso.assertion.port',
  TrustAnchorFolder: 'cps.trustAnchorFolder',
  AuditForwardingUrl: 'audit.forwarding.httpUrl',
  Language: 'ui.language',
};

function isManagedName(n: string): n is ManagedSettingName {
  return Object.prototype.hasOwnProperty.call(managedSettings, n);
}

/** A native policy value: a number (REG_DWORD, <integer>), a boolean (<true/>) or text (REG_SZ, <string>). */
export type NativeValue = number | boolean | string;

/**
 * Converts one managed value into its configuration key and value. Unknown names and values of
 * the wrong native type are `ConfigError`s naming the policy value (IT made a mistake: refuse).
 */
export function managedToSetting(name: string, value: NativeValue, origin: string): [SettingPath, unknown] {
  if (!isManagedName(name)) throw configError('config.unknown_key', name, Object.keys(managedSettings).join(', '), origin);
  const def = managedSettings[name];
  const path = MANAGED_TO_SETTING[name];
  switch (def.kind) {
    case 'integer':
      if (typeof value !== 'number') throw configError('config.wrong_type', name, `an integer ${def.min}–${def.max} (REG_DWORD / <integer>)`, origin);
      return [path, value];
    case 'boolean':
      if (value === 0 || value === 1) return [path, value === 1];
      if (typeof value !== 'boolean') throw configError('config.wrong_type', name, '0 | 1 (REG_DWORD) or <true/> | <false/>', origin);
      return [path, value];
    case 'choice': {
      if (typeof value !== 'string') throw configError('config.wrong_type', name, def.values.join(' | '), origin);
      if (!(def.values as readonly string[]).includes(value)) throw configError('config.not_allowed', name, def.values.join(' | '), origin);
      return [path, name === 'CardRemovalAction' && value === 'signout' ? 'sign_out' : value];
    }
    case 'url':
    case 'text':
      if (typeof value !== 'string') throw configError('config.wrong_type', name, `text of at most ${def.maxLength} characters (REG_SZ / <string>)`, origin);
      if (value.length > def.maxLength) throw configError('config.not_allowed', name, `text of at most ${def.maxLength} characters`, origin);
      return [path, value];
  }
}

export function managedLayer(entries: Iterable<readonly [string, NativeValue]>, origin: string): Map<SettingPath, unknown> {
  const values = new Map<SettingPath, unknown>();
  for (const [name, v] of entries) {
    const [path, value] = managedToSetting(name, v, origin);
    values.set(path, value);
  }
  return values;
}
