/**
 * Replays the committed regression corpus (`test/fuzz/corpus/<target>/*.hex|*.txt`): every input
 * that once broke a property (`finding-*`) and the representative seeds (`seed-*`) must pass
 * their target's check today.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { CORPUS_DIR, readCorpus } from './harness.js';
import { ALL_TARGETS, targetNamed } from './targets/index.js';

describe('fuzz corpus replay', () => {
  it('every corpus folder names a target, and every target has seeds', () => {
    assert.ok(existsSync(CORPUS_DIR), `${CORPUS_DIR} is missing`);
    for (const dir of readdirSync(CORPUS_DIR)) assert.ok(targetNamed(dir), `corpus folder ${dir} names no fuzz target`);
    for (const t of ALL_TARGETS) assert.ok(readCorpus(t.name).length > 0, `no corpus for ${t.name}`);
  });

  for (const target of ALL_TARGETS) {
    it(`${target.name}: every committed input passes`, async () => {
      await target.setup?.();
      try {
        for (const entry of readCorpus(target.name)) {
          try {
            await target.check(entry.input);
          } catch (e) {
            assert.fail(`${target.name}/${entry.file}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      } finally {
        await target.teardown?.();
      }
    });
  }
});
