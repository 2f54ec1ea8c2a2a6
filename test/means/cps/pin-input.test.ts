/**
 * `readPinFromStream` (src/main/shells/cli/pin-input.ts): the PIN read from a stream as bytes,
 * never as a string. Kept with the CPS means tests because it produces the PIN Buffer the CPS
 * login consumes (test/shells/ is outside this change; move it there if preferred).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readPinFromStream } from '../../../src/main/shells/cli/pin-input.js';

function chunks(...parts: string[]): Buffer[] {
  return parts.map((p) => Buffer.from(p, 'latin1'));
}

function zeroed(b: Buffer): boolean {
  return b.every((x) => x === 0);
}

describe('readPinFromStream', () => {
  const cases: ReadonlyArray<readonly [string, string[], string]> = [
    ['strips a trailing \\n', ['1234\n'], '1234'],
    ['strips a trailing \\r\\n', ['1234\r\n'], '1234'],
    ['takes the whole input when there is no newline', ['1234'], '1234'],
    ['stops at the first newline', ['1234\n5678\n'], '1234'],
    ['joins chunks split inside the PIN and the line end', ['12', '3', '4\r', '\n'], '1234'],
    ['an empty line is an empty PIN', ['\n'], ''],
    ['empty input is an empty PIN', [], ''],
  ];
  for (const [name, parts, expected] of cases) {
    it(name, async () => {
      const pin = await readPinFromStream(Readable.from(chunks(...parts)));
      assert.ok(Buffer.isBuffer(pin));
      assert.equal(pin.toString('latin1'), expected);
    });
  }

  it('accepts 64 bytes of input', async () => {
    const pin = await readPinFromStream(Readable.from(chunks('1'.repeat(63) + '\n')));
    assert.equal(pin.length, 63);
  });

  it('rejects more than 64 bytes of input', async () => {
    await assert.rejects(readPinFromStream(Readable.from(chunks('1'.repeat(65)))), /too long/);
    await assert.rejects(readPinFromStream(Readable.from(chunks('1234\n', '9'.repeat(60)))), /too long/);
  });

  it('wipes the chunks it read once the PIN is copied out', async () => {
    const input = chunks('12', '34\r\n');
    const pin = await readPinFromStream(Readable.from(input));
    assert.equal(pin.toString('latin1'), '1234');
    for (const c of input) assert.ok(zeroed(c), `chunk wiped: ${c.toString('hex')}`);
  });

  it('wipes the chunks also when the input is refused as too long', async () => {
    const input = chunks('1234', '5'.repeat(61));
    await assert.rejects(readPinFromStream(Readable.from(input)), /too long/);
    for (const c of input) assert.ok(zeroed(c), `chunk wiped: ${c.toString('hex')}`);
  });

  it('the returned PIN does not share memory with the input chunks', async () => {
    const input = chunks('1234');
    const pin = await readPinFromStream(Readable.from(input));
    assert.equal(pin.toString('latin1'), '1234', 'still readable after the chunks were wiped');
  });
});
