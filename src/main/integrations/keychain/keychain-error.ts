/**
 * Errors of the OS keychain (integrations layer). Codes are stable (CLI JSON, audit, tests);
 * messages name the store and the account, never a secret.
 */
import { TesseraError } from '../../errors.js';

export type KeychainErrorCode =
  /** No keychain to talk to: no Secret Service on the session bus (or no bus), no default collection. */
  | 'keychain_unavailable'
  /** The keychain exists but is locked and nobody unlocked it (the unlock prompt was dismissed). */
  | 'keychain_locked'
  /** The keychain refused this process access to the item. */
  | 'keychain_denied'
  /** Any other failure of the platform store (the message carries the platform's text). */
  | 'keychain_failed'
  /** Bad input: an account name outside the allowed form, an empty secret. */
  | 'keychain_bad_input';

export class KeychainError extends TesseraError<KeychainErrorCode> {
  readonly layer = 'integration' as const;
  /** The account (item) involved, when there is one. */
  readonly account: string | undefined;

  constructor(code: KeychainErrorCode, message: string, opts: { account?: string; cause?: unknown } = {}) {
    super(code, message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.account = opts.account;
  }
}

/**
 * Reads a platform failure (the keyring crate's text, as `@napi-rs/keyring` passes it on) and
 * chooses the code. The texts are those of the Secret Service client (`zbus`/D-Bus names),
 * macOS Security framework and Windows Credential Manager errors.
 */
export function classifyPlatformFailure(e: unknown): KeychainErrorCode {
  const text = e instanceof Error ? chainText(e) : String(e);
  if (/prompt was dismissed|is locked|locked collection|errSecInteractionNotAllowed|errSecAuthFailed/i.test(text)) return 'keychain_locked';
  if (/access ?denied|not allowed|permission denied|errSecNoAccessForItem|ERROR_ACCESS_DENIED/i.test(text)) return 'keychain_denied';
  if (/not provided by any \.service files|ServiceUnknown|NameHasNoOwner|Failed to connect to socket|autolaunch|no result found|no such (object|interface)|DBUS_SESSION_BUS_ADDRESS|errSecNoSuchKeychain|errSecNotAvailable|NoStorageAccess/i.test(text)) {
    return 'keychain_unavailable';
  }
  return 'keychain_failed';
}

/** The messages of an error and its causes, joined (the addon nests the D-Bus text in `cause`). */
function chainText(e: Error): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 8 && cur instanceof Error; i++) {
    parts.push(cur.message);
    cur = cur.cause;
  }
  return parts.join(' | ');
}
