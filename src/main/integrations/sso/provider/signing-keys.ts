/**
 * The provider's secrets, generated on the first start and kept in `keysDir` (0700):
 * `signing-keys.json` — the private JWKS that signs ID tokens (RS256, the OIDC default, and
 * ES256), and `cookie-keys.json` — the keys that sign the provider's cookies. Both 0600; a
 * folder or file others could read is refused (`sso_key_storage_insecure`).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { z } from 'zod';
import { ensurePrivateDir, readPrivateFile, writePrivateFileOnce } from '../assertion/key-files.js';
import { SsoError } from '../sso-error.js';

export const SIGNING_KEYS_FILE = 'signing-keys.json';
export const COOKIE_KEYS_FILE = 'cookie-keys.json';

/** A private JWK as oidc-provider takes it (string members only). */
export type PrivateJwk = Readonly<Record<string, string>>;

export interface ProviderSecrets {
  readonly jwks: { readonly keys: readonly PrivateJwk[] };
  readonly cookieKeys: readonly string[];
}

const jwksFile = z.strictObject({ keys: z.array(z.record(z.string(), z.string())).min(1).max(16) });
const cookieFile = z.strictObject({ keys: z.array(z.string().min(32)).min(1).max(16) });

async function privateJwk(key: KeyObject, alg: string): Promise<PrivateJwk> {
  const jwk = key.export({ format: 'jwk' });
  const pub: Record<string, string> = {};
  for (const k of ['kty', 'crv', 'x', 'y', 'n', 'e'] as const) {
    const v = jwk[k];
    if (typeof v === 'string') pub[k] = v;
  }
  const kid = await calculateJwkThumbprint(pub as { kty: string }, 'sha256');
  const out: Record<string, string> = { kid, alg, use: 'sig' };
  for (const [k, v] of Object.entries(jwk)) if (typeof v === 'string') out[k] = v;
  return out;
}

async function readOrCreate<T>(file: string, schema: z.ZodType<T>, create: () => Promise<T>): Promise<T> {
  let bytes = await readPrivateFile(file);
  if (!bytes) {
    const fresh = Buffer.from(JSON.stringify(await create()), 'utf8');
    await writePrivateFileOnce(file, fresh);
    fresh.fill(0);
    bytes = await readPrivateFile(file);
    if (!bytes) throw new SsoError('sso_key_storage_insecure', `${file}: vanished after creation`, { reason: 'not a regular file' });
  }
  try {
    const r = schema.safeParse(JSON.parse(bytes.toString('utf8')));
    if (!r.success) throw new SsoError('sso_config_invalid', `${file}: unexpected content`, { reason: file });
    return r.data;
  } catch (e) {
    if (e instanceof SsoError) throw e;
    throw new SsoError('sso_config_invalid', `${file}: not JSON`, { reason: file, cause: e });
  } finally {
    bytes.fill(0);
  }
}

export async function loadOrCreateProviderSecrets(dir: string): Promise<ProviderSecrets> {
  await ensurePrivateDir(dir);
  const jwks = await readOrCreate(join(dir, SIGNING_KEYS_FILE), jwksFile, async () => ({
    keys: [
      await privateJwk(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256'),
      await privateJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256'),
    ],
  }));
  const cookies = await readOrCreate(join(dir, COOKIE_KEYS_FILE), cookieFile, () =>
    Promise.resolve({ keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')] }),
  );
  return { jwks, cookieKeys: cookies.keys };
}
