/**
 * Seeded fuzzing of local input (control channel, configuration, audit files): every malformed input gets a typed error with a
 * documented code, never another exception, a hang or an unbounded result. A failure prints the
 * seed, the replay path and the input in hex (`FUZZ_SEED=<seed>` replays it); commit the input
 * under `test/fuzz/corpus/<target>/` with the fix. Long runs: `scripts/fuzz/run.ts`.
 */
import { fuzzSuite } from './harness.js';
import { LOCAL_TARGETS } from './targets/local.js';

await fuzzSuite('fuzz: local input (control channel, configuration, audit files)', LOCAL_TARGETS);
