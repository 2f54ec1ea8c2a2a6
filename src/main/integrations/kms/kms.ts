/**
 * The establishment's key management system as the agent sees it: it never hands out a master
 * key, only the AN10922 key diversified for one badge (UID), one application (AID) and one key
 * number. The caller uses that key for one authentication and wipes it.
 */
export interface MasterKeyRef {
  /** DESFire AID, 3 bytes as 6 hex digits (the order written in the configuration, e.g. `F51230`). */
  readonly aid: string;
  readonly keyNo: number;
}

export interface Kms {
  /** `file` or `pkcs11`, for diagnostics and audit. */
  readonly backend: 'file' | 'pkcs11';
  /** The (AID, key number) pairs this KMS holds a master key for. */
  keys(): readonly MasterKeyRef[];
  /**
   * AN10922 AES-128 diversified key for the badge `uid` (7 bytes, the real UID), application
   * `aid` (3 bytes) and `keyNo`, computed where the master key lives. A fresh Buffer the caller
   * must wipe after use. Throws `KmsError` (`kms_key_unknown`, `kms_unavailable`, `kms_bad_input`).
   */
  diversifiedKey(uid: Buffer, aid: Buffer, keyNo: number): Promise<Buffer>;
  /** Releases the backend (wipes in-memory keys, closes the token session). */
  close(): Promise<void>;
}

export const aidKey = (aid: Buffer | string, keyNo: number): string =>
  `${typeof aid === 'string' ? aid.toUpperCase() : aid.toString('hex').toUpperCase()}/${keyNo}`;
