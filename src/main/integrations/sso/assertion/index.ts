export * from './protocol.js';
export * from './key-files.js';
export * from './workstation-key.js';
export * from './session-source.js';
export * from './sign.js';
export * from './assertion-server.js';
export * from './logout-notifier.js';
export * from './agent-assertion.js';
