/** The OS keychain: `SecretStore` and its `@napi-rs/keyring` backend. */
export { KeychainError, classifyPlatformFailure, type KeychainErrorCode } from './keychain-error.js';
export { KEYCHAIN_SERVICE, checkAccount, type SecretStore } from './secret-store.js';
export { OsKeychain, type OsKeychainOptions } from './os-keychain.js';
