import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommandApdu, type CommandApdu } from '../../../src/main/protocols/iso7816/command-apdu.js';
import { fromHex, hex } from '../../../src/main/protocols/iso7816/hex.js';
import { ApduEncodingError } from '../../../src/main/protocols/iso7816/iso7816-error.js';

/** `n` bytes 00, 01, 02, ... (mod 256), as a recognisable data field. */
function counting(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));
}

function assertApdu(cmd: CommandApdu, expectedHex: string, extended?: 'auto' | 'never' | 'always'): void {
  const actual = encodeCommandApdu(cmd, extended === undefined ? undefined : { extended });
  assert.equal(hex(actual, ' '), hex(fromHex(expectedHex), ' '));
}

function isEncodingError(e: unknown): boolean {
  return e instanceof ApduEncodingError && e.code === 'apdu_encoding';
}

describe('encodeCommandApdu, short length fields', () => {
  it('case 1: header only', () => {
    assertApdu({ cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x0c }, '00 A4 00 0C');
  });

  it('case 2: Le in one byte, 256 written 00', () => {
    assertApdu({ cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 8 }, '00 84 00 00 08');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 }, '00 B0 00 00 00');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x81, p2: 0x10, le: 1 }, '00 B0 81 10 01');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 255 }, '00 B0 00 00 FF');
  });

  it('case 3: Lc in one byte then the data (VERIFY with a padded PIN)', () => {
    assertApdu(
      { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x01, data: fromHex('31 32 33 34 FF FF FF FF') },
      '00 20 00 01 08 31 32 33 34 FF FF FF FF',
    );
    const data = counting(255);
    assertApdu({ cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data }, `00 D6 00 00 FF ${hex(data)}`);
  });

  it('case 4: Lc, data, Le (SELECT by AID)', () => {
    assertApdu(
      { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: fromHex('A0 00 00 00 04 10 10'), le: 256 },
      '00 A4 04 00 07 A0 00 00 00 04 10 10 00',
    );
    assertApdu(
      { cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x00, data: fromHex('01 02 03 04'), le: 0x80 },
      '00 88 00 00 04 01 02 03 04 80',
    );
  });

  it('an empty data field is no data field', () => {
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, data: Buffer.alloc(0), le: 4 }, '00 B0 00 00 04');
    assertApdu({ cla: 0x00, ins: 0x44, p1: 0x00, p2: 0x00, data: Buffer.alloc(0) }, '00 44 00 00');
  });

  it('keeps proprietary and PC/SC pseudo-APDU classes as given', () => {
    assertApdu({ cla: 0xff, ins: 0xca, p1: 0x00, p2: 0x00, le: 256 }, 'FF CA 00 00 00');
    assertApdu({ cla: 0x80, ins: 0xca, p1: 0x9f, p2: 0x7f, le: 0x2d }, '80 CA 9F 7F 2D');
  });
});

describe('encodeCommandApdu, extended length fields', () => {
  it('case 2E: 00 then Le in two bytes, 65536 written 00 00', () => {
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 257 }, '00 B0 00 00 00 01 01');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 1000 }, '00 B0 00 00 00 03 E8');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 65535 }, '00 B0 00 00 00 FF FF');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 65536 }, '00 B0 00 00 00 00 00');
  });

  it('case 3E: 00, Lc in two bytes, data', () => {
    const data = counting(256);
    assertApdu({ cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data }, `00 D6 00 00 00 01 00 ${hex(data)}`);
    const big = counting(65535);
    const apdu = encodeCommandApdu({ cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data: big });
    assert.equal(apdu.length, 4 + 3 + 65535);
    assert.equal(hex(apdu.subarray(0, 7), ' '), '00 D6 00 00 00 FF FF');
    assert.deepEqual(apdu.subarray(7), big);
  });

  it('case 4E: 00, Lc in two bytes, data, Le in two bytes without a leading 00', () => {
    const data = counting(300);
    assertApdu({ cla: 0x00, ins: 0x2a, p1: 0x9e, p2: 0x9a, data, le: 65536 }, `00 2A 9E 9A 00 01 2C ${hex(data)} 00 00`);
    assertApdu({ cla: 0x00, ins: 0x2a, p1: 0x9e, p2: 0x9a, data, le: 500 }, `00 2A 9E 9A 00 01 2C ${hex(data)} 01 F4`);
  });

  it('case 4E when only Le needs it: Lc is extended too', () => {
    assertApdu(
      { cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x00, data: fromHex('01 02 03'), le: 257 },
      '00 88 00 00 00 00 03 01 02 03 01 01',
    );
  });

  it('case 4E when only Lc needs it: Le 256 is written 01 00, not 00', () => {
    const data = counting(256);
    assertApdu({ cla: 0x00, ins: 0x2a, p1: 0x80, p2: 0x86, data, le: 256 }, `00 2A 80 86 00 01 00 ${hex(data)} 01 00`);
  });

  it('"always" forces extended fields on small commands; case 1 has none to extend', () => {
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 256 }, '00 B0 00 00 00 01 00', 'always');
    assertApdu({ cla: 0x00, ins: 0xb0, p1: 0x00, p2: 0x00, le: 1 }, '00 B0 00 00 00 00 01', 'always');
    assertApdu({ cla: 0x00, ins: 0xd6, p1: 0x00, p2: 0x00, data: fromHex('AA BB') }, '00 D6 00 00 00 00 02 AA BB', 'always');
    assertApdu(
      { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: fromHex('AA BB'), le: 16 },
      '00 A4 04 00 00 00 02 AA BB 00 10',
      'always',
    );
    assertApdu({ cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x0c }, '00 A4 00 0C', 'always');
  });

  it('"auto" and "never" give the same bytes when short fields suffice', () => {
    const cmd: CommandApdu = { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: counting(255), le: 256 };
    assert.deepEqual(encodeCommandApdu(cmd, { extended: 'never' }), encodeCommandApdu(cmd));
    assert.equal(encodeCommandApdu(cmd).length, 4 + 1 + 255 + 1);
  });
});

describe('encodeCommandApdu, refusals', () => {
  it('refuses header bytes outside 0..255', () => {
    const base: CommandApdu = { cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x00 };
    for (const field of ['cla', 'ins', 'p1', 'p2'] as const) {
      for (const bad of [-1, 256, 1.5, Number.NaN]) {
        assert.throws(() => encodeCommandApdu({ ...base, [field]: bad }), isEncodingError, `${field}=${bad}`);
      }
    }
  });

  it('refuses Le outside 1..65536 (0 is ambiguous: say 256 or 65536)', () => {
    for (const le of [0, -1, 65537, 2.5, Number.NaN]) {
      assert.throws(() => encodeCommandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le }), isEncodingError, `le=${le}`);
    }
  });

  it('refuses a data field longer than 65535 bytes', () => {
    assert.throws(() => encodeCommandApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(65536) }), isEncodingError);
  });

  it('refuses extended fields under "never"', () => {
    assert.throws(
      () => encodeCommandApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(256) }, { extended: 'never' }),
      isEncodingError,
    );
    assert.throws(() => encodeCommandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 }, { extended: 'never' }), isEncodingError);
  });

  it('never puts the data field in the error message (VERIFY carries a PIN)', () => {
    const pin = Buffer.concat([Buffer.from('4711'), Buffer.alloc(252, 0xff)]);
    assert.throws(
      () => encodeCommandApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x01, data: pin }, { extended: 'never' }),
      (e: unknown) => isEncodingError(e) && e instanceof Error && !e.message.includes('4711') && !e.message.includes('34373131'),
    );
  });

  it('returns a fresh buffer: wiping it leaves the caller\'s data intact', () => {
    const data = fromHex('31 32 33 34');
    const apdu = encodeCommandApdu({ cla: 0, ins: 0x20, p1: 0, p2: 1, data });
    apdu.fill(0);
    assert.equal(hex(data), '31323334');
  });
});
