/**
 * PIN lines for the `fido` commands: stdin is read once (bounded), split into lines, each line
 * copied into its own Buffer; every intermediate buffer is wiped. The caller wipes the lines.
 */
import type { Readable } from 'node:stream';
import { UsageError } from '../cli-output.js';

const MAX_STDIN = 512;

export async function readPinLines(input: Readable, count: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let total = 0;
  let all: Buffer | undefined;
  try {
    for await (const chunk of input) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(b);
      total += b.length;
      if (total > MAX_STDIN) throw new UsageError('PIN input too long');
    }
    all = Buffer.concat(chunks);
    const lines: Buffer[] = [];
    let start = 0;
    while (lines.length < count && start <= all.length) {
      let end = all.indexOf(0x0a, start);
      if (end < 0) end = all.length;
      const stop = end > start && all[end - 1] === 0x0d ? end - 1 : end;
      lines.push(Buffer.from(all.subarray(start, stop)));
      start = end + 1;
    }
    if (lines.length < count || lines.some((l) => l.length === 0)) {
      for (const l of lines) l.fill(0);
      throw new UsageError(`expected ${count} non-empty PIN line(s) on stdin`);
    }
    return lines;
  } finally {
    for (const c of chunks) c.fill(0);
    all?.fill(0);
  }
}
