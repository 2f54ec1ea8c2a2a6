/**
 * Fuzz targets for what a FIDO2 authenticator sends: CTAPHID reports (sequence, lengths,
 * channels), CTAP2 CBOR, authenticator data and COSE keys.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  AUTH_DATA_FLAG,
  Ctap2Device,
  Ctap2Error,
  getAssertion,
  getInfo,
  makeCredential,
  type Ctap2ErrorCode,
  decodeCbor,
  encodeCbor,
  parseAuthenticatorData,
  parseCoseKey,
  type CborValue,
} from '../../../src/main/protocols/ctap2/index.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import type { CtapTransport } from '../../../src/main/transports/ctap/ctap-transport.js';
import {
  CTAPHID_CMD,
  encodeMessage,
  HID_REPORT_SIZE,
  MAX_MESSAGE_SIZE,
  MessageAssembler,
  parseInitResponse,
} from '../../../src/main/transports/ctap/ctaphid-frames.js';
import { defaultArbitrary, expected, mutationsOf, typed, typedAsync, type FuzzTarget } from '../harness.js';

export const FUZZ_CID = 0x0badcafe;

/** Reports from the input: 64-byte slices (last one zero-padded); a flag byte may force our channel id. */
export function reportsOf(input: Buffer): Buffer[] {
  const reports: Buffer[] = [];
  for (let pos = 0; pos < input.length && reports.length < 200; pos += HID_REPORT_SIZE) {
    const r = Buffer.alloc(HID_REPORT_SIZE);
    input.copy(r, 0, pos, pos + HID_REPORT_SIZE);
    // most reports are on our channel, or the assembler would see little but `other_channel`
    if ((r[4] ?? 0) & 0x40 || reports.length % 3 !== 2) r.writeUInt32BE(FUZZ_CID, 0);
    reports.push(r);
  }
  return reports;
}

const CTAPHID_ERRORS = [expected(CtapTransportError, ['invalid_frame', 'message_too_long'])];

export const ctaphidTarget: FuzzTarget = {
  name: 'ctaphid-reports',
  description: 'CTAPHID reassembly: init/continuation packets, sequence numbers, announced lengths, foreign channels; INIT response parsing',
  runs: 2000,
  seeds: () => {
    const msg = Buffer.alloc(300, 0x5c);
    return Promise.resolve([
      Buffer.concat(encodeMessage(FUZZ_CID, CTAPHID_CMD.CBOR, msg)),
      Buffer.concat(encodeMessage(FUZZ_CID, CTAPHID_CMD.KEEPALIVE, Buffer.of(2))),
      Buffer.concat([...encodeMessage(FUZZ_CID, CTAPHID_CMD.CBOR, Buffer.alloc(130, 1)).reverse()]),
    ]);
  },
  arbitrary: (seeds) => defaultArbitrary(seeds, 64 * 12),
  check(input) {
    const assembler = new MessageAssembler(FUZZ_CID);
    for (const report of reportsOf(input)) {
      const r = typed(() => assembler.push(report), CTAPHID_ERRORS);
      if (!r.ok) {
        assert.equal(assembler.inProgress, false, 'assembler not reset after a framing error');
        continue;
      }
      const out = r.value;
      if (out.kind === 'message') {
        assert.ok(out.data.length <= MAX_MESSAGE_SIZE, `message of ${out.data.length} bytes`);
        assert.ok(out.cmd <= 0x7f);
        if (out.cmd === CTAPHID_CMD.INIT) typed(() => parseInitResponse(out.data), CTAPHID_ERRORS);
      }
      if (out.kind === 'other_channel') assert.notEqual(out.cid, FUZZ_CID);
    }
  },
};

const CBOR_ERRORS = [expected(Ctap2Error, ['invalid_cbor'])];

/** CTAP-shaped values: integer/text keys, byte strings, nested maps and arrays. */
export const cborValue: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -30, max: 30 }), fc.string({ maxLength: 8 })), tie('v')), { maxLength: 4, selector: ([k]) => k })
      .map((entries) => new Map(entries)),
  ),
})).v;

async function cborSeeds(): Promise<readonly Buffer[]> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = new Map<number, CborValue>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x ?? '', 'base64url')], [-3, Buffer.from(jwk.y ?? '', 'base64url')]]);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const coseEd = new Map<number, CborValue>([[1, 1], [3, -8], [-1, 6], [-2, Buffer.from(ed.x ?? '', 'base64url')]]);
  const info = new Map<number, CborValue>([[1, ['FIDO_2_0', 'FIDO_2_1']], [3, Buffer.alloc(16, 0xaa)], [4, new Map<string, CborValue>([['rk', true], ['clientPin', false]])], [6, [2, 1]]]);
  return [encodeCbor(cose), encodeCbor(coseEd), encodeCbor(info), encodeCbor([1, -1, 'x', Buffer.alloc(3), null, true])];
}

export const cborTarget: FuzzTarget = {
  name: 'ctap2-cbor',
  description: 'CTAP2 CBOR decoder (definite lengths, no tags, key types, duplicates, depth/item budgets, UTF-8) and COSE key import',
  runs: 3000,
  seeds: cborSeeds,
  check(input) {
    const r = typed(() => decodeCbor(input), CBOR_ERRORS);
    if (!r.ok || !(r.value instanceof Map)) return;
    typed(() => parseCoseKey(r.value as Map<number | string, CborValue>), [expected(Ctap2Error, ['invalid_cose_key', 'unsupported_cose_key'])]);
  },
};

async function authDataSeeds(): Promise<readonly Buffer[]> {
  const [cose] = await cborSeeds();
  const rp = Buffer.alloc(32, 0x11);
  const counter = Buffer.from('00000007', 'hex');
  const credId = Buffer.alloc(16, 0xc1);
  const attested = Buffer.concat([Buffer.alloc(16, 0xaa), Buffer.from([0, credId.length]), credId, cose ?? Buffer.alloc(0)]);
  const ext = encodeCbor(new Map<string, CborValue>([['credProtect', 2]]));
  return [
    Buffer.concat([rp, Buffer.of(AUTH_DATA_FLAG.UP | AUTH_DATA_FLAG.UV), counter]),
    Buffer.concat([rp, Buffer.of(AUTH_DATA_FLAG.UP | AUTH_DATA_FLAG.AT), counter, attested]),
    Buffer.concat([rp, Buffer.of(AUTH_DATA_FLAG.UP | AUTH_DATA_FLAG.AT | AUTH_DATA_FLAG.ED), counter, attested, ext]),
  ];
}

export const authDataTarget: FuzzTarget = {
  name: 'ctap2-auth-data',
  description: 'authenticator data: flags, attested credential data (lengths, embedded COSE key), extensions, trailing bytes',
  runs: 2000,
  seeds: authDataSeeds,
  arbitrary: (seeds) => fc.oneof({ arbitrary: mutationsOf(seeds), weight: 4 }, { arbitrary: defaultArbitrary([], 200), weight: 1 }),
  check(input) {
    const r = typed(() => parseAuthenticatorData(input), [expected(Ctap2Error, ['invalid_auth_data'])]);
    if (!r.ok) return;
    assert.equal(r.value.rpIdHash.length, 32);
    const cred = r.value.attestedCredentialData;
    if (cred) {
      assert.ok(cred.credentialId.length > 0 && cred.credentialId.length <= 1023);
      typed(() => parseCoseKey(cred.publicKey), [expected(Ctap2Error, ['invalid_cose_key', 'unsupported_cose_key'])]);
    }
  },
};

const CTAP2_CODES: readonly Ctap2ErrorCode[] = [
  'invalid_cbor', 'invalid_response', 'ctap_status', 'invalid_auth_data', 'invalid_cose_key', 'unsupported_cose_key', 'unsupported_attestation',
  'invalid_attestation', 'bad_signature', 'rp_id_mismatch', 'user_presence_missing', 'user_verification_missing', 'possible_clone', 'unsupported_pin_protocol',
];

/** An authenticator whose every answer is the input. */
function answering(answer: Buffer): Ctap2Device {
  const transport: CtapTransport = { uri: 'fuzz:', cbor: () => Promise.resolve(Buffer.from(answer)), close: () => Promise.resolve() };
  return new Ctap2Device(transport);
}

export const ctap2ResponsesTarget: FuzzTarget = {
  name: 'ctap2-responses',
  description: 'authenticatorGetInfo, authenticatorMakeCredential (attestation included) and authenticatorGetAssertion answers: status byte + CBOR map',
  runs: 1500,
  async seeds() {
    const [cose] = await cborSeeds();
    const [, attested] = await authDataSeeds();
    const info = encodeCbor(new Map<number, CborValue>([[1, ['FIDO_2_0']], [3, Buffer.alloc(16, 0xaa)], [4, new Map<string, CborValue>([['rk', true], ['clientPin', true]])], [6, [2, 1]]]));
    const mc = encodeCbor(new Map<number, CborValue>([[1, 'none'], [2, attested ?? Buffer.alloc(0)], [3, new Map()]]));
    const ga = encodeCbor(new Map<number, CborValue>([[1, new Map<string, CborValue>([['type', 'public-key'], ['id', Buffer.alloc(16, 0xc1)]])], [2, attested ?? Buffer.alloc(0)], [3, Buffer.alloc(70, 0x30)]]));
    return [Buffer.concat([Buffer.of(0, 0), info]), Buffer.concat([Buffer.of(1, 0), mc]), Buffer.concat([Buffer.of(2, 0), ga]), Buffer.concat([Buffer.of(0, 0), cose ?? Buffer.alloc(0)])];
  },
  async check(input) {
    const device = answering(input.subarray(1));
    const accepted = [expected(Ctap2Error, CTAP2_CODES)];
    const hash = Buffer.alloc(32, 7);
    switch ((input[0] ?? 0) % 3) {
      case 0:
        await typedAsync(() => getInfo(device), accepted);
        break;
      case 1:
        await typedAsync(() => makeCredential(device, { clientDataHash: hash, rp: { id: 'tessera.local' }, user: { id: Buffer.alloc(8, 1) }, algorithms: [-7, -8] }), accepted);
        break;
      default:
        await typedAsync(() => getAssertion(device, { rpId: 'tessera.local', clientDataHash: hash, allowList: [Buffer.alloc(16, 0xc1)] }), accepted);
    }
  },
};

export const CTAP_TARGETS: readonly FuzzTarget[] = [ctaphidTarget, cborTarget, authDataTarget, ctap2ResponsesTarget];
