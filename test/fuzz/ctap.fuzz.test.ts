/**
 * Seeded fuzzing of FIDO2 authenticator answers (CTAPHID, CBOR, authenticator data, COSE): every malformed input gets a typed error with a
 * documented code, never another exception, a hang or an unbounded result. A failure prints the
 * seed, the replay path and the input in hex (`FUZZ_SEED=<seed>` replays it); commit the input
 * under `test/fuzz/corpus/<target>/` with the fix. Long runs: `scripts/fuzz/run.ts`.
 */
import { fuzzSuite } from './harness.js';
import { CTAP_TARGETS } from './targets/ctap.js';

await fuzzSuite('fuzz: FIDO2 authenticator answers (CTAPHID, CBOR, authenticator data, COSE)', CTAP_TARGETS);
