/**
 * Child process of the kill -9 test (not a test itself): opens the audit log in argv[2] and
 * appends records forever, several in flight at once so writes are grouped, printing the
 * sequence number of each record once its append has resolved (durable). Prints `ready <seq>`
 * after the open (and any repair) is done.
 *
 * With argv[3] = `short-writes`, every file write is cut in two with a 10 ms pause between the
 * halves (the write reports a short count, as a slow or interrupted device does; the log writes
 * the rest), so that a SIGKILL very likely lands while a line is half on disk.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog } from '../../../src/main/integrations/audit/index.js';
import { sampleInput } from './helpers.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: append-loop <dir> [short-writes]');
if (process.argv[3] === 'short-writes') {
  const probe = await open('/dev/null', 'r');
  const proto = Object.getPrototypeOf(probe) as { write: FileHandle['write'] };
  await probe.close();
  const original = proto.write as (this: FileHandle, buf: Buffer, off?: number, len?: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
  const shortWrite = async function (this: FileHandle, buf: Buffer, off = 0, len = buf.length - off): Promise<{ bytesWritten: number; buffer: Buffer }> {
    if (!Buffer.isBuffer(buf) || len < 2) return original.call(this, buf, off, len);
    const r = await original.call(this, buf, off, Math.floor(len / 2));
    await sleep(10);
    return r;
  };
  proto.write = shortWrite as unknown as FileHandle['write'];
}
const log = await AuditLog.open({ dir, workstation: 'PC-CRASH-01', maxFileBytes: 48 * 1024, maxBatch: 64 });
process.stdout.write(`ready ${log.lastSeq}\n`);
let i = 0;
for (;;) {
  const batch = Array.from({ length: 40 }, () => log.append(sampleInput(i++)));
  const done = await Promise.all(batch);
  process.stdout.write(`${done.map((r) => r.seq).join('\n')}\n`);
}
