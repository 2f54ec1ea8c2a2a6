/** Agent configuration: schema, sources, layering (see docs/configuration.md). */
export * from './config.js';
export * from './schema.js';
export * from './issues.js';
export * from './file-security.js';
export * from './layers.js';
export * from './layered.js';
export * from './user-settings-file.js';
export * from './managed-policy.js';
export * from './windows-registry.js';
export * from './macos-plist.js';
