export * from './clock.js';
export * from './engine-config.js';
export * from './session-error.js';
export * from './session-engine.js';
export * from './recorded-engine.js';
