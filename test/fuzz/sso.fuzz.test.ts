/**
 * Seeded fuzzing of web SSO input (agent proofs and logout notices at the provider, the native
 * client's loopback listener): every malformed input gets a typed refusal with its reason, the
 * pending sign-in survives stray requests. A failure prints the seed, the replay path and the
 * input in hex (`FUZZ_SEED=<seed>` replays it). Long runs: `scripts/fuzz/run.ts`.
 */
import { fuzzSuite } from './harness.js';
import { SSO_TARGETS } from './targets/sso.js';

await fuzzSuite('fuzz: web SSO input (agent proofs, loopback listener)', SSO_TARGETS);
