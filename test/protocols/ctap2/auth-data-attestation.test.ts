/**
 * authenticatorData parsing (WebAuthn L2 §6.1), attestation statements (packed self, packed
 * x5c, none, others unsupported), assertion verification, and the status table. Vectors are
 * built here byte by byte; the parser is fuzzed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, KeyObject, sign, webcrypto } from 'node:crypto';
import fc from 'fast-check';
import {
  parseAuthenticatorData, verifyAttestation, verifyAssertion, parseCoseKey, encodeCbor, ctapStatusName, CTAP_STATUS, Ctap2Error, AUTH_DATA_FLAG,
  type CborMap, type CosePublicKey,
} from '../../../src/main/protocols/ctap2/index.js';
import { x509 } from '../../testbed/pki/test-pki.js';

const RP = 'tessera.local';
const rpHash = createHash('sha256').update(RP).digest();

function p256(): { priv: KeyObject; cose: CborMap; key: CosePublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = new Map<number, number | Buffer>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]);
  return { priv: privateKey, cose, key: parseCoseKey(cose) };
}

function authData(flags: number, count: number, attested?: { aaguid: Buffer; id: Buffer; cose: CborMap }, ext?: CborMap): Buffer {
  const head = Buffer.alloc(37);
  rpHash.copy(head);
  head[32] = flags;
  head.writeUInt32BE(count, 33);
  const parts: Buffer[] = [head];
  if (attested) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(attested.id.length);
    parts.push(attested.aaguid, len, attested.id, encodeCbor(attested.cose));
  }
  if (ext) parts.push(encodeCbor(ext));
  return Buffer.concat(parts);
}

const AAGUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('authenticatorData', () => {
  it('parses rpIdHash, flags, counter, attested credential data and extensions', () => {
    const k = p256();
    const id = Buffer.alloc(48, 7);
    const raw = authData(0x01 | 0x04 | 0x40 | 0x80, 0x01020304, { aaguid: AAGUID, id, cose: k.cose }, new Map([['credProtect', 2]]));
    const ad = parseAuthenticatorData(raw);
    assert.deepEqual(ad.rpIdHash, rpHash);
    assert.deepEqual({ ...ad.flags }, { up: true, uv: true, be: false, bs: false, at: true, ed: true, byte: 0xc5 });
    assert.equal(ad.signCount, 0x01020304);
    assert.deepEqual(ad.attestedCredentialData?.aaguid, AAGUID);
    assert.deepEqual(ad.attestedCredentialData?.credentialId, id);
    assert.deepEqual(ad.attestedCredentialData?.publicKeyCbor, encodeCbor(k.cose));
    assert.equal(ad.extensions?.get('credProtect'), 2);
  });

  it('refuses truncated data, zero-length ids, trailing bytes and bad keys', () => {
    const k = p256();
    const good = authData(0x45, 1, { aaguid: AAGUID, id: Buffer.alloc(16, 1), cose: k.cose });
    for (const bad of [
      good.subarray(0, 36),
      good.subarray(0, 37 + 10),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      authData(0x45, 1, { aaguid: AAGUID, id: Buffer.alloc(0), cose: k.cose }),
      Buffer.concat([authData(0x41, 1), AAGUID, Buffer.from([0xff, 0xff]), Buffer.alloc(20)]),
      Buffer.concat([authData(0x41, 1), AAGUID, Buffer.from([0, 1, 9]), Buffer.from('83010203', 'hex')]),
      Buffer.concat([authData(0x81, 1), Buffer.from('80', 'hex')]),
    ]) {
      assert.throws(() => parseAuthenticatorData(bad), (e: unknown) => e instanceof Ctap2Error && e.code === 'invalid_auth_data');
    }
  });

  it('never throws anything but Ctap2Error on random input (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.integer({ min: 0, max: 255 }), (body, flags) => {
        const raw = Buffer.from(body);
        if (raw.length > 32) raw[32] = flags;
        try {
          parseAuthenticatorData(raw);
        } catch (e) {
          if (!(e instanceof Ctap2Error)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('attestation statements', () => {
  const cdh = createHash('sha256').update('clientData').digest();

  it('packed self attestation: signature by the credential key, same alg', () => {
    const k = p256();
    const raw = authData(0x45, 0, { aaguid: AAGUID, id: Buffer.alloc(32, 2), cose: k.cose });
    const ad = parseAuthenticatorData(raw);
    const sig = sign('sha256', Buffer.concat([raw, cdh]), k.priv);
    assert.deepEqual(verifyAttestation('packed', new Map<string, number | Buffer>([['alg', -7], ['sig', sig]]), ad, cdh, k.key), { fmt: 'packed', type: 'self' });
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer>([['alg', -8], ['sig', sig]]), ad, cdh, k.key), { code: 'invalid_attestation' });
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer>([['alg', -7], ['sig', sig]]), ad, Buffer.alloc(32), k.key), { code: 'invalid_attestation' });
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer>([['alg', -7]]), ad, cdh, k.key), { code: 'invalid_attestation' });
  });

  it('packed x5c (basic) attestation: signature by the certificate, which must not be a CA and carry OU=Authenticator Attestation', async () => {
    const k = p256();
    const raw = authData(0x45, 0, { aaguid: AAGUID, id: Buffer.alloc(32, 3), cose: k.cose });
    const ad = parseAuthenticatorData(raw);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const make = async (ou: string, ca: boolean): Promise<Buffer> => {
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01', name: `C=FR, O=Tessera Test, OU=${ou}, CN=Test Key`, notBefore: new Date(Date.now() - 86400e3), notAfter: new Date(Date.now() + 86400e3),
        keys, signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(ca, undefined, true)],
      });
      return Buffer.from(cert.rawData);
    };
    const sig = sign('sha256', Buffer.concat([raw, cdh]), KeyObject.from(keys.privateKey));
    const good = await make('Authenticator Attestation', false);
    const res = verifyAttestation('packed', new Map<string, number | Buffer | Buffer[]>([['alg', -7], ['sig', sig], ['x5c', [good]]]), ad, cdh, k.key);
    assert.equal(res.type, 'basic');
    assert.deepEqual(res.x5c, [good]);
    const wrongOu = await make('Other', false);
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer | Buffer[]>([['alg', -7], ['sig', sig], ['x5c', [wrongOu]]]), ad, cdh, k.key), { code: 'invalid_attestation' });
    const isCa = await make('Authenticator Attestation', true);
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer | Buffer[]>([['alg', -7], ['sig', sig], ['x5c', [isCa]]]), ad, cdh, k.key), { code: 'invalid_attestation' });
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer | Buffer[]>([['alg', -7], ['sig', sig], ['x5c', [Buffer.from('garbage')]]]), ad, cdh, k.key), { code: 'invalid_attestation' });
    const other = sign('sha256', Buffer.concat([raw, Buffer.alloc(32)]), KeyObject.from(keys.privateKey));
    assert.throws(() => verifyAttestation('packed', new Map<string, number | Buffer | Buffer[]>([['alg', -7], ['sig', other], ['x5c', [good]]]), ad, cdh, k.key), { code: 'invalid_attestation' });
  });

  it('none with an empty statement; other formats are unsupported, not crashes', () => {
    const k = p256();
    const ad = parseAuthenticatorData(authData(0x45, 0, { aaguid: AAGUID, id: Buffer.alloc(16, 1), cose: k.cose }));
    assert.deepEqual(verifyAttestation('none', new Map(), ad, cdh, k.key), { fmt: 'none', type: 'none' });
    assert.throws(() => verifyAttestation('none', new Map([['x', 1]]), ad, cdh, k.key), { code: 'invalid_attestation' });
    for (const fmt of ['fido-u2f', 'tpm', 'android-key', 'apple', 'android-safetynet', '']) {
      assert.throws(() => verifyAttestation(fmt, new Map([['sig', Buffer.alloc(8)]]), ad, cdh, k.key), { code: 'unsupported_attestation' });
    }
  });
});

describe('assertion verification', () => {
  const k = p256();
  const cdh = createHash('sha256').update('get').digest();
  const signed = (flags: number, count: number): { authData: Buffer; signature: Buffer } => {
    const raw = authData(flags, count);
    return { authData: raw, signature: sign('sha256', Buffer.concat([raw, cdh]), k.priv) };
  };
  const check = (a: { authData: Buffer; signature: Buffer }, stored: number) =>
    verifyAssertion({ ...a, clientDataHash: cdh, rpId: RP, credentialKey: k.key, storedSignCount: stored });

  it('accepts UP+UV with a counter moving forward, and both counters at zero (no counter)', () => {
    assert.equal(check(signed(AUTH_DATA_FLAG.UP | AUTH_DATA_FLAG.UV, 5), 4).signCount, 5);
    assert.equal(check(signed(0x05, 0), 0).signCount, 0);
  });

  it('refuses missing UV, missing UP, another rpId, and a counter that does not move forward', () => {
    assert.throws(() => check(signed(0x01, 5), 4), { code: 'user_verification_missing' });
    assert.throws(() => check(signed(0x04, 5), 4), { code: 'user_presence_missing' });
    assert.throws(() => check(signed(0x05, 4), 4), { code: 'possible_clone' });
    assert.throws(() => check(signed(0x05, 0), 7), { code: 'possible_clone' });
    const a = signed(0x05, 9);
    assert.throws(() => verifyAssertion({ ...a, clientDataHash: cdh, rpId: 'evil.example', credentialKey: k.key, storedSignCount: 0 }), { code: 'rp_id_mismatch' });
    const tampered = Buffer.from(a.authData);
    tampered[36] = 0xff;
    assert.throws(() => check({ authData: tampered, signature: a.signature }, 0), { code: 'bad_signature' });
  });
});

describe('status codes', () => {
  it('names the spec table codes and keeps unknown ones representable', () => {
    assert.equal(ctapStatusName(0x31), 'CTAP2_ERR_PIN_INVALID');
    assert.equal(ctapStatusName(CTAP_STATUS.CTAP2_ERR_UNAUTHORIZED_PERMISSION), 'CTAP2_ERR_UNAUTHORIZED_PERMISSION');
    assert.equal(ctapStatusName(0x00), 'CTAP1_ERR_SUCCESS');
    assert.equal(ctapStatusName(0x38), 'CTAP_STATUS_UNKNOWN');
    assert.equal(ctapStatusName(0xe5), 'CTAP2_ERR_EXTENSION');
    assert.equal(ctapStatusName(0xf5), 'CTAP2_ERR_VENDOR');
    const e = Ctap2Error.fromStatus(0x99, 'authenticatorGetAssertion');
    assert.equal(e.status, 0x99);
    assert.match(e.message, /CTAP_STATUS_UNKNOWN \(0x99\)/);
  });
});
