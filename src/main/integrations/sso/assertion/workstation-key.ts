/**
 * The workstation key: an ECDSA P-256 key pair the agent generates on its first start and keeps
 * in `<dir>/workstation-key.pem` (PKCS#8, 0600, folder 0700). Its public key is enrolled at the
 * provider (configuration); proofs and logout notices are signed with it. The PEM bytes read
 * from disk are wiped once imported; the key then lives only as a Node `KeyObject`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { SsoError } from '../sso-error.js';
import { ensurePrivateDir, readPrivateFile, writePrivateFileOnce } from './key-files.js';

export const WORKSTATION_KEY_FILE = 'workstation-key.pem';

export interface WorkstationKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK (kty, crv, x, y) with `kid`. */
  readonly publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key (SHA-256, base64url): the `kid` of every message. */
  readonly kid: string;
  /** SPKI PEM of the public key, what IT enrols at the provider. */
  readonly publicPem: string;
  /** Where the private key is. */
  readonly file: string;
}

/** Public JWK and thumbprint of a P-256 public key. */
export async function describePublicKey(publicKey: KeyObject): Promise<{ jwk: JWK; kid: string }> {
  const raw = publicKey.export({ format: 'jwk' });
  if (raw.kty !== 'EC' || raw.crv !== 'P-256' || typeof raw.x !== 'string' || typeof raw.y !== 'string') {
    throw new SsoError('sso_config_invalid', 'workstation keys must be ECDSA P-256', { reason: 'unsupported_key' });
  }
  const base = { kty: 'EC', crv: 'P-256', x: raw.x, y: raw.y };
  const kid = await calculateJwkThumbprint(base, 'sha256');
  return { jwk: { ...base, kid, alg: 'ES256', use: 'sig' }, kid };
}

/** Loads the key from `dir`, generating it on first use. Insecure permissions are `sso_key_storage_insecure`. */
export async function loadOrCreateWorkstationKey(dir: string): Promise<WorkstationKey> {
  await ensurePrivateDir(dir);
  const file = join(dir, WORKSTATION_KEY_FILE);
  let pem = await readPrivateFile(file);
  if (!pem) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const fresh = Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await writePrivateFileOnce(file, fresh);
    fresh.fill(0);
    pem = await readPrivateFile(file);
    if (!pem) throw new SsoError('sso_key_storage_insecure', `${file}: vanished after creation`, { reason: 'not a regular file' });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new SsoError('sso_config_invalid', `${file}: not a PKCS#8 private key`, { reason: 'unreadable_key', cause: e });
  } finally {
    pem.fill(0);
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SsoError('sso_config_invalid', `${file}: the workstation key must be ECDSA P-256`, { reason: 'unsupported_key' });
  }
  const publicKey = createPublicKey(privateKey);
  const { jwk, kid } = await describePublicKey(publicKey);
  return { privateKey, publicKey, publicJwk: jwk, kid, publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), file };
}
