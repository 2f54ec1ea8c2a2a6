/**
 * The audit log's answer to a failing write, in process and deterministic: the file write is
 * made to put half its bytes on disk and then fail (as a filling disk does). ENOSPC and EDQUOT
 * cut the file back to its last synced record (no torn line, chain unchanged) and later appends
 * work; any other error (EIO) still makes the log refuse further appends until it is reopened.
 */
import { strict as assert } from 'node:assert';
import { after, afterEach, describe, it } from 'node:test';
import { open, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError, AuditLog, listAuditFiles, verifyAuditFile } from '../../src/main/integrations/audit/index.js';
import { sampleInput, tempDir } from '../integrations/audit/helpers.js';

type Write = (this: FileHandle, buf: Buffer, off?: number, len?: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
const probe = await open('/dev/null', 'r');
const proto = Object.getPrototypeOf(probe) as { write: Write };
await probe.close();
const original = proto.write;
const tmp = tempDir('tessera-audit-enospc-');
after(() => tmp.cleanup());
afterEach(() => {
  proto.write = original;
});

/** The next file writes put half their bytes down, then fail with `code`, until `restore()`. */
function failWrites(code: string): void {
  proto.write = async function (this: FileHandle, buf: Buffer, off = 0, len = buf.length - off) {
    if (Buffer.isBuffer(buf) && len >= 2) await original.call(this, buf, off, Math.floor(len / 2));
    throw Object.assign(new Error(`${code}: simulated`), { code });
  };
}

describe('audit log: a write that fails part-way', () => {
  for (const code of ['ENOSPC', 'EDQUOT']) {
    it(`${code}: the append is refused, the partial line is cut, and appends resume once writes work`, async () => {
      const dir = join(tmp.dir, code);
      const log = await AuditLog.open({ dir, workstation: 'PC-ENOSPC-01' });
      for (let i = 0; i < 3; i++) await log.append(sampleInput(i));
      const before = readFileSync(log.currentFile);
      failWrites(code);
      await assert.rejects(log.append(sampleInput(3)), (e: unknown) => e instanceof AuditError && e.code === 'audit_io');
      assert.deepEqual(readFileSync(log.currentFile), before, 'the file is back to its last synced record');
      assert.equal(log.lastSeq, 3);
      proto.write = original;
      const r = await log.append(sampleInput(3));
      assert.equal(r.seq, 4, 'the refused record consumed no sequence number');
      await log.close();
      const v = await verifyAuditFile(await listAuditFiles(dir));
      assert.deepEqual([v.ok, v.records], [true, 4]);
    });
  }

  it('EIO: the log refuses further appends (reopen it), and the reopened log repairs the torn line', async () => {
    const dir = join(tmp.dir, 'EIO');
    const log = await AuditLog.open({ dir, workstation: 'PC-ENOSPC-01' });
    for (let i = 0; i < 3; i++) await log.append(sampleInput(i));
    failWrites('EIO');
    await assert.rejects(log.append(sampleInput(3)), (e: unknown) => e instanceof AuditError && e.code === 'audit_io');
    proto.write = original;
    await assert.rejects(log.append(sampleInput(3)), (e: unknown) => e instanceof AuditError && e.code === 'audit_io' && /reopen/.test(e.message));
    await log.close();
    const again = await AuditLog.open({ dir, workstation: 'PC-ENOSPC-01' });
    assert.ok(again.repaired, 'the half line was repaired on open');
    await again.append(sampleInput(3));
    await again.close();
    const v = await verifyAuditFile(await listAuditFiles(dir));
    assert.equal(v.ok, true, JSON.stringify(v));
  });
});
