/**
 * The client data the agent hashes into clientDataHash, shaped like WebAuthn's
 * CollectedClientData (§5.8.1) so an auditor can recompute the hash: a fresh 32-byte challenge
 * per operation, the operation type, and the agent's origin for the rpId.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface ClientData {
  readonly json: string;
  readonly hash: Buffer;
  readonly challenge: string;
}

export function makeClientData(type: 'webauthn.create' | 'webauthn.get', rpId: string): ClientData {
  const challenge = randomBytes(32).toString('base64url');
  const json = JSON.stringify({ type, challenge, origin: `tessera://${rpId}`, crossOrigin: false });
  return { json, hash: createHash('sha256').update(json, 'utf8').digest(), challenge };
}
