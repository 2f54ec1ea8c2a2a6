export * from './reasons.js';
export * from './presentation.js';
export * from './means-ref.js';
export * from './rie-rules.js';
export * from './classify.js';
export * from './exi14.js';
export * from './decision.js';
