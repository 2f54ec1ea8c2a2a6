/**
 * A throw-away SoftHSM2 token for tests: its own SOFTHSM2_CONF and token directory under a temp
 * folder, initialised with softhsm2-util, and an AES master key imported through PKCS#11
 * C_CreateObject as sensitive and non-extractable (the way an HSM key ceremony leaves it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Pkcs11Types from 'pkcs11js';

const pkcs11js = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Types;
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface TestToken {
  readonly dir: string;
  readonly label: string;
  readonly pin: string;
  /** Imports `value` as an AES key labelled `label`; `extractable` only to test the refusal. */
  importKey(label: string, value: Buffer, opts?: { extractable?: boolean; sensitive?: boolean }): void;
  /** Tries to read CKA_VALUE of the key labelled `label`; returns the error the token raised. */
  readKeyValue(label: string): { ok: true; value: Buffer } | { ok: false; error: string };
  dispose(): void;
}

export function createTestToken(label = 'tessera-kms-test', pin = '246810'): TestToken {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '13579135'], { stdio: 'pipe', env: process.env });

  const withSession = <T>(fn: (p11: Pkcs11Types.PKCS11, s: Pkcs11Types.Handle) => T): T => {
    const p11 = new pkcs11js.PKCS11();
    p11.load(SOFTHSM_MODULE);
    p11.C_Initialize();
    try {
      const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === label);
      if (slot === undefined) throw new Error('test token not found');
      const s = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      p11.C_Login(s, pkcs11js.CKU_USER, pin);
      try {
        return fn(p11, s);
      } finally {
        p11.C_Logout(s);
        p11.C_CloseSession(s);
      }
    } finally {
      p11.C_Finalize();
    }
  };

  return {
    dir,
    label,
    pin,
    importKey(keyLabel, value, opts = {}) {
      withSession((p11, s) =>
        p11.C_CreateObject(s, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_LABEL, value: keyLabel },
          { type: pkcs11js.CKA_SENSITIVE, value: opts.sensitive ?? true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: opts.extractable ?? false },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_ENCRYPT, value: true },
          { type: pkcs11js.CKA_VALUE, value },
        ]),
      );
    },
    readKeyValue(keyLabel) {
      return withSession((p11, s) => {
        p11.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_LABEL, value: keyLabel }]);
        const [h] = p11.C_FindObjects(s, 1);
        p11.C_FindObjectsFinal(s);
        if (h === undefined) throw new Error(`no object ${keyLabel}`);
        try {
          const [attr] = p11.C_GetAttributeValue(s, h, [{ type: pkcs11js.CKA_VALUE }]);
          return { ok: true as const, value: Buffer.from(attr?.value as Buffer) };
        } catch (e) {
          return { ok: false as const, error: e instanceof Error ? e.message : String(e) };
        }
      });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
