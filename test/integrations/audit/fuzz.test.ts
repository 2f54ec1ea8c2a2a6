/**
 * Fuzzing the parsers of audit files (fast-check): any line gives a typed answer, any single
 * byte changed anywhere in a log is detected, random files never crash verify, and any garbage
 * after the last record is repaired on open.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { AuditLog, listAuditFiles, parseRecordLine, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { fillLog, tempDir } from './helpers.js';

const tmp = tempDir('tessera-audit-fuzz-');
let pristine: string;
let pristineBytes: Buffer;
let k = 0;
before(async () => {
  const log = await fillLog({ dir: join(tmp.dir, 'src'), workstation: 'PC-URG-01' }, 8);
  pristine = log.currentFile;
  await log.close();
  pristineBytes = readFileSync(pristine);
});
after(() => tmp.cleanup());

describe('audit parsers under random input', () => {
  it('parseRecordLine answers any string with ok or a typed problem, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(pristineBytes.toString('utf8').split('\n')[0] as string)), (s) => {
        const r = parseRecordLine(s);
        assert.ok(r.ok || r.problem === 'malformed' || r.problem === 'altered');
      }),
      { numRuns: 500 },
    );
  });

  it('any single byte changed anywhere in a log is detected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: pristineBytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, xor) => {
        const p = join(tmp.dir, `flip-${k++}.jsonl`);
        const bytes = Buffer.from(pristineBytes);
        bytes[pos] = (bytes[pos] as number) ^ xor;
        writeFileSync(p, bytes);
        const v = await verifyAuditFile(p);
        assert.equal(v.ok, false, `byte ${pos} ^ ${xor} went unnoticed`);
      }),
      { numRuns: 300 },
    );
  });

  it('random files never crash verify', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (data, withValidPrefix) => {
        const p = join(tmp.dir, `random-${k++}.jsonl`);
        writeFileSync(p, withValidPrefix ? Buffer.concat([pristineBytes, data]) : data);
        const v = await verifyAuditFile(p);
        // random bytes are never a valid continuation; an empty file is an empty (intact) log
        assert.equal(v.ok, data.length === 0);
      }),
      { numRuns: 200 },
    );
  });

  it('any garbage after the last record is cut on open, recorded, and the log verifies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (garbage) => {
        const dir = join(tmp.dir, `repair-${k++}`);
        mkdirSync(dir);
        const file = join(dir, 'audit-000001.jsonl');
        copyFileSync(pristine, file);
        appendFileSync(file, garbage);
        const log = await AuditLog.open({ dir, workstation: 'PC-URG-01' });
        assert.equal(log.repaired?.bytesCut, garbage.length);
        await log.close();
        const v = await verifyAuditFile(await listAuditFiles(dir));
        assert.ok(v.ok);
        assert.equal(v.records, 9);
      }),
      { numRuns: 100 },
    );
  });
});
