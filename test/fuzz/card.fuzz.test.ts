/**
 * Seeded fuzzing of card answers (ISO 7816, BER-TLV, CPS commands, certificate): every malformed input gets a typed error with a
 * documented code, never another exception, a hang or an unbounded result. A failure prints the
 * seed, the replay path and the input in hex (`FUZZ_SEED=<seed>` replays it); commit the input
 * under `test/fuzz/corpus/<target>/` with the fix. Long runs: `scripts/fuzz/run.ts`.
 */
import { fuzzSuite } from './harness.js';
import { CARD_TARGETS } from './targets/card.js';

await fuzzSuite('fuzz: card answers (ISO 7816, BER-TLV, CPS commands, certificate)', CARD_TARGETS);
