import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretStore, type SafeStorageLike } from '../../src/main/electron/secret-store.js';
import { ShellError } from '../../src/main/electron/shell-error.js';

/** safeStorage stand-in: AES-256-GCM under a per-"machine" key, as the OS keystores seal data. */
function fakeSafeStorage(backend = 'gnome_libsecret', key = randomBytes(32)): SafeStorageLike {
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString(text) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(sealed) {
      const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      d.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([d.update(sealed.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

function withDir(fn: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tessera-secrets-'));
    try {
      await fn(path.join(dir, 'secrets'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const code = (e: unknown) => (e instanceof ShellError ? e.code : String(e));

test('a secret goes in encrypted, readable by the user only, and comes back', withDir((dir) => {
  const store = new SecretStore(dir, fakeSafeStorage(), 'linux');
  const secret = randomBytes(48);
  store.put('sso-refresh', secret);
  const file = path.join(dir, 'sso-refresh.secret');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const raw = readFileSync(file);
  assert.equal(raw.includes(secret), false);
  assert.equal(raw.includes(Buffer.from(secret.toString('base64'))), false);
  const back = store.get('sso-refresh');
  assert.ok(back);
  assert.ok(back.equals(secret));
  assert.deepEqual(readdirSync(dir), ['sso-refresh.secret'], 'no temporary file left');
  store.delete('sso-refresh');
  assert.equal(store.get('sso-refresh'), null);
}));

test('refused without real encryption: unavailable, or the Linux basic_text fallback', withDir((dir) => {
  const plain = new SecretStore(dir, fakeSafeStorage('basic_text'), 'linux');
  assert.equal(plain.available(), false);
  assert.throws(() => plain.put('x', Buffer.from('s')), (e) => code(e) === 'secret_storage_unavailable');
  const none = new SecretStore(dir, { ...fakeSafeStorage(), isEncryptionAvailable: () => false }, 'win32');
  assert.throws(() => none.put('x', Buffer.from('s')), (e) => code(e) === 'secret_storage_unavailable');
  // basic_text is only a Linux backend name; elsewhere the OS store is used.
  assert.equal(new SecretStore(dir, fakeSafeStorage('basic_text'), 'darwin').available(), true);
}));

test('a tampered, foreign or truncated file is unreadable, not a crash', withDir((dir) => {
  const store = new SecretStore(dir, fakeSafeStorage(), 'linux');
  store.put('k', Buffer.from('secret value'));
  const file = path.join(dir, 'k.secret');
  const sealed = readFileSync(file);
  const flipped = Buffer.from(sealed);
  flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
  writeFileSync(file, flipped);
  assert.throws(() => store.get('k'), (e) => code(e) === 'secret_unreadable');
  writeFileSync(file, sealed.subarray(0, 3));
  assert.throws(() => store.get('k'), (e) => code(e) === 'secret_unreadable');
  writeFileSync(file, Buffer.concat([Buffer.from('XXXX'), sealed.subarray(4)]));
  assert.throws(() => store.get('k'), (e) => code(e) === 'secret_unreadable');
  writeFileSync(file, Buffer.alloc(70_000, 1));
  assert.throws(() => store.get('k'), (e) => code(e) === 'secret_unreadable');
  // Sealed by another machine's key.
  const other = new SecretStore(dir, fakeSafeStorage(), 'linux');
  other.put('k', Buffer.from('theirs'));
  assert.throws(() => store.get('k'), (e) => code(e) === 'secret_unreadable');
}));

test('secret names cannot leave the folder', withDir((dir) => {
  const store = new SecretStore(dir, fakeSafeStorage(), 'linux');
  for (const name of ['../x', 'a/b', '', 'UPPER', 'x'.repeat(65)]) {
    assert.throws(() => store.put(name, Buffer.from('s')), (e) => code(e) === 'secret_name_invalid', name);
    assert.throws(() => store.get(name), (e) => code(e) === 'secret_name_invalid', name);
  }
}));
