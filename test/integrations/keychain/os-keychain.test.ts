/**
 * OsKeychain (src/main/integrations/keychain) against a real Secret Service: gnome-keyring on a
 * private session bus started by the test. What the agent stores is checked from outside with
 * `secret-tool`; a locked keyring and a bus without any Secret Service give typed errors, never
 * a silent miss, and nothing stored is lost.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeychainError, OsKeychain } from '../../../src/main/integrations/keychain/index.js';
import { lockLoginCollection, lookupWithSecretTool, startKeyring, startSessionBus, type Keyring, type SessionBus } from './secret-service-bed.js';

const SERVICE = `fr.tessera.test-${randomBytes(4).toString('hex')}`;
const ACCOUNT = 'sso.refresh:rpps:81000000001';

function isKeychainError(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof KeychainError, `KeychainError expected, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  };
}

describe('OsKeychain on gnome-keyring', () => {
  let dir: string;
  let bus: SessionBus;
  let keyring: Keyring | undefined;
  const savedBus = process.env['DBUS_SESSION_BUS_ADDRESS'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-keychain-'));
    bus = await startSessionBus(join(dir, 'bus'));
    process.env['DBUS_SESSION_BUS_ADDRESS'] = bus.address;
  });

  after(async () => {
    await keyring?.stop();
    await bus.stop();
    if (savedBus === undefined) delete process.env['DBUS_SESSION_BUS_ADDRESS'];
    else process.env['DBUS_SESSION_BUS_ADDRESS'] = savedBus;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bus without a Secret Service: every call is keychain_unavailable, never a silent miss', async () => {
    const store = new OsKeychain({ service: SERVICE });
    await assert.rejects(store.set(ACCOUNT, Buffer.from('rt-1')), isKeychainError('keychain_unavailable'));
    await assert.rejects(store.get(ACCOUNT), isKeychainError('keychain_unavailable'));
    await assert.rejects(store.delete(ACCOUNT), isKeychainError('keychain_unavailable'));
  });

  it('stores, reads, replaces and deletes an item that secret-tool sees in the keyring', async () => {
    keyring = await startKeyring(bus, join(dir, 'home'), 'test-password');
    const store = new OsKeychain({ service: SERVICE });
    await store.set(ACCOUNT, Buffer.from('refresh-token-one'));
    assert.equal(lookupWithSecretTool(keyring, SERVICE, ACCOUNT), 'refresh-token-one');
    const got = await store.get(ACCOUNT);
    assert.equal(got?.toString('utf8'), 'refresh-token-one');
    await store.set(ACCOUNT, Buffer.from('refresh-token-two'));
    assert.equal(lookupWithSecretTool(keyring, SERVICE, ACCOUNT), 'refresh-token-two');
    assert.equal((await store.get(ACCOUNT))?.toString('utf8'), 'refresh-token-two');
    assert.equal(await store.delete(ACCOUNT), true);
    assert.equal(lookupWithSecretTool(keyring, SERVICE, ACCOUNT), undefined, 'the item is gone from the keyring');
    assert.equal(await store.get(ACCOUNT), undefined);
    assert.equal(await store.delete(ACCOUNT), false);
    assert.equal(lookupWithSecretTool(keyring, SERVICE, 'tessera.keychain-probe'), undefined, 'the probe item does not stay behind');
  });

  it('refuses bad account names and empty secrets with keychain_bad_input', async () => {
    const store = new OsKeychain({ service: SERVICE });
    await assert.rejects(store.set('has space', Buffer.from('x')), isKeychainError('keychain_bad_input'));
    await assert.rejects(store.get(''), isKeychainError('keychain_bad_input'));
    await assert.rejects(store.set(ACCOUNT, Buffer.alloc(0)), isKeychainError('keychain_bad_input'));
  });

  it('a locked keyring: keychain_locked on read, write and delete; the item survives and is there after unlocking', async () => {
    assert.ok(keyring);
    const store = new OsKeychain({ service: SERVICE });
    await store.set(ACCOUNT, Buffer.from('kept-while-locked'));
    lockLoginCollection(keyring);
    await assert.rejects(store.get(ACCOUNT), isKeychainError('keychain_locked'));
    await assert.rejects(store.delete(ACCOUNT), isKeychainError('keychain_locked'));
    await assert.rejects(store.set(ACCOUNT, Buffer.from('other')), isKeychainError('keychain_locked'));
    // Unlock = restart the daemon with the password (no prompter here); the keyring file kept the item.
    await keyring.stop();
    keyring = await startKeyring(bus, join(dir, 'home'), 'test-password');
    assert.equal(lookupWithSecretTool(keyring, SERVICE, ACCOUNT), 'kept-while-locked');
    assert.equal((await store.get(ACCOUNT))?.toString('utf8'), 'kept-while-locked');
    assert.equal(await store.delete(ACCOUNT), true);
  });
});
