/**
 * `file` KMS backend, for development and demonstrations: master keys from a JSON file that
 * only its owner can read (checked by `loadKmsConfigFile`). Keys stay in this object's Buffers
 * and are wiped on `close()`; only diversified keys leave it. Each master key keeps one AES
 * context (`Aes128Key`, created on first use) so a diversification is three block encryptions.
 */
import { Aes128Key } from '../../protocols/crypto/aes-key.js';
import { diversifyAes128WithKey } from '../../protocols/desfire/an10922.js';
import type { FileMasterKeyConfig } from './kms-config.js';
import { aidKey, type Kms, type MasterKeyRef } from './kms.js';
import { KmsError } from './kms-error.js';
import { checkDiversificationInput } from './diversification-input.js';

export class FileKms implements Kms {
  readonly backend = 'file' as const;
  private readonly byRef = new Map<string, FileMasterKeyConfig>();
  private readonly ciphers = new Map<string, Aes128Key>();
  private closed = false;

  constructor(masterKeys: readonly FileMasterKeyConfig[]) {
    for (const k of masterKeys) this.byRef.set(aidKey(k.aid, k.keyNo), k);
  }

  keys(): readonly MasterKeyRef[] {
    return [...this.byRef.values()].map((k) => ({ aid: k.aid.toString('hex').toUpperCase(), keyNo: k.keyNo }));
  }

  diversifiedKey(uid: Buffer, aid: Buffer, keyNo: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new KmsError('kms_unavailable', 'file KMS closed'));
    try {
      checkDiversificationInput(uid, aid);
      const ref = aidKey(aid, keyNo);
      const entry = this.byRef.get(ref);
      if (!entry) throw new KmsError('kms_key_unknown', `no master key for AID ${aid.toString('hex').toUpperCase()} key ${keyNo}`);
      let cipher = this.ciphers.get(ref);
      if (!cipher) {
        cipher = new Aes128Key(entry.key);
        this.ciphers.set(ref, cipher);
      }
      return Promise.resolve(diversifyAes128WithKey(cipher, uid, aid, entry.systemIdentifier));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  close(): Promise<void> {
    for (const k of this.byRef.values()) k.key.fill(0);
    for (const c of this.ciphers.values()) c.dispose();
    this.byRef.clear();
    this.ciphers.clear();
    this.closed = true;
    return Promise.resolve();
  }
}
