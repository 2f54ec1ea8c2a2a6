export * from './provider-config.js';
export * from './signing-keys.js';
export * from './account-store.js';
export * from './nonce-store.js';
export * from './verify-proof.js';
export * from './pages.js';
export * from './embedded-provider.js';
