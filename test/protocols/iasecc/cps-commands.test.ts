/**
 * The CPS command set (src/main/protocols/iasecc/cps-commands.ts) against a scripted in-memory
 * `CardChannel`: one layer down, no pcscd. Expected APDUs are written by hand from
 * docs/cps-profile.md §3, never built from the driver's own constants.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import {
  derTotalLength,
  isWellFormedPin,
  readAuthenticationCertificate,
  readPinStatus,
  selectCpsApplication,
  sha256DigestInfo,
  signChallenge,
  verifyPin,
} from '../../../src/main/protocols/iasecc/cps-commands.js';
import { IasEccError, type IasEccErrorCode } from '../../../src/main/protocols/iasecc/iasecc-error.js';

/** docs/cps-profile.md §3, verbatim. */
const APDU = {
  selectCpxIas: '00A404040DE828BD080F8025000001FF001000',
  selectCertEf: '00A4020402C00000',
  verifyStatus: '00200001',
  verify1234: '002000010831323334FFFFFFFF',
  mseSetAt: '002241A406840182800102',
} as const;

/** RFC 8017 §9.2 note 1: DigestInfo prefix for SHA-256. */
const RFC8017_SHA256_PREFIX = '3031300d060960864801650304020105000420';

const FCP_CPX_IAS = '6216820138840DE828BD080F8025000001FF00108A0105';

function h(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function up(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

/** Response bytes: data then SW. */
function answer(data: Buffer | string, sw: string): Buffer {
  return Buffer.concat([typeof data === 'string' ? h(data) : data, h(sw)]);
}

type Responder = (apdu: Buffer) => Buffer;

/**
 * A card that answers through `responder` and records every command. `sent` holds copies made
 * inside `transmit` (exchange() wipes the encoded APDU once it is sent); `received` holds the
 * very Buffers handed over, so a test can check they were wiped afterwards.
 */
class FakeChannel implements CardChannel {
  readonly readerName = 'Fake Reader 00 00';
  readonly atr = h('3BAC00402A001225006480000310009000');
  readonly connected = true;
  readonly sent: string[] = [];
  readonly received: Buffer[] = [];

  constructor(private readonly responder: Responder) {}

  async transmit(apdu: Buffer): Promise<Buffer> {
    this.sent.push(up(apdu));
    this.received.push(apdu);
    return this.responder(Buffer.from(apdu));
  }
}

/** Answers a fixed script of [expected command hex, response hex] in order. */
function scripted(script: ReadonlyArray<readonly [string, string | Buffer]>): FakeChannel {
  const steps = [...script];
  return new FakeChannel((apdu) => {
    const step = steps.shift();
    if (step === undefined) throw new Error(`unscripted command ${up(apdu)}`);
    assert.equal(up(apdu), step[0].replace(/\s+/g, '').toUpperCase());
    return typeof step[1] === 'string' ? h(step[1]) : step[1];
  });
}

interface EfOptions {
  /** Extra bytes appended to the answer of the READ BINARY with this index (0-based). */
  readonly overRead?: { readonly index: number; readonly extra: number };
}

/**
 * A CPS whose certificate EF holds `file`, answering §3.2 exactly: SELECT EF → FCP + 9000;
 * READ BINARY → Le bytes + 9000, the remaining bytes + 6282 when offset + Le > size, 6B00 at
 * or past the end.
 */
function efCard(file: Buffer, opts: EfOptions = {}): FakeChannel {
  let reads = 0;
  return new FakeChannel((apdu) => {
    const cmd = up(apdu);
    if (cmd === APDU.selectCertEf) return answer('620F8002' + file.length.toString(16).padStart(4, '0') + '8201018302C0008A0105', '9000');
    if (apdu[0] === 0x00 && apdu[1] === 0xb0 && apdu.length === 5) {
      const offset = ((apdu[2] ?? 0) << 8) | (apdu[3] ?? 0);
      const le = apdu[4] === 0 ? 256 : (apdu[4] ?? 0);
      const index = reads++;
      if (offset >= file.length) return h('6B00');
      let chunk = file.subarray(offset, offset + le);
      const sw = chunk.length < le ? '6282' : '9000';
      if (opts.overRead?.index === index) chunk = Buffer.concat([chunk, Buffer.alloc(opts.overRead.extra, 0xee)]);
      return answer(chunk, sw);
    }
    return h('6D00');
  });
}

/** A DER SEQUENCE of `contentLength` content bytes (long form, 2 length bytes). */
function derSequence(contentLength: number): Buffer {
  const head = Buffer.from([0x30, 0x82, contentLength >> 8, contentLength & 0xff]);
  const body = Buffer.alloc(contentLength);
  for (let i = 0; i < contentLength; i++) body[i] = (i * 7 + 1) & 0xff;
  return Buffer.concat([head, body]);
}

function isIasEcc(code: IasEccErrorCode, sw?: number): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof IasEccError, `expected IasEccError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (sw !== undefined) assert.equal(e.sw, sw);
    return true;
  };
}

describe('selectCpsApplication (§3.1)', () => {
  it('sends 00 A4 04 04 0D <CPX IAS AID> 00 and accepts an FCP + 9000', async () => {
    const card = scripted([[APDU.selectCpxIas, FCP_CPX_IAS + '9000']]);
    assert.equal(await selectCpsApplication(card), true);
    assert.deepEqual(card.sent, [APDU.selectCpxIas]);
  });

  it('accepts 9000 without data, and an FCI template (6F)', async () => {
    assert.equal(await selectCpsApplication(scripted([[APDU.selectCpxIas, '9000']])), true);
    assert.equal(await selectCpsApplication(scripted([[APDU.selectCpxIas, '6F03840100' + '9000']])), true);
  });

  it('fetches a 61xx answer with GET RESPONSE', async () => {
    const card = scripted([
      [APDU.selectCpxIas, '6118'],
      ['00C0000018', FCP_CPX_IAS + '9000'],
    ]);
    assert.equal(await selectCpsApplication(card), true);
    assert.equal(card.sent.length, 2);
  });

  for (const sw of ['6A82', '6A81', '6D00', '6E00']) {
    it(`answers false (not a CPS) on ${sw}`, async () => {
      assert.equal(await selectCpsApplication(scripted([[APDU.selectCpxIas, sw]])), false);
    });
  }

  it('data that is not an FCP/FCI template is card_data_invalid', async () => {
    await assert.rejects(selectCpsApplication(scripted([[APDU.selectCpxIas, '0102039000']])), isIasEcc('card_data_invalid'));
  });

  it('any other status word is unexpected_status carrying the SW', async () => {
    await assert.rejects(selectCpsApplication(scripted([[APDU.selectCpxIas, '6F00']])), isIasEcc('unexpected_status', 0x6f00));
  });
});

describe('derTotalLength (§3.2 DER header)', () => {
  const cases: ReadonlyArray<readonly [string, number | undefined]> = [
    ['', undefined],
    ['30', undefined],
    ['3000', 2],
    ['3005', 7],
    ['307F', 0x81],
    ['3081', undefined],
    ['308180', 0x83],
    ['3081B4', 0xb7],
    ['3082', undefined],
    ['308201', undefined],
    ['30820254', 0x258],
    ['30820FFC', 4096],
    ['30821001', 4101],
    ['3082FFFF', 0x10003],
    ['30820254AABBCC', 0x258],
  ];
  for (const [head, total] of cases) {
    it(`${head || '(empty)'} → ${String(total)}`, () => {
      assert.equal(derTotalLength(h(head)), total);
    });
  }

  for (const [head, why] of [
    ['3100', 'a SET, not a SEQUENCE'],
    ['0482', 'an OCTET STRING'],
    ['3080', 'the indefinite form'],
    ['3083010000', 'three length bytes'],
    ['308400000100', 'four length bytes'],
  ] as const) {
    it(`${head} (${why}) is card_data_invalid`, () => {
      assert.throws(() => derTotalLength(h(head)), isIasEcc('card_data_invalid'));
    });
  }
});

describe('readAuthenticationCertificate (§3.2)', () => {
  it('selects EF C000 then reads E7 chunks from offset 0, the last one for exactly what is left', async () => {
    const der = derSequence(596); // 600 bytes: E7 + E7 + 8A
    const card = efCard(der);
    const got = await readAuthenticationCertificate(card);
    assert.deepEqual(got, der);
    assert.deepEqual(card.sent, [APDU.selectCertEf, '00B00000E7', '00B000E7E7', '00B001CE8A']);
  });

  it('a short certificate comes back in one chunk ending with 6282', async () => {
    const der = Buffer.concat([h('3081B4'), Buffer.alloc(0xb4, 0x41)]); // 183 bytes < E7
    const card = scripted([
      [APDU.selectCertEf, '62038002' + '00B7' + '9000'],
      ['00B00000E7', answer(der, '6282')],
    ]);
    assert.deepEqual(await readAuthenticationCertificate(card), der);
    assert.equal(card.sent.length, 2);
  });

  it('accepts 6282 on the last chunk, and a file longer than the certificate (padding ignored)', async () => {
    const der = derSequence(296); // 300 bytes: E7 + 45
    const padded = Buffer.concat([der, Buffer.alloc(200, 0x00)]);
    const card = efCard(padded);
    assert.deepEqual(await readAuthenticationCertificate(card), der);
    assert.deepEqual(card.sent, [APDU.selectCertEf, '00B00000E7', '00B000E745']);

    const eofCard = scripted([
      [APDU.selectCertEf, '9000'],
      ['00B00000E7', answer(der.subarray(0, 0xe7), '9000')],
      ['00B000E745', answer(der.subarray(0xe7), '6282')],
    ]);
    assert.deepEqual(await readAuthenticationCertificate(eofCard), der);
  });

  it('reads a real certificate-sized file (4096 bytes, the limit) in 18 chunks with 15-bit offsets', async () => {
    const der = derSequence(4092);
    const card = efCard(der);
    assert.deepEqual(await readAuthenticationCertificate(card), der);
    assert.equal(card.sent.length, 1 + 18);
    assert.equal(card.sent[1], '00B00000E7');
    assert.equal(card.sent[2], '00B000E7E7');
    assert.equal(card.sent[18], '00B00F57A9'); // offset 17 × E7 = 0F57, 4096 − 0F57 = A9 left
  });

  it('a DER header announcing more than 4096 bytes is card_data_invalid after the first chunk', async () => {
    const card = efCard(Buffer.concat([h('30821001'), Buffer.alloc(400, 0x55)])); // 4101 bytes announced
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
    assert.deepEqual(card.sent, [APDU.selectCertEf, '00B00000E7']);
  });

  it('a file that ends before the announced length (6282 early) is card_data_invalid', async () => {
    const der = derSequence(596);
    const card = efCard(der.subarray(0, 300));
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
    assert.deepEqual(card.sent, [APDU.selectCertEf, '00B00000E7', '00B000E7E7']);
  });

  it('a file that ends exactly on a chunk boundary before the announced length (6B00) is card_data_invalid', async () => {
    const der = derSequence(596);
    const card = efCard(der.subarray(0, 0xe7));
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
    assert.deepEqual(card.sent, [APDU.selectCertEf, '00B00000E7', '00B000E7E7']);
  });

  it('an empty chunk with 9000 is card_data_invalid (no endless loop)', async () => {
    const card = scripted([
      [APDU.selectCertEf, '9000'],
      ['00B00000E7', '9000'],
    ]);
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
  });

  it('READ BINARY returning more than Le is card_data_invalid (first chunk)', async () => {
    const card = efCard(derSequence(596), { overRead: { index: 0, extra: 1 } });
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
  });

  it('READ BINARY returning more than Le is card_data_invalid (last, shorter chunk)', async () => {
    const card = efCard(derSequence(596), { overRead: { index: 2, extra: 0x10 } });
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
    assert.equal(card.sent.at(-1), '00B001CE8A');
  });

  it('a file not starting with a DER SEQUENCE is card_data_invalid', async () => {
    const card = efCard(Buffer.concat([h('04820100'), Buffer.alloc(256)]));
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('card_data_invalid'));
  });

  it('SELECT EF answering 6A82 is reference_not_found', async () => {
    const card = scripted([[APDU.selectCertEf, '6A82']]);
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('reference_not_found', 0x6a82));
  });

  it('READ BINARY answering 6982 is unexpected_status carrying the SW', async () => {
    const card = scripted([
      [APDU.selectCertEf, '9000'],
      ['00B00000E7', '6982'],
    ]);
    await assert.rejects(readAuthenticationCertificate(card), isIasEcc('unexpected_status', 0x6982));
  });
});

describe('readPinStatus (§3.3 status form)', () => {
  it('sends the case-1 VERIFY 00 20 00 01 (no Lc, no data: no try spent)', async () => {
    const card = scripted([[APDU.verifyStatus, '63C3']]);
    assert.deepEqual(await readPinStatus(card), { status: 'needed', retriesLeft: 3 });
    assert.deepEqual(card.sent, [APDU.verifyStatus]);
  });

  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ['9000', { status: 'verified' }],
    ['63C2', { status: 'needed', retriesLeft: 2 }],
    ['63C1', { status: 'needed', retriesLeft: 1 }],
    ['63C0', { status: 'blocked' }],
    ['6983', { status: 'blocked' }],
  ];
  for (const [sw, expected] of cases) {
    it(`${sw} → ${JSON.stringify(expected)}`, async () => {
      assert.deepEqual(await readPinStatus(scripted([[APDU.verifyStatus, sw]])), expected);
    });
  }

  for (const sw of ['6A88', '6984']) {
    it(`${sw} → reference_not_found`, async () => {
      await assert.rejects(readPinStatus(scripted([[APDU.verifyStatus, sw]])), isIasEcc('reference_not_found', Number.parseInt(sw, 16)));
    });
  }

  it('6700 → unexpected_status', async () => {
    await assert.rejects(readPinStatus(scripted([[APDU.verifyStatus, '6700']])), isIasEcc('unexpected_status', 0x6700));
  });
});

describe('verifyPin (§3.3)', () => {
  it('sends 00 20 00 01 08 31 32 33 34 FF FF FF FF; 9000 → ok', async () => {
    const card = scripted([[APDU.verify1234, '9000']]);
    assert.deepEqual(await verifyPin(card, Buffer.from('1234')), { status: 'ok' });
    assert.deepEqual(card.sent, [APDU.verify1234]);
  });

  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ['63C2', { status: 'wrong', retriesLeft: 2 }],
    ['63C1', { status: 'wrong', retriesLeft: 1 }],
    ['63C0', { status: 'blocked' }],
    ['6983', { status: 'blocked' }],
  ];
  for (const [sw, expected] of cases) {
    it(`${sw} → ${JSON.stringify(expected)}`, async () => {
      assert.deepEqual(await verifyPin(scripted([[APDU.verify1234, sw]]), Buffer.from('1234')), expected);
    });
  }

  it('6A88 → reference_not_found; 6700 → unexpected_status', async () => {
    await assert.rejects(verifyPin(scripted([[APDU.verify1234, '6A88']]), Buffer.from('1234')), isIasEcc('reference_not_found', 0x6a88));
    await assert.rejects(verifyPin(scripted([[APDU.verify1234, '6700']]), Buffer.from('1234')), isIasEcc('unexpected_status', 0x6700));
  });

  for (const bad of ['123', '12345', '12a4', '', '12 4']) {
    it(`refuses the malformed PIN ${JSON.stringify(bad)} before sending anything`, async () => {
      const card = scripted([]);
      assert.equal(isWellFormedPin(Buffer.from(bad)), false);
      await assert.rejects(verifyPin(card, Buffer.from(bad)), RangeError);
      assert.deepEqual(card.sent, []);
    });
  }

  it('isWellFormedPin accepts exactly 4 ASCII digits', () => {
    assert.equal(isWellFormedPin(Buffer.from('0000')), true);
    assert.equal(isWellFormedPin(Buffer.from('9876')), true);
    assert.equal(isWellFormedPin(Buffer.from([0x30, 0x31, 0x32, 0x2f])), false);
    assert.equal(isWellFormedPin(Buffer.from([0x30, 0x31, 0x32, 0x3a])), false);
  });

  for (const sw of ['9000', '63C2', '6A88']) {
    it(`the padded PIN block and the APDU that carried it are zeroed once verifyPin returns (card answers ${sw})`, async (t) => {
      const alloc = t.mock.method(Buffer, 'alloc');
      let pinBlock: Buffer | undefined;
      const card = new FakeChannel((apdu) => {
        assert.equal(up(apdu), APDU.verify1234, 'the copy made inside the fake holds the PIN block');
        // Find the 8-byte block verifyPin built, among the Buffers allocated so far.
        const allocated: unknown[] = alloc.mock.calls.map((c) => c.result);
        pinBlock = allocated.find((b): b is Buffer => Buffer.isBuffer(b) && b.length === 8 && up(b) === '31323334FFFFFFFF');
        return h(sw);
      });
      const pin = Buffer.from('1234');
      await verifyPin(card, pin).catch((e: unknown) => {
        assert.ok(e instanceof IasEccError);
      });
      alloc.mock.restore();
      assert.equal(card.received.length, 1);
      const sent = card.received[0];
      assert.ok(sent);
      assert.equal(sent.length, 13);
      assert.ok(sent.every((b) => b === 0), `APDU wiped, got ${up(sent)}`);
      assert.ok(pinBlock, 'the PIN block was observed');
      assert.ok(pinBlock.every((b) => b === 0), `PIN block wiped, got ${up(pinBlock)}`);
      assert.equal(pin.toString(), '1234', "the caller's PIN is the caller's to wipe");
    });
  }
});

describe('sha256DigestInfo (RFC 8017 §9.2)', () => {
  it('is the 19-byte RFC 8017 prefix followed by SHA-256 of the message (51 bytes)', () => {
    const msg = Buffer.from('abc');
    const di = sha256DigestInfo(msg);
    assert.equal(di.length, 51);
    assert.equal(
      di.toString('hex'),
      RFC8017_SHA256_PREFIX + 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('matches node:crypto for a 32-byte challenge', () => {
    const challenge = Buffer.alloc(32, 0xa5);
    assert.equal(sha256DigestInfo(challenge).toString('hex'), RFC8017_SHA256_PREFIX + createHash('sha256').update(challenge).digest('hex'));
  });
});

describe('signChallenge (§3.4)', () => {
  const challenge = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
  const internalAuthenticate = '0088000033' + (RFC8017_SHA256_PREFIX + createHash('sha256').update(challenge).digest('hex')).toUpperCase() + '00';
  const signature = Buffer.alloc(256, 0x5a);

  it('sends MSE SET 00 22 41 A4 06 84 01 82 80 01 02 then INTERNAL AUTHENTICATE 00 88 00 00 33 <DigestInfo> 00', async () => {
    const card = scripted([
      [APDU.mseSetAt, '9000'],
      [internalAuthenticate, answer(signature, '9000')],
    ]);
    assert.deepEqual(await signChallenge(card, challenge), signature);
    assert.deepEqual(card.sent, [APDU.mseSetAt, internalAuthenticate]);
  });

  it('fetches a T=0-style 61 00 answer with GET RESPONSE 00 C0 00 00 00', async () => {
    const card = scripted([
      [APDU.mseSetAt, '9000'],
      [internalAuthenticate, '6100'],
      ['00C0000000', answer(signature, '9000')],
    ]);
    assert.deepEqual(await signChallenge(card, challenge), signature);
  });

  it('MSE answering 6A88 → reference_not_found; 6A80 → unexpected_status', async () => {
    await assert.rejects(signChallenge(scripted([[APDU.mseSetAt, '6A88']]), challenge), isIasEcc('reference_not_found', 0x6a88));
    await assert.rejects(signChallenge(scripted([[APDU.mseSetAt, '6A80']]), challenge), isIasEcc('unexpected_status', 0x6a80));
  });

  it('INTERNAL AUTHENTICATE answering 6982 (PIN not verified) → unexpected_status 6982', async () => {
    const card = scripted([
      [APDU.mseSetAt, '9000'],
      [internalAuthenticate, '6982'],
    ]);
    await assert.rejects(signChallenge(card, challenge), isIasEcc('unexpected_status', 0x6982));
  });

  it('an empty or over-long signature is card_data_invalid', async () => {
    await assert.rejects(
      signChallenge(scripted([[APDU.mseSetAt, '9000'], [internalAuthenticate, '9000']]), challenge),
      isIasEcc('card_data_invalid'),
    );
    await assert.rejects(
      signChallenge(scripted([[APDU.mseSetAt, '9000'], [internalAuthenticate, answer(Buffer.alloc(513, 1), '9000')]]), challenge),
      isIasEcc('card_data_invalid'),
    );
  });
});
