/**
 * `SecretStore` on the operating system's keychain through `@napi-rs/keyring`: Secret Service
 * (gnome-keyring, KWallet) over D-Bus on Linux, the login Keychain on macOS, Credential Manager
 * on Windows. Prebuilt N-API binaries for each OS: nothing to compile, and the same binary loads
 * in Node and in Electron (see docs/tokens-and-broker.md for why not `keytar`).
 *
 * The library answers "no item" for a store it could not search (a locked collection, a
 * Secret Service without a default collection), so a miss is trusted only after the store has
 * proven it is usable: a probe item is written and deleted. A store that cannot take the probe
 * is reported with its typed error instead of the miss.
 */
import { AsyncEntry, type EntryOptions } from '@napi-rs/keyring';
import { KeychainError, classifyPlatformFailure } from './keychain-error.js';
import { KEYCHAIN_SERVICE, checkAccount, type SecretStore } from './secret-store.js';

const PROBE_ACCOUNT = 'tessera.keychain-probe';

export interface OsKeychainOptions {
  /** Service name items are filed under (default `fr.tessera.agent`; tests use their own). */
  readonly service?: string;
}

export class OsKeychain implements SecretStore {
  readonly service: string;

  constructor(opts: OsKeychainOptions = {}) {
    this.service = opts.service ?? KEYCHAIN_SERVICE;
  }

  async get(account: string): Promise<Buffer | undefined> {
    checkAccount(account);
    const raw = await this.call(account, 'read', (e) => e.getSecret());
    if (raw === null) {
      await this.probe(account);
      return undefined;
    }
    const out = Buffer.from(raw);
    raw.fill(0);
    return out;
  }

  async set(account: string, secret: Buffer): Promise<void> {
    checkAccount(account);
    if (secret.length === 0) throw new KeychainError('keychain_bad_input', 'an empty secret is not stored', { account });
    // A copy the addon may keep until it is collected; wiped once the call returns.
    const copy = new Uint8Array(secret);
    try {
      await this.call(account, 'write', (e) => e.setSecret(copy));
    } finally {
      copy.fill(0);
    }
  }

  async delete(account: string): Promise<boolean> {
    checkAccount(account);
    const deleted = await this.call(account, 'delete', (e) => e.deleteCredential());
    if (!deleted) await this.probe(account);
    return deleted;
  }

  /** Writes and removes a probe item: throws the store's typed error when it is not usable. */
  async probe(forAccount?: string): Promise<void> {
    const marker = new Uint8Array([0x70, 0x72, 0x6f, 0x62, 0x65]);
    await this.call(PROBE_ACCOUNT, 'write', (e) => e.setSecret(marker), forAccount);
    await this.call(PROBE_ACCOUNT, 'delete', (e) => e.deleteCredential(), forAccount);
  }

  private async call<T>(account: string, what: 'read' | 'write' | 'delete', fn: (e: AsyncEntry) => Promise<T>, reportAs = account): Promise<T> {
    try {
      const options: EntryOptions | undefined = process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined;
      return await fn(new AsyncEntry(this.service, account, options));
    } catch (e) {
      const code = classifyPlatformFailure(e);
      throw new KeychainError(code, `keychain ${what} of ${this.service}/${reportAs} failed: ${e instanceof Error ? e.message : String(e)}`, { account: reportAs, cause: e });
    }
  }
}
