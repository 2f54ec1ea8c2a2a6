/**
 * PIN/UV auth protocols one and two, platform side (CTAP 2.1 §6.5.6 and §6.5.7).
 *
 * Both use an ephemeral ECDH P-256 key agreement with the authenticator's COSE key
 * (alg −25, ECDH-ES+HKDF-256); they differ in the key derivation, the encryption and the
 * length of the authentication tag:
 * - protocol 1: shared secret = SHA-256(Z); AES-256-CBC with an all-zero IV; HMAC-SHA-256
 *   truncated to its first 16 bytes;
 * - protocol 2: HKDF-SHA-256(salt = 32 zero bytes, Z) with info "CTAP2 HMAC key" then
 *   "CTAP2 AES key" (64 bytes: HMAC key ‖ AES key); AES-256-CBC with a random IV sent in front
 *   of the ciphertext; full 32-byte HMAC (keyed with the HMAC half of the shared secret, or
 *   with the whole pinUvAuthToken).
 * CTAP messages are block-aligned, so the cipher runs without padding.
 */
import { createCipheriv, createDecipheriv, createECDH, createHmac, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Ctap2Error } from './ctap2-error.js';
import { cborMap, isBytes, isInt, field, type CborMap } from './cbor.js';

/** COSE parameters of the key-agreement key (CTAP 2.1 §6.5.6 getPublicKey). */
export const COSE_ECDH_ES_HKDF_256 = -25;

export interface PinUvAuthProtocol {
  readonly version: 1 | 2;
  /** Derives the shared secret from Z (the x-coordinate of the ECDH point). */
  kdf(z: Buffer): Buffer;
  encrypt(key: Buffer, plaintext: Buffer): Buffer;
  decrypt(key: Buffer, ciphertext: Buffer): Buffer;
  /** pinUvAuthParam for `message` under `key` (shared secret or pinUvAuthToken). */
  authenticate(key: Buffer, message: Buffer): Buffer;
}

const ZERO_IV = Buffer.alloc(16);

function aesCbc(encrypt: boolean, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  if (key.length !== 32) throw new Ctap2Error('invalid_argument', 'AES-256 key must be 32 bytes');
  if (data.length % 16 !== 0) throw new Ctap2Error('invalid_response', 'AES-CBC data is not a whole number of blocks');
  const c = encrypt ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export const PIN_UV_AUTH_PROTOCOL_1: PinUvAuthProtocol = {
  version: 1,
  kdf: (z) => createHash('sha256').update(z).digest(),
  encrypt: (key, pt) => aesCbc(true, key, ZERO_IV, pt),
  decrypt: (key, ct) => aesCbc(false, key, ZERO_IV, ct),
  authenticate: (key, msg) => createHmac('sha256', key).update(msg).digest().subarray(0, 16),
};

const HKDF_SALT = Buffer.alloc(32);

export const PIN_UV_AUTH_PROTOCOL_2: PinUvAuthProtocol = {
  version: 2,
  kdf: (z) =>
    Buffer.concat([
      Buffer.from(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 HMAC key', 32)),
      Buffer.from(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 AES key', 32)),
    ]),
  encrypt: (key, pt) => {
    const iv = randomBytes(16);
    return Buffer.concat([iv, aesCbc(true, aesKey2(key), iv, pt)]);
  },
  decrypt: (key, ct) => {
    if (ct.length < 16) throw new Ctap2Error('invalid_response', 'protocol 2 ciphertext shorter than its IV');
    return aesCbc(false, aesKey2(key), ct.subarray(0, 16), ct.subarray(16));
  },
  authenticate: (key, msg) => createHmac('sha256', key.length === 64 ? key.subarray(0, 32) : key).update(msg).digest(),
};

/** Protocol 2's shared secret is HMAC key ‖ AES key; a 32-byte key is used as is. */
function aesKey2(key: Buffer): Buffer {
  return key.length === 64 ? key.subarray(32) : key;
}

export function pinUvAuthProtocol(version: number): PinUvAuthProtocol {
  if (version === 1) return PIN_UV_AUTH_PROTOCOL_1;
  if (version === 2) return PIN_UV_AUTH_PROTOCOL_2;
  throw new Ctap2Error('unsupported_pin_protocol', `PIN/UV auth protocol ${version} is not supported`);
}

export interface KeyAgreement {
  /** The platform's COSE public key to send as keyAgreement (0x03). */
  readonly platformKey: CborMap;
  /** Shared secret, to be wiped by the caller after use. */
  readonly sharedSecret: Buffer;
}

/**
 * Platform side of `encapsulate` (§6.5.6): a fresh P-256 key pair, ECDH with the
 * authenticator's key-agreement key, KDF of the x-coordinate.
 */
export function encapsulate(protocol: PinUvAuthProtocol, authenticatorKey: CborMap): KeyAgreement {
  const x = field(authenticatorKey, -2, 'keyAgreement', isBytes);
  const y = field(authenticatorKey, -3, 'keyAgreement', isBytes);
  const kty = field(authenticatorKey, 1, 'keyAgreement', isInt);
  const crv = field(authenticatorKey, -1, 'keyAgreement', isInt);
  if (kty !== 2 || crv !== 1 || x.length !== 32 || y.length !== 32) {
    throw new Ctap2Error('invalid_response', 'keyAgreement is not an EC2 P-256 key');
  }
  const ecdh = createECDH('prime256v1');
  const pub = ecdh.generateKeys();
  let z: Buffer;
  try {
    z = ecdh.computeSecret(Buffer.concat([Buffer.from([0x04]), x, y]));
  } catch (e) {
    throw new Ctap2Error('invalid_response', 'keyAgreement point is not on P-256', { cause: e });
  }
  try {
    const sharedSecret = protocol.kdf(z);
    const platformKey = cborMap([
      [1, 2],
      [3, COSE_ECDH_ES_HKDF_256],
      [-1, 1],
      [-2, pub.subarray(1, 33)],
      [-3, pub.subarray(33, 65)],
    ]);
    return { platformKey, sharedSecret };
  } finally {
    z.fill(0);
  }
}

/** newPin padded with zeros to 64 bytes (§6.5.5.5); PIN of 4..63 bytes of UTF-8. */
export function padPin(pin: Buffer): Buffer {
  if (pin.length < 4 || pin.length > 63) throw new Ctap2Error('invalid_pin', 'a FIDO2 PIN is 4 to 63 bytes');
  const out = Buffer.alloc(64);
  pin.copy(out);
  return out;
}

/** LEFT(SHA-256(PIN), 16) as sent in pinHashEnc. */
export function pinHash(pin: Buffer): Buffer {
  const digest = createHash('sha256').update(pin).digest();
  const left = Buffer.from(digest.subarray(0, 16));
  digest.fill(0);
  return left;
}
