/** KMS backends: configuration, the `Kms` interface and the `file` / `pkcs11` implementations. */
import { loadKmsConfigFile, type KmsConfig } from './kms-config.js';
import { FileKms } from './file-kms.js';
import { Pkcs11Kms } from './pkcs11-kms.js';
import type { Kms } from './kms.js';

export { KmsError, type KmsErrorCode } from './kms-error.js';
export { aidKey, type Kms, type MasterKeyRef } from './kms.js';
export { DEFAULT_PIN_ENV, loadKmsConfigFile, parseKmsConfig, type KmsConfig } from './kms-config.js';
export { FileKms } from './file-kms.js';
export { Pkcs11Kms, type Pkcs11KmsOptions } from './pkcs11-kms.js';

/** Opens the backend a validated configuration describes. */
export function openKms(config: KmsConfig, env: NodeJS.ProcessEnv = process.env): Kms {
  if (config.backend === 'file') return new FileKms(config.masterKeys);
  return Pkcs11Kms.open({ ...config, env });
}

/** Reads, checks (mode, fields) and opens the KMS configuration file at `path`. */
export function openKmsFile(path: string, env: NodeJS.ProcessEnv = process.env): Kms {
  return openKms(loadKmsConfigFile(path), env);
}
