/**
 * Regression tests for what the fuzzers found, named after the bug. Each input is also in the
 * corpus (`test/fuzz/corpus/<target>/finding-*.hex`), replayed by `corpus.test.ts`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, verifyAuditFile } from '../../src/main/integrations/audit/index.js';

describe('fuzz findings', () => {
  it('audit log: a newline at byte 0 before a torn tail no longer makes AuditLog.open loop forever (it repairs the tail)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-fuzz-regress-'));
    try {
      const file = path.join(dir, 'audit-000001.jsonl');
      for (const bytes of ['0a5d93d4e0294c87', '0a41', '0a0a41']) {
        writeFileSync(file, Buffer.from(bytes, 'hex'), { mode: 0o600 });
        const log = await AuditLog.open({ dir, workstation: 'PC-URG-01', onWarning: () => undefined });
        assert.ok(log.repaired, `${bytes}: the torn tail is reported as repaired`);
        await log.append({ event: 'session_locked', decision: 'lock', reason: 'card_removed', means: 'cps', person: 'rpps:10001234567' });
        await log.close();
        const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
        assert.ok(lines.length >= 1);
        const v = await verifyAuditFile(file);
        assert.ok(v.ok, `${bytes}: the continued log verifies`);
        rmSync(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
