import { KmsError } from './kms-error.js';

/** The badge identifiers a derivation accepts: a 7-byte UID (real UID of random-ID cards) and a 3-byte AID. */
export function checkDiversificationInput(uid: Buffer, aid: Buffer): void {
  if (uid.length !== 7) throw new KmsError('kms_bad_input', `UID must be 7 bytes, got ${uid.length}`);
  if (aid.length !== 3) throw new KmsError('kms_bad_input', `AID must be 3 bytes, got ${aid.length}`);
}
