/**
 * Seeded fuzzing of DESFire badge answers (chaining, authentication, secure messaging): every malformed input gets a typed error with a
 * documented code, never another exception, a hang or an unbounded result. A failure prints the
 * seed, the replay path and the input in hex (`FUZZ_SEED=<seed>` replays it); commit the input
 * under `test/fuzz/corpus/<target>/` with the fix. Long runs: `scripts/fuzz/run.ts`.
 */
import { fuzzSuite } from './harness.js';
import { DESFIRE_TARGETS } from './targets/desfire.js';

await fuzzSuite('fuzz: DESFire badge answers (chaining, authentication, secure messaging)', DESFIRE_TARGETS);
