/**
 * Where the agent keeps the few secrets that must outlive a request (the refresh token of the
 * web SSO session): the operating system's keychain, one item per account under the service
 * `fr.tessera.agent`. Values go in and come out as Buffers: the caller wipes them after use.
 *
 * Contract, the same for every backend:
 *  - `get` answers `undefined` ONLY when the store is reachable and holds no such item; an
 *    unreachable, locked or refusing store is a `KeychainError`, never a miss (a miss would make
 *    the caller forget a token that is still there, or believe one is gone);
 *  - `delete` answers whether an item was there; a store that cannot be reached throws, so a
 *    sign-out never reports a deletion that did not happen;
 *  - `set` replaces any previous value.
 */
import { KeychainError } from './keychain-error.js';

/** The keychain service name every Tessera item is filed under. */
export const KEYCHAIN_SERVICE = 'fr.tessera.agent';

export interface SecretStore {
  get(account: string): Promise<Buffer | undefined>;
  set(account: string, secret: Buffer): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** Account names: printable ASCII without spaces, 1–200 characters (e.g. `sso.refresh:rpps:81000000001`). */
const ACCOUNT = /^[\x21-\x7e]{1,200}$/;

export function checkAccount(account: string): string {
  if (typeof account !== 'string' || !ACCOUNT.test(account)) {
    throw new KeychainError('keychain_bad_input', 'account: 1–200 printable ASCII characters without spaces expected');
  }
  return account;
}
