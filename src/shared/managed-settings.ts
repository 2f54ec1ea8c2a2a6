/**
 * Settings an establishment's IT can enforce, as one table: the Windows Group Policy templates
 * (native/windows/*.admx, *.adml, registry key HKLM\Software\Policies\Tessera) and the macOS
 * configuration profile (native/macos/fr.tessera.agent.mobileconfig.example, preference domain
 * fr.tessera.agent) use exactly these names, ranges and values; a test holds them to it.
 * Pure data: no Electron, no Node.
 */

export const policyRegistryKey = 'Software\\Policies\\Tessera';
export const macPreferenceDomain = 'fr.tessera.agent';

/**
 * `default` of an integer is the value the policy editor proposes; `whenUnset` says whether
 * that value also applies when the setting is not configured, or the feature is then off
 * (no idle lock, an ephemeral port).
 */
export type ManagedSetting =
  | { kind: 'integer'; min: number; max: number; default: number; whenUnset: 'default' | 'off'; unit: 'minutes' | 'port' }
  | { kind: 'boolean'; default: boolean }
  | { kind: 'choice'; values: readonly string[]; default: string }
  | { kind: 'url'; maxLength: number }
  | { kind: 'text'; maxLength: number };

export const managedSettings = {
  /** EXI 14 re-identification window after a two-factor login. */
  Exi14WindowMinutes: { kind: 'integer', min: 1, max: 720, default: 240, whenUnset: 'default', unit: 'minutes' },
  /** What happens to the session when the CPS card is pulled from the reader. */
  CardRemovalAction: { kind: 'choice', values: ['lock', 'signout', 'none'], default: 'lock' },
  /** Lock the session after this many minutes without input. */
  IdleLockMinutes: { kind: 'integer', min: 1, max: 480, default: 10, whenUnset: 'off', unit: 'minutes' },
  /** Shared workstations: another person's 2FA or re-identification locks the current session and opens theirs. */
  FastUserSwitching: { kind: 'boolean', default: true },
  /** Whether the user may change their own settings (language, notifications). */
  AllowUserSettings: { kind: 'boolean', default: true },
  /** Whether the tray menu offers "Quit". */
  AllowQuit: { kind: 'boolean', default: true },
  /** Whether the desktop app starts at login (Windows and macOS login items). */
  StartAtLogin: { kind: 'boolean', default: true },
  /** OpenID Connect issuer of the establishment's web SSO. */
  OidcIssuerUrl: { kind: 'url', maxLength: 2048 },
  /** Client id of the agent at that issuer. */
  OidcClientId: { kind: 'text', maxLength: 256 },
  /** Fixed loopback redirect port, for providers that match redirect URIs exactly. */
  OidcLoopbackPort: { kind: 'integer', min: 1024, max: 65535, default: 8700, whenUnset: 'off', unit: 'port' },
  /** Sign the person in to the web SSO after each two-factor login. */
  OidcAutoSignIn: { kind: 'boolean', default: true },
  /** Loopback port of the agent-asserted login endpoint (the provider redirects the browser there). */
  OidcAssertionPort: { kind: 'integer', min: 1024, max: 65535, default: 8701, whenUnset: 'off', unit: 'port' },
  /** Folder of PEM certificates trusted as roots for CPS certificates (IGC-Santé). */
  TrustAnchorFolder: { kind: 'text', maxLength: 1024 },
  /** Where audit records are forwarded; kept locally while it is unreachable. */
  AuditForwardingUrl: { kind: 'url', maxLength: 2048 },
  /** Language of the agent's windows and messages. */
  Language: { kind: 'choice', values: ['fr', 'en'], default: 'fr' },
} as const satisfies Record<string, ManagedSetting>;

export type ManagedSettingName = keyof typeof managedSettings;
