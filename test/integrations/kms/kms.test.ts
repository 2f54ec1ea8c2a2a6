import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FileKms, KmsError, loadKmsConfigFile, openKms, openKmsFile, parseKmsConfig, Pkcs11Kms } from '../../../src/main/integrations/kms/index.js';
import { diversifyAes128 } from '../../../src/main/protocols/desfire/an10922.js';
import { createTestToken, SOFTHSM_MODULE, type TestToken } from './softhsm.js';

// NXP AN10922 AES-128 example (docs/TESTBED.md).
const MASTER = '00112233445566778899AABBCCDDEEFF';
const UID = Buffer.from('04782E21801D80', 'hex');
const AID = Buffer.from('3042F5', 'hex');
const SYSID = '4E585020416275';
const EXPECTED = 'a8dd63a3b89d54b37ca802473fda9175';

const dir = mkdtempSync(join(tmpdir(), 'tessera-kms-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, value: unknown, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  chmodSync(p, mode);
  return p;
}

const fileConfig = (overrides: Record<string, unknown> = {}) => ({
  backend: 'file',
  masterKeys: [{ aid: '3042F5', keyNo: 0, key: MASTER, systemIdentifier: SYSID, ...overrides }],
});

function rejectsWith(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KmsError, `expected KmsError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

describe('file KMS', () => {
  it('gives the AN10922 vector for the configured (AID, key number)', async () => {
    const kms = openKmsFile(writeConfig('ok.json', fileConfig()));
    const key = await kms.diversifiedKey(UID, AID, 0);
    assert.equal(key.toString('hex'), EXPECTED);
    assert.deepEqual(kms.keys(), [{ aid: '3042F5', keyNo: 0 }]);
    await kms.close();
  });

  it('refuses an unknown key number or AID, and bad UID/AID lengths', async () => {
    const kms = openKmsFile(writeConfig('ok2.json', fileConfig()));
    await assert.rejects(kms.diversifiedKey(UID, AID, 1), { code: 'kms_key_unknown' });
    await assert.rejects(kms.diversifiedKey(UID, Buffer.from('F51230', 'hex'), 0), { code: 'kms_key_unknown' });
    await assert.rejects(kms.diversifiedKey(UID.subarray(0, 4), AID, 0), { code: 'kms_bad_input' });
    await assert.rejects(kms.diversifiedKey(UID, Buffer.from('3042', 'hex'), 0), { code: 'kms_bad_input' });
    await kms.close();
    await assert.rejects(kms.diversifiedKey(UID, AID, 0), { code: 'kms_unavailable' });
  });

  it('wipes its master keys on close', async () => {
    const cfg = parseKmsConfig(fileConfig());
    assert.equal(cfg.backend, 'file');
    const kms = new FileKms(cfg.masterKeys);
    await kms.close();
    assert.ok(cfg.masterKeys.every((k) => k.key.every((b) => b === 0)));
  });

  for (const mode of [0o640, 0o604, 0o620, 0o602, 0o644]) {
    it(`refuses to start when the key file has mode ${mode.toString(8)}`, () => {
      rejectsWith(() => loadKmsConfigFile(writeConfig(`m${mode.toString(8)}.json`, fileConfig(), mode)), 'kms_insecure_file', /chmod 600/);
    });
  }

  it('accepts mode 400 and 600', () => {
    assert.equal(loadKmsConfigFile(writeConfig('m400.json', fileConfig(), 0o400)).backend, 'file');
    assert.equal(loadKmsConfigFile(writeConfig('m600.json', fileConfig(), 0o600)).backend, 'file');
  });

  const invalid: [string, unknown, RegExp][] = [
    ['not an object', [], /expected a JSON object/],
    ['unknown backend', { backend: 'vault', masterKeys: [{}] }, /backend/],
    ['no keys', { backend: 'file', masterKeys: [] }, /masterKeys: expected a non-empty array/],
    ['short key', fileConfig({ key: '0011' }), /masterKeys\[0\]\.key: expected 16 bytes/],
    ['odd hex', fileConfig({ key: `${MASTER}0` }), /not an even number of hex digits/],
    ['non-hex', fileConfig({ aid: 'F5123Z' }), /aid/],
    ['AID of 2 bytes', fileConfig({ aid: 'F512' }), /aid: expected 3 bytes/],
    ['keyNo 14', fileConfig({ keyNo: 14 }), /keyNo/],
    ['keyNo as string', fileConfig({ keyNo: '0' }), /keyNo/],
    ['empty system identifier', fileConfig({ systemIdentifier: '' }), /systemIdentifier/],
    ['system identifier of 22 bytes', fileConfig({ systemIdentifier: '00'.repeat(22) }), /systemIdentifier/],
    ['unknown field', fileConfig({ comment: 'x' }), /masterKeys\[0\]\.comment: unknown key/],
    ['unknown top-level field', { ...fileConfig(), extra: 1 }, /extra: unknown key/],
    ['duplicate entry', { backend: 'file', masterKeys: [fileConfig().masterKeys[0], fileConfig().masterKeys[0]] }, /duplicate/],
  ];
  for (const [name, value, pattern] of invalid) {
    it(`rejects a configuration with ${name}, naming the field`, () => rejectsWith(() => parseKmsConfig(value), 'kms_config_invalid', pattern));
  }

  it('rejects a missing file and bad JSON with kms_config_invalid', () => {
    rejectsWith(() => loadKmsConfigFile(join(dir, 'absent.json')), 'kms_config_invalid', /ENOENT/);
    rejectsWith(() => loadKmsConfigFile(writeConfig('bad.json', '{"backend":')), 'kms_config_invalid', /not valid JSON/);
  });
});

describe('pkcs11 KMS (SoftHSM2)', () => {
  let token: TestToken;
  const SHORT_SYSID = '4E58'; // M = 13 bytes: standard CMAC would differ, the token's ECB path is used
  before(() => {
    token = createTestToken();
    token.importKey('badge-3042f5-0', Buffer.from(MASTER, 'hex'));
    token.importKey('badge-3042f5-1', Buffer.from('F0E1D2C3B4A5968778695A4B3C2D1E0F', 'hex'));
    token.importKey('leaky', randomBytes(16), { extractable: true, sensitive: false });
  });
  after(() => token.dispose());

  const p11Config = (keys: unknown[], extra: Record<string, unknown> = {}) => ({
    backend: 'pkcs11',
    module: SOFTHSM_MODULE,
    tokenLabel: token.label,
    pinEnv: 'TEST_KMS_PIN',
    masterKeys: keys,
    ...extra,
  });
  const env = () => ({ TEST_KMS_PIN: token.pin });

  it('derives the AN10922 vector inside the token with CKM_AES_CMAC, same as the file backend', async () => {
    const kms = openKms(parseKmsConfig(p11Config([{ aid: '3042F5', keyNo: 0, keyLabel: 'badge-3042f5-0', systemIdentifier: SYSID }])), env());
    try {
      assert.ok(kms instanceof Pkcs11Kms);
      const key = await kms.diversifiedKey(UID, AID, 0);
      assert.equal(key.toString('hex'), EXPECTED);
      assert.equal(kms.lastPath, 'CKM_AES_CMAC');
    } finally {
      await kms.close();
    }
  });

  it('uses the token ECB path for short inputs and matches the software AN10922 result', async () => {
    const kms = openKms(
      parseKmsConfig(p11Config([
        { aid: '3042F5', keyNo: 0, keyLabel: 'badge-3042f5-0', systemIdentifier: SHORT_SYSID },
        { aid: '3042F5', keyNo: 1, keyLabel: 'badge-3042f5-1', systemIdentifier: SYSID },
      ])),
      env(),
    );
    try {
      assert.ok(kms instanceof Pkcs11Kms);
      for (let i = 0; i < 5; i++) {
        const uid = randomBytes(7);
        const k0 = await kms.diversifiedKey(uid, AID, 0);
        assert.equal(kms.lastPath, 'CKM_AES_ECB');
        assert.equal(k0.toString('hex'), diversifyAes128(Buffer.from(MASTER, 'hex'), uid, AID, Buffer.from(SHORT_SYSID, 'hex')).toString('hex'));
        const k1 = await kms.diversifiedKey(uid, AID, 1);
        assert.equal(kms.lastPath, 'CKM_AES_CMAC');
        assert.equal(k1.toString('hex'), diversifyAes128(Buffer.from('F0E1D2C3B4A5968778695A4B3C2D1E0F', 'hex'), uid, AID, Buffer.from(SYSID, 'hex')).toString('hex'));
      }
      await assert.rejects(kms.diversifiedKey(UID, AID, 2), { code: 'kms_key_unknown' });
    } finally {
      await kms.close();
    }
  });

  it('the master key cannot be read out of the token (CKA_VALUE is sensitive)', () => {
    const r = token.readKeyValue('badge-3042f5-0');
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /CKR_ATTRIBUTE_SENSITIVE/);
  });

  it('refuses a key that is extractable or not sensitive', () => {
    rejectsWith(() => openKms(parseKmsConfig(p11Config([{ aid: '3042F5', keyNo: 0, keyLabel: 'leaky', systemIdentifier: SYSID }])), env()), 'kms_unavailable', /non-extractable/);
  });

  it('refuses to start without the PIN variable, with a wrong PIN, an unknown token or key label', () => {
    const keys = [{ aid: '3042F5', keyNo: 0, keyLabel: 'badge-3042f5-0', systemIdentifier: SYSID }];
    rejectsWith(() => openKms(parseKmsConfig(p11Config(keys)), {}), 'kms_pin_missing', /TEST_KMS_PIN/);
    rejectsWith(() => openKms(parseKmsConfig(p11Config(keys)), { TEST_KMS_PIN: '000000' }), 'kms_login_failed');
    rejectsWith(() => openKms(parseKmsConfig(p11Config(keys, { tokenLabel: 'nope' })), env()), 'kms_unavailable', /no PKCS#11 token labelled "nope"/);
    rejectsWith(() => openKms(parseKmsConfig(p11Config([{ ...keys[0], keyLabel: 'absent' }])), env()), 'kms_unavailable', /no AES key labelled "absent"/);
    rejectsWith(() => openKms(parseKmsConfig(p11Config(keys, { module: join(dir, 'no-module.so') })), env()), 'kms_unavailable', /cannot load/);
  });

  it('never takes the PIN from the file', () => {
    rejectsWith(() => parseKmsConfig(p11Config([{ aid: '3042F5', keyNo: 0, keyLabel: 'k', systemIdentifier: SYSID }], { pin: '1234' })), 'kms_config_invalid', /pinEnv/);
    rejectsWith(() => parseKmsConfig(p11Config([{ aid: '3042F5', keyNo: 0, keyLabel: 'k', systemIdentifier: SYSID }], { pinEnv: 'A-B' })), 'kms_config_invalid', /environment variable name/);
  });

  it('a pkcs11 configuration file may be 644 (no secret) but not group/other-writable', () => {
    const cfg = p11Config([{ aid: '3042F5', keyNo: 0, keyLabel: 'badge-3042f5-0', systemIdentifier: SYSID }]);
    assert.equal(loadKmsConfigFile(writeConfig('p11.json', cfg, 0o644)).backend, 'pkcs11');
    rejectsWith(() => loadKmsConfigFile(writeConfig('p11w.json', cfg, 0o664)), 'kms_insecure_file');
  });
});
