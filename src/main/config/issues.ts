/**
 * zod issues → `ConfigError`: the first problem, with the field's dotted path, what is allowed
 * there, and a message code of `i18n/messages.ts` (`config.*`) that turns them into French or
 * English. The log message (`ConfigError.message`) is the English sentence.
 */
import type { z } from 'zod';
import { message } from '../i18n/messages.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import {
  AUDIT_FILE_BYTES,
  IDLE_LOCK_MINUTES,
  LOOPBACK_PORT,
  SIGN_IN_TIMEOUT_SECONDS,
  QUEUE_BYTES,
  SETTING_PATHS,
  WINDOW_MINUTES,
  isSettingPath,
  type SettingPath,
} from './schema.js';

const HTTPS = 'https:// URL (http:// only for 127.0.0.1, ::1 or localhost)';

/** What each key accepts, as documented and as error messages say it. */
export const ALLOWED: Readonly<Record<SettingPath, string>> = {
  'session.windowMinutes': `integer ${WINDOW_MINUTES.min}–${WINDOW_MINUTES.max} (minutes; default ${WINDOW_MINUTES.default})`,
  'session.removalAction': 'lock | sign_out | none',
  'session.idleLockMinutes': `integer ${IDLE_LOCK_MINUTES.min}–${IDLE_LOCK_MINUTES.max} (minutes), or unset for no idle lock`,
  'session.fastUserSwitching': 'true | false',
  'cps.trustAnchors': 'array of PEM file paths (at most 64)',
  'cps.trustAnchorFolder': 'folder path',
  'desfire.kmsConfigPath': 'file path',
  'desfire.applicationAid': '3-byte AID as 6 hex digits (e.g. F51230)',
  'desfire.enrolmentRegisterPath': 'file path',
  'desfire.operators': 'array of subject ids (e.g. rpps:10001234567; at most 256)',
  'fido2.enrolmentStorePath': 'file path',
  'fido2.rpId': 'lower-case domain name (e.g. tessera.local)',
  'audit.dir': 'folder path',
  'audit.rotation.maxFileBytes': `integer ${AUDIT_FILE_BYTES.min}–${AUDIT_FILE_BYTES.max} (bytes)`,
  'audit.rotation.daily': 'true | false',
  'audit.forwarding.httpUrl': HTTPS,
  'audit.forwarding.syslog': 'host:port, port 1–65535',
  'audit.forwarding.queueMaxBytes': `integer ${QUEUE_BYTES.min}–${QUEUE_BYTES.max} (bytes)`,
  'sso.issuerUrl': HTTPS,
  'sso.clientId': 'text of 1–256 characters (required with sso.issuerUrl)',
  'sso.loopbackPort': `integer ${LOOPBACK_PORT.min}–${LOOPBACK_PORT.max}, or unset for an ephemeral port`,
  'sso.scopes': 'array of scope names including "openid"',
  'sso.acrValues': 'array of ACR values',
  'sso.requiredAmr': 'array of AMR values (RFC 8176, e.g. mfa)',
  'sso.autoSignIn': 'true | false',
  'sso.signInTimeoutSeconds': `integer ${SIGN_IN_TIMEOUT_SECONDS.min}–${SIGN_IN_TIMEOUT_SECONDS.max} (seconds; default ${SIGN_IN_TIMEOUT_SECONDS.default})`,
  'sso.subjectClaim': 'claim name (letters, digits, _ . : -; default sub)',
  'sso.browserLogout': 'true | false',
  'sso.assertion.port': `integer ${LOOPBACK_PORT.min}–${LOOPBACK_PORT.max}, or unset for no assertion endpoint`,
  'sso.assertion.keyDir': 'folder path',
  'sso.assertion.providers': `array of issuer URLs (${HTTPS}; at most 16; empty: sso.issuerUrl)`,
  'sso.assertion.cardSignature': 'true | false',
  'ui.language': 'fr | en',
  'ui.notifications': 'true | false',
  'ui.allowUserSettings': 'true | false',
  'ui.allowQuit': 'true | false',
  'ui.startAtLogin': 'true | false',
  'control.socketPath': 'absolute socket path',
  'tokenBroker.applications': 'array of { path: absolute executable path, sha256?: 64 hex digits, audiences: names from tokenBroker.audiences } (at most 64)',
  'tokenBroker.audiences': 'array of { audience, resource?: https:// URL, scope?: array of scope names } (at most 64, each audience once)',
};

/** Keys directly under an object path ('' is the top level). */
export function childKeys(prefix: string): string[] {
  const keys = new Set<string>();
  for (const p of SETTING_PATHS) {
    if (prefix === '' || p.startsWith(`${prefix}.`)) {
      const rest = prefix === '' ? p : p.slice(prefix.length + 1);
      const first = rest.split('.')[0];
      if (first) keys.add(first);
    }
  }
  return [...keys];
}

export function allowedAt(path: string): string {
  if (isSettingPath(path)) return ALLOWED[path];
  const keys = childKeys(path);
  return keys.length > 0 ? `an object with keys ${keys.join(', ')}` : 'nothing (unknown setting)';
}

function problemOf(issue: z.core.$ZodIssue): ConfigProblem {
  switch (issue.code) {
    case 'invalid_type':
      return 'config.wrong_type';
    case 'too_small':
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string' ? 'config.not_allowed' : 'config.out_of_range';
    case 'custom': {
      const p: unknown = (issue.params as { problem?: unknown } | undefined)?.problem;
      return p === 'config.insecure_url' || p === 'config.not_allowed' || p === 'config.out_of_range' ? p : 'config.wrong_type';
    }
    default:
      return 'config.not_allowed';
  }
}

/** Dotted path, array items as `[i]` (e.g. `cps.trustAnchors[2]`). */
export function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `${out === '' ? '' : '.'}${String(k)}`;
  return out;
}

/** The `ConfigError` for the first issue; `origin` names the source (file, registry key) when known. */
export function issueToConfigError(issue: z.core.$ZodIssue, origin: string | undefined): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const parent = dotted(issue.path);
    const key = issue.keys[0] ?? '';
    const field = parent === '' ? key : `${parent}.${key}`;
    return configError('config.unknown_key', field, childKeys(parent).join(', '), origin);
  }
  const field = dotted(issue.path);
  const leaf = dotted(issue.path.filter((k) => typeof k !== 'number'));
  const custom = issue.code === 'custom' ? (issue.params as { allowed?: unknown } | undefined)?.allowed : undefined;
  const allowed = typeof custom === 'string' ? custom : allowedAt(leaf);
  return configError(problemOf(issue), field === '' ? '(top level)' : field, allowed, origin);
}

export function configError(problem: ConfigProblem, field: string, allowed: string, origin: string | undefined, file?: string): ConfigError {
  const text = message(problem, 'en', { field, allowed, ...(file !== undefined ? { file } : {}) });
  return new ConfigError(origin ? `${origin}: ${text}` : text, { problem, field, allowed, ...(origin !== undefined ? { source: origin } : {}), ...(file !== undefined ? { file } : {}) });
}
