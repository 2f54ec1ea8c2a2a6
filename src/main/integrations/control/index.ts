/** Local control channel (see docs/configuration.md, "Control channel"). */
export * from './control-error.js';
export * from './protocol.js';
export * from './socket-path.js';
export * from './server.js';
export * from './client.js';
export * from './engine-adapter.js';
