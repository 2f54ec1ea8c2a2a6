/**
 * Reads a JSON Lines file with bounded memory: 64 KiB chunks, lines longer than the limit are
 * reported (not kept) and skipped up to their newline. The last line is marked incomplete when
 * the file does not end with a newline (a torn write).
 */
import { open } from 'node:fs/promises';

export interface FileLine {
  /** 1-based line number. */
  readonly lineNo: number;
  /** Byte offset of the line's first byte. */
  readonly offset: number;
  /** Byte length without the newline. */
  readonly bytes: number;
  /** The text, or undefined when longer than the limit. */
  readonly text: string | undefined;
  /** False for a last line without its newline. */
  readonly complete: boolean;
}

export async function* readLines(path: string, maxLineBytes: number, chunkBytes = 64 * 1024): AsyncGenerator<FileLine> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let tooLong = false;
    let lineStart = 0;
    let pos = 0;
    let lineNo = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, pos);
      if (bytesRead === 0) break;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0 || nl >= bytesRead) break;
        const piece = buf.subarray(start, nl);
        const bytes = pendingBytes + piece.length;
        lineNo += 1;
        const text = tooLong || bytes > maxLineBytes ? undefined : Buffer.concat([...pending, piece]).toString('utf8');
        yield { lineNo, offset: lineStart, bytes, text, complete: true };
        pending = [];
        pendingBytes = 0;
        tooLong = false;
        lineStart = pos + nl + 1;
        start = nl + 1;
      }
      if (start < bytesRead) {
        const rest = buf.subarray(start, bytesRead);
        pendingBytes += rest.length;
        if (!tooLong && pendingBytes <= maxLineBytes) pending.push(Buffer.from(rest));
        else {
          tooLong = true;
          pending = [];
        }
      }
      pos += bytesRead;
    }
    if (pendingBytes > 0) {
      lineNo += 1;
      yield { lineNo, offset: lineStart, bytes: pendingBytes, text: tooLong ? undefined : Buffer.concat(pending).toString('utf8'), complete: false };
    }
  } finally {
    await fh.close();
  }
}
