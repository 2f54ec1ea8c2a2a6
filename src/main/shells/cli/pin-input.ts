/**
 * Reads a PIN without ever making it a JavaScript string: bytes from stdin (or a hidden TTY
 * prompt) go into one Buffer owned by the caller, who wipes it; intermediate chunks are wiped.
 */
import type { Readable } from 'node:stream';

const MAX_PIN_INPUT = 64;

export async function readPinFromStream(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of input) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(b);
      total += b.length;
      if (total > MAX_PIN_INPUT) throw new Error('PIN input too long');
    }
    const all = Buffer.concat(chunks);
    let end = all.indexOf(0x0a);
    if (end < 0) end = all.length;
    if (end > 0 && all[end - 1] === 0x0d) end -= 1;
    const pin = Buffer.alloc(end);
    all.copy(pin, 0, 0, end);
    all.fill(0);
    return pin;
  } finally {
    for (const c of chunks) c.fill(0);
  }
}

/** Hidden prompt on an interactive terminal: digits are echoed as `•`. */
export function promptPinOnTty(prompt: string): Promise<Buffer> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    const pin = Buffer.alloc(MAX_PIN_INPUT);
    let len = 0;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) {
        pin.fill(0);
        reject(err);
        return;
      }
      const out = Buffer.alloc(len);
      pin.copy(out, 0, 0, len);
      pin.fill(0);
      resolve(out);
    };
    const onData = (data: Buffer): void => {
      for (const byte of data) {
        if (byte === 0x0d || byte === 0x0a) return done();
        if (byte === 0x03) return done(new Error('cancelled'));
        if ((byte === 0x7f || byte === 0x08) && len > 0) {
          len -= 1;
          pin[len] = 0;
          process.stderr.write('\b \b');
        } else if (byte >= 0x30 && byte <= 0x39 && len < MAX_PIN_INPUT) {
          pin[len++] = byte;
          process.stderr.write('•');
        }
      }
      data.fill(0);
    };
    stdin.on('data', onData);
  });
}
