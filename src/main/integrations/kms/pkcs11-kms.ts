/**
 * `pkcs11` KMS backend: each master key is a non-extractable, sensitive AES key in a PKCS#11
 * token (an HSM in production, SoftHSM2 in tests). The AN10922 diversification runs inside the
 * token, so the master key never reaches this process:
 *
 *  - when the AN10922 message M = 0x01 || UID || AID || SystemIdentifier is longer than one
 *    block (17..32 bytes), AN10922's "pad to 32 bytes and use K2" (or K1 at exactly 32) is the
 *    same computation as standard CMAC over M, so the token's `CKM_AES_CMAC` signs M directly;
 *  - otherwise (M of 16 bytes or less, i.e. a system identifier shorter than 6 bytes) standard
 *    CMAC would pad to one block only, so the CMAC is assembled from the token's `CKM_AES_ECB`
 *    encryptions (`diversifyAes128WithCipher`: L = E(K, 0) for the subkeys, then the two
 *    CBC-MAC steps). Only cipher outputs cross the token boundary, never the key.
 *
 * The token PIN comes from the environment variable named in the configuration and is never
 * read from the file. (pkcs11js takes the PIN as a JS string: it cannot be wiped, so the PIN
 * is dropped right after `C_Login`.)
 */
import { createRequire } from 'node:module';
import type * as Pkcs11Types from 'pkcs11js';
import { AES_BLOCK } from '../../protocols/crypto/index.js';
import { AN10922_AES128_CONSTANT, an10922Input, diversifyAes128WithCipher } from '../../protocols/desfire/an10922.js';
import type { Pkcs11MasterKeyConfig } from './kms-config.js';
import { aidKey, type Kms, type MasterKeyRef } from './kms.js';
import { KmsError } from './kms-error.js';
import { checkDiversificationInput } from './diversification-input.js';

const pkcs11js = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Types;


export interface Pkcs11KmsOptions {
  readonly module: string;
  readonly tokenLabel: string;
  /** Name of the environment variable holding the user PIN. */
  readonly pinEnv: string;
  readonly masterKeys: readonly Pkcs11MasterKeyConfig[];
  /** Environment to read the PIN from (tests). */
  readonly env?: NodeJS.ProcessEnv;
}

interface KeyEntry {
  readonly cfg: Pkcs11MasterKeyConfig;
  readonly handle: Pkcs11Types.Handle;
}

/** The mechanism actually used for the last derivation (observable for tests and diagnostics). */
export type DerivationPath = 'CKM_AES_CMAC' | 'CKM_AES_ECB';

export class Pkcs11Kms implements Kms {
  readonly backend = 'pkcs11' as const;
  private readonly p11: Pkcs11Types.PKCS11;
  private session: Pkcs11Types.Handle | undefined;
  private readonly byRef = new Map<string, KeyEntry>();
  lastPath: DerivationPath | undefined;

  private constructor(p11: Pkcs11Types.PKCS11) {
    this.p11 = p11;
  }

  /** Loads the module, finds the token, logs in and checks every configured key object. */
  static open(opts: Pkcs11KmsOptions): Pkcs11Kms {
    const env = opts.env ?? process.env;
    const pin = env[opts.pinEnv];
    if (pin === undefined || pin === '') throw new KmsError('kms_pin_missing', `environment variable ${opts.pinEnv} (token PIN) is not set`);
    const p11 = new pkcs11js.PKCS11();
    try {
      p11.load(opts.module);
      p11.C_Initialize();
    } catch (e) {
      throw new KmsError('kms_unavailable', `cannot load PKCS#11 module ${opts.module}: ${errText(e)}`, { cause: e });
    }
    const kms = new Pkcs11Kms(p11);
    try {
      kms.attach(opts, pin);
    } catch (e) {
      kms.shutdown();
      throw e;
    }
    return kms;
  }

  private attach(opts: Pkcs11KmsOptions, pin: string): void {
    const p11 = this.p11;
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === opts.tokenLabel);
    if (slot === undefined) throw new KmsError('kms_unavailable', `no PKCS#11 token labelled "${opts.tokenLabel}" in ${opts.module}`);
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    this.session = session;
    try {
      p11.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (e) {
      throw new KmsError('kms_login_failed', `token "${opts.tokenLabel}" refused the login: ${errText(e)}`, { cause: e });
    }
    for (const cfg of opts.masterKeys) {
      const handle = this.findKey(session, cfg.keyLabel);
      this.byRef.set(aidKey(cfg.aid, cfg.keyNo), { cfg, handle });
    }
  }

  private findKey(session: Pkcs11Types.Handle, label: string): Pkcs11Types.Handle {
    const p11 = this.p11;
    p11.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    let found: Pkcs11Types.Handle[];
    try {
      found = p11.C_FindObjects(session, 2);
    } finally {
      p11.C_FindObjectsFinal(session);
    }
    const handle = found[0];
    if (handle === undefined) throw new KmsError('kms_unavailable', `no AES key labelled "${label}" on the token`);
    if (found.length > 1) throw new KmsError('kms_unavailable', `several AES keys labelled "${label}" on the token`);
    const attrs = p11.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
      { type: pkcs11js.CKA_VALUE_LEN },
    ]);
    const flag = (i: number): boolean => {
      const v = attrs[i]?.value;
      return Buffer.isBuffer(v) && v.length > 0 && v[0] !== 0;
    };
    const lenAttr = attrs[2]?.value;
    const len = Buffer.isBuffer(lenAttr) && lenAttr.length > 0 ? lenAttr.readUIntLE(0, Math.min(lenAttr.length, 6)) : 0;
    if (!flag(0) || flag(1)) throw new KmsError('kms_unavailable', `key "${label}" must be sensitive and non-extractable`);
    if (len !== 16) throw new KmsError('kms_unavailable', `key "${label}" must be AES-128 (16 bytes), has ${len}`);
    return handle;
  }

  keys(): readonly MasterKeyRef[] {
    return [...this.byRef.values()].map((k) => ({ aid: k.cfg.aid.toString('hex').toUpperCase(), keyNo: k.cfg.keyNo }));
  }

  diversifiedKey(uid: Buffer, aid: Buffer, keyNo: number): Promise<Buffer> {
    try {
      return Promise.resolve(this.derive(uid, aid, keyNo));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private derive(uid: Buffer, aid: Buffer, keyNo: number): Buffer {
    const session = this.session;
    if (session === undefined) throw new KmsError('kms_unavailable', 'PKCS#11 KMS closed');
    checkDiversificationInput(uid, aid);
    const entry = this.byRef.get(aidKey(aid, keyNo));
    if (!entry) throw new KmsError('kms_key_unknown', `no master key for AID ${aid.toString('hex').toUpperCase()} key ${keyNo}`);
    const m = Buffer.concat([Buffer.from([AN10922_AES128_CONSTANT]), uid, aid, entry.cfg.systemIdentifier]);
    const input = an10922Input(uid, aid, entry.cfg.systemIdentifier);
    try {
      if (m.length > AES_BLOCK) {
        this.lastPath = 'CKM_AES_CMAC';
        this.p11.C_SignInit(session, { mechanism: pkcs11js.CKM_AES_CMAC }, entry.handle);
        return Buffer.from(this.p11.C_Sign(session, m, Buffer.alloc(AES_BLOCK)));
      }
      this.lastPath = 'CKM_AES_ECB';
      return diversifyAes128WithCipher((block) => {
        this.p11.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_ECB }, entry.handle);
        return Buffer.from(this.p11.C_Encrypt(session, block, Buffer.alloc(AES_BLOCK)));
      }, input);
    } catch (e) {
      if (e instanceof KmsError) throw e;
      throw new KmsError('kms_unavailable', `token derivation failed: ${errText(e)}`, { cause: e });
    } finally {
      m.fill(0);
      input.message.fill(0);
    }
  }

  close(): Promise<void> {
    this.shutdown();
    return Promise.resolve();
  }

  private shutdown(): void {
    const session = this.session;
    this.session = undefined;
    this.byRef.clear();
    try {
      if (session !== undefined) {
        try { this.p11.C_Logout(session); } catch { /* not logged in */ }
        this.p11.C_CloseSession(session);
      }
      this.p11.C_Finalize();
    } catch {
      // Closing a token that is already gone must not mask the caller's error.
    }
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
