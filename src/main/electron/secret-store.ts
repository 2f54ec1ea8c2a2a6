/**
 * Local secrets of the desktop shell, encrypted with Electron's `safeStorage` (DPAPI on
 * Windows, the Keychain on macOS, the Secret Service / KWallet on Linux), one file each in the
 * app's user-data folder, readable by the user only.
 *
 * Refused when the OS gives no real encryption: `safeStorage` then either is unavailable or,
 * on Linux, falls back to `basic_text` (a hard-coded key), which is no protection at all.
 *
 * `safeStorage` takes and gives strings: the secret crosses it as base64 text, which cannot be
 * wiped (dropped at once); the Buffers on both sides are the caller's and are wiped by it.
 * Electron is reached through `SafeStorageLike`, so this is tested with a fake.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ShellError } from './shell-error.js';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only in Electron: `basic_text` means no real encryption. */
  getSelectedStorageBackend?(): string;
}

/** File header: format tag and version. */
const MAGIC = Buffer.from('TSS1', 'ascii');
const namePattern = /^[a-z0-9-]{1,64}$/;
/** A stored secret larger than this is not ours. */
export const maxSecretFileBytes = 64 * 1024;

export class SecretStore {
  constructor(
    private readonly dir: string,
    private readonly safe: SafeStorageLike,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /** Whether secrets can be stored with real encryption on this machine. */
  available(): boolean {
    if (!this.safe.isEncryptionAvailable()) return false;
    return !(this.platform === 'linux' && this.safe.getSelectedStorageBackend?.() === 'basic_text');
  }

  private file(name: string): string {
    if (!namePattern.test(name)) throw new ShellError('secret_name_invalid', 'secret names are [a-z0-9-]{1,64}');
    return path.join(this.dir, `${name}.secret`);
  }

  /** Encrypts and stores `secret` (the caller keeps and wipes its Buffer). Atomic replace. */
  put(name: string, secret: Buffer): void {
    const file = this.file(name);
    if (!this.available()) throw new ShellError('secret_storage_unavailable', 'no OS encryption for local secrets');
    const sealed = this.safe.encryptString(secret.toString('base64'));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temp, Buffer.concat([MAGIC, sealed]), { mode: 0o600, flag: 'wx' });
      renameSync(temp, file);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** The secret in a Buffer the caller owns and wipes, or null when none is stored. */
  get(name: string): Buffer | null {
    const file = this.file(name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (bytes.length > maxSecretFileBytes || bytes.length <= MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new ShellError('secret_unreadable', `${name}: not a Tessera secret file`);
    }
    if (!this.available()) throw new ShellError('secret_storage_unavailable', 'no OS encryption for local secrets');
    let text: string;
    try {
      text = this.safe.decryptString(bytes.subarray(MAGIC.length));
    } catch (cause) {
      throw new ShellError('secret_unreadable', `${name}: decryption failed`, { cause });
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ShellError('secret_unreadable', `${name}: decrypted content is not ours`);
    return Buffer.from(text, 'base64');
  }

  delete(name: string): void {
    rmSync(this.file(name), { force: true });
  }
}
