/**
 * KMS configuration: a JSON file, validated field by field at start (an invalid or insecure
 * setting is a clear error naming the field, never a default).
 *
 *   file:   { "backend": "file", "masterKeys": [ { "aid": "F51230", "keyNo": 0, "key": "<32 hex>", "systemIdentifier": "<hex>" } ] }
 *   pkcs11: { "backend": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so", "tokenLabel": "tessera-kms",
 *             "pinEnv": "TESSERA_KMS_PIN",
 *             "masterKeys": [ { "aid": "F51230", "keyNo": 0, "keyLabel": "badge-f51230-0", "systemIdentifier": "<hex>" } ] }
 *
 * The PKCS#11 PIN is never in the file: `pinEnv` names the environment variable holding it
 * (default `TESSERA_KMS_PIN`). The file backend refuses a key file that group or others can
 * read or write (POSIX mode check; on Windows the ACL is the installer's job).
 */
import { readFileSync, statSync } from 'node:fs';
import { KmsError } from './kms-error.js';

export interface FileMasterKeyConfig {
  readonly aid: Buffer;
  readonly keyNo: number;
  readonly key: Buffer;
  readonly systemIdentifier: Buffer;
}

export interface Pkcs11MasterKeyConfig {
  readonly aid: Buffer;
  readonly keyNo: number;
  readonly keyLabel: string;
  readonly systemIdentifier: Buffer;
}

export type KmsConfig =
  | { readonly backend: 'file'; readonly masterKeys: readonly FileMasterKeyConfig[] }
  | {
      readonly backend: 'pkcs11';
      readonly module: string;
      readonly tokenLabel: string;
      readonly pinEnv: string;
      readonly masterKeys: readonly Pkcs11MasterKeyConfig[];
    };

export const DEFAULT_PIN_ENV = 'TESSERA_KMS_PIN';
/** AN10922 allows up to 31 bytes of diversification input: 7 (UID) + 3 (AID) leave 21. */
const MAX_SYSTEM_IDENTIFIER = 21;

const bad = (where: string, what: string): KmsError => new KmsError('kms_config_invalid', `${where}: ${what}`);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw bad(`${where}.${k}`, 'unknown key');
}

function hexField(obj: Record<string, unknown>, key: string, where: string, min: number, max: number): Buffer {
  const v = obj[key];
  if (typeof v !== 'string') throw bad(`${where}.${key}`, 'expected a hex string');
  if (!/^([0-9a-fA-F]{2})*$/.test(v)) throw bad(`${where}.${key}`, 'not an even number of hex digits');
  const n = v.length / 2;
  if (n < min || n > max) throw bad(`${where}.${key}`, min === max ? `expected ${min} bytes (${min * 2} hex digits), got ${n}` : `expected ${min} to ${max} bytes, got ${n}`);
  return Buffer.from(v, 'hex');
}

function keyNoField(obj: Record<string, unknown>, where: string): number {
  const v = obj['keyNo'];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 13) throw bad(`${where}.keyNo`, 'expected an integer from 0 to 13 (DESFire key number)');
  return v;
}

function stringField(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${where}.${key}`, 'expected a non-empty string');
  return v;
}

/** Validates a parsed configuration object. Key material read from it is in Buffers the KMS wipes on close. */
export function parseKmsConfig(raw: unknown, where = 'kms'): KmsConfig {
  if (!isRecord(raw)) throw bad(where, 'expected a JSON object');
  const backend = raw['backend'];
  const list = raw['masterKeys'];
  if (!Array.isArray(list) || list.length === 0) throw bad(`${where}.masterKeys`, 'expected a non-empty array');
  const seen = new Set<string>();
  const unique = (aid: Buffer, keyNo: number, at: string): void => {
    const id = `${aid.toString('hex')}/${keyNo}`;
    if (seen.has(id)) throw bad(at, `duplicate entry for AID ${aid.toString('hex').toUpperCase()} key ${keyNo}`);
    seen.add(id);
  };
  if (backend === 'file') {
    onlyKeys(raw, ['backend', 'masterKeys'], where);
    const masterKeys = list.map((e: unknown, i): FileMasterKeyConfig => {
      const at = `${where}.masterKeys[${i}]`;
      if (!isRecord(e)) throw bad(at, 'expected an object');
      onlyKeys(e, ['aid', 'keyNo', 'key', 'systemIdentifier'], at);
      const aid = hexField(e, 'aid', at, 3, 3);
      const keyNo = keyNoField(e, at);
      unique(aid, keyNo, at);
      return { aid, keyNo, key: hexField(e, 'key', at, 16, 16), systemIdentifier: hexField(e, 'systemIdentifier', at, 1, MAX_SYSTEM_IDENTIFIER) };
    });
    return { backend, masterKeys };
  }
  if (backend === 'pkcs11') {
    if ('pin' in raw) throw bad(`${where}.pin`, 'the token PIN is never read from the file (use pinEnv)');
    onlyKeys(raw, ['backend', 'module', 'tokenLabel', 'pinEnv', 'masterKeys'], where);
    const pinEnv = raw['pinEnv'] === undefined ? DEFAULT_PIN_ENV : stringField(raw, 'pinEnv', where);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(pinEnv)) throw bad(`${where}.pinEnv`, 'not an environment variable name');
    const masterKeys = list.map((e: unknown, i): Pkcs11MasterKeyConfig => {
      const at = `${where}.masterKeys[${i}]`;
      if (!isRecord(e)) throw bad(at, 'expected an object');
      onlyKeys(e, ['aid', 'keyNo', 'keyLabel', 'systemIdentifier'], at);
      const aid = hexField(e, 'aid', at, 3, 3);
      const keyNo = keyNoField(e, at);
      unique(aid, keyNo, at);
      return { aid, keyNo, keyLabel: stringField(e, 'keyLabel', at), systemIdentifier: hexField(e, 'systemIdentifier', at, 1, MAX_SYSTEM_IDENTIFIER) };
    });
    return { backend, module: stringField(raw, 'module', where), tokenLabel: stringField(raw, 'tokenLabel', where), pinEnv, masterKeys };
  }
  throw bad(`${where}.backend`, 'expected "file" or "pkcs11"');
}

/**
 * Reads and validates a KMS configuration file. A file that holds master keys (`file` backend)
 * must not be readable or writable by group or others; a pkcs11 configuration holds no secret
 * but must not be writable by others (it names the module the agent loads).
 */
export function loadKmsConfigFile(path: string): KmsConfig {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KmsError('kms_config_invalid', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new KmsError('kms_config_invalid', `${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const backend = isRecord(raw) ? raw['backend'] : undefined;
  if (process.platform !== 'win32') {
    if (backend === 'file' && (mode & 0o077) !== 0) {
      throw new KmsError('kms_insecure_file', `${path}: holds master keys but its mode is ${(mode & 0o777).toString(8)}; group/others must have no access (chmod 600)`);
    }
    if ((mode & 0o022) !== 0) {
      throw new KmsError('kms_insecure_file', `${path}: writable by group/others (mode ${(mode & 0o777).toString(8)})`);
    }
  }
  return parseKmsConfig(raw, path);
}
