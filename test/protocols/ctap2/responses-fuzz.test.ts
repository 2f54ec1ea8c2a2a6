/**
 * Every CTAP2 answer parser against hostile authenticators: random bytes, and well-formed CBOR
 * maps with random keys and values where the parser expects structure. Only `Ctap2Error` may
 * come out, never a TypeError, RangeError or hang.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CtapTransport } from '../../../src/main/transports/ctap/ctap-transport.js';
import {
  Ctap2Device, Ctap2Error, ClientPin, getInfo, getAssertion, makeCredential, encodeCbor, pinUvAuthProtocol, type CborValue,
} from '../../../src/main/protocols/ctap2/index.js';

class ScriptedTransport implements CtapTransport {
  readonly uri = 'scripted:';
  constructor(private readonly answer: () => Buffer) {}
  async cbor(): Promise<Buffer> { return this.answer(); }
  async close(): Promise<void> {}
}

const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b)),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.array(fc.tuple(fc.oneof(fc.integer({ min: -4, max: 16 }), fc.constantFrom('id', 'type', 'alg', 'x')), tie('v')), { maxLength: 6 }).map((es) => new Map(es)),
  ),
})).v;
const answerMap = fc.array(fc.tuple(fc.integer({ min: 1, max: 16 }), value), { maxLength: 8 }).map((es) => Buffer.concat([Buffer.from([0]), encodeCbor(new Map(es))]));
const anyAnswer = fc.oneof(answerMap, fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)));

async function onlyCtap2Errors(run: (dev: Ctap2Device) => Promise<unknown>, answer: Buffer): Promise<void> {
  try {
    await run(new Ctap2Device(new ScriptedTransport(() => answer)));
  } catch (e) {
    if (!(e instanceof Ctap2Error)) throw e;
  }
}

describe('CTAP2 answers from a hostile authenticator', () => {
  const cdh = Buffer.alloc(32, 1);
  const runs: Array<[string, (dev: Ctap2Device) => Promise<unknown>]> = [
    ['getInfo', (dev) => getInfo(dev)],
    ['getAssertion', (dev) => getAssertion(dev, { rpId: 'r', clientDataHash: cdh, allowList: [Buffer.alloc(16)] })],
    ['makeCredential', (dev) => makeCredential(dev, { clientDataHash: cdh, rp: { id: 'r' }, user: { id: Buffer.from('u') }, algorithms: [-7] })],
    ['getRetries', (dev) => new ClientPin(dev, pinUvAuthProtocol(2)).getRetries()],
    ['getPinToken', (dev) => new ClientPin(dev, pinUvAuthProtocol(1)).getPinToken(Buffer.from('1234'))],
    ['getPinUvAuthTokenUsingUvWithPermissions', (dev) => new ClientPin(dev, pinUvAuthProtocol(2)).getPinUvAuthTokenUsingUvWithPermissions(2, 'r')],
  ];
  for (const [name, run] of runs) {
    it(`${name}: only Ctap2Error`, async () => {
      await fc.assert(fc.asyncProperty(anyAnswer, (a) => onlyCtap2Errors(run, a)), { numRuns: 400 });
    });
  }

  it('a non-zero status is a ctap_status error carrying the byte, whatever follows', async () => {
    await assert.rejects(getInfo(new Ctap2Device(new ScriptedTransport(() => Buffer.from([0x31, 0xa0])))), (e: unknown) => e instanceof Ctap2Error && e.code === 'ctap_status' && e.status === 0x31);
    await assert.rejects(getInfo(new Ctap2Device(new ScriptedTransport(() => Buffer.alloc(0)))), { code: 'invalid_response' });
    await assert.rejects(getInfo(new Ctap2Device(new ScriptedTransport(() => Buffer.from([0])))), { code: 'invalid_response' });
  });
});
