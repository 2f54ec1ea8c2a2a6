export * from './fido-error.js';
export * from './enrolment-store.js';
export * from './user-verification.js';
export * from './client-data.js';
export * from './enroll-fido-key.js';
export * from './enrolment-audit.js';
export * from './verify-fido-key.js';
export * from './pin-management.js';
