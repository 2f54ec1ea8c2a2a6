/** authenticatorGetAssertion and authenticatorGetNextAssertion (CTAP 2.1 §6.2, §6.3). */
import { Ctap2Device, type Ctap2CallOptions } from './ctap2-client.js';
import { cborMap, field, isBytes, isInt, isMap, isText, optField, type CborMap } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Ctap2Error } from './ctap2-error.js';

export interface GetAssertionRequest {
  readonly rpId: string;
  readonly clientDataHash: Buffer;
  readonly allowList?: readonly Buffer[];
  readonly options?: { readonly up?: boolean; readonly uv?: boolean };
  readonly pinUvAuth?: PinUvAuthToken;
}

export interface Assertion {
  /** Credential id; present unless the allow list had exactly one entry and the key left it out. */
  readonly credentialId?: Buffer;
  readonly authData: Buffer;
  readonly signature: Buffer;
  readonly userId?: Buffer;
  readonly numberOfCredentials?: number;
}

export async function getAssertion(device: Ctap2Device, req: GetAssertionRequest, opts?: Ctap2CallOptions): Promise<Assertion> {
  const options = req.options ? cborMap([['up', req.options.up], ['uv', req.options.uv]]) : undefined;
  const params = cborMap([
    [0x01, req.rpId],
    [0x02, req.clientDataHash],
    [0x03, req.allowList?.length ? req.allowList.map((id) => cborMap([['id', id], ['type', 'public-key']])) : undefined],
    [0x05, options && options.size ? options : undefined],
    [0x06, req.pinUvAuth ? req.pinUvAuth.protocol.authenticate(req.pinUvAuth.token, req.clientDataHash) : undefined],
    [0x07, req.pinUvAuth ? req.pinUvAuth.protocol.version : undefined],
  ]);
  const answer = parseAssertion(await device.callExpectingMap('authenticatorGetAssertion', params, opts), 'authenticatorGetAssertion');
  if (!answer.credentialId && req.allowList?.length === 1) return { ...answer, credentialId: req.allowList[0]! };
  return answer;
}

export async function getNextAssertion(device: Ctap2Device, opts?: Ctap2CallOptions): Promise<Assertion> {
  return parseAssertion(await device.callExpectingMap('authenticatorGetNextAssertion', undefined, opts), 'authenticatorGetNextAssertion');
}

function parseAssertion(m: CborMap, what: string): Assertion {
  const cred = optField(m, 0x01, what, isMap);
  let credentialId: Buffer | undefined;
  if (cred) {
    credentialId = field(cred, 'id', what, isBytes);
    if (field(cred, 'type', what, isText) !== 'public-key') throw new Ctap2Error('invalid_response', `${what}: credential type is not public-key`);
  }
  const user = optField(m, 0x04, what, isMap);
  const n = optField(m, 0x05, what, isInt);
  return {
    ...(credentialId ? { credentialId } : {}),
    authData: field(m, 0x02, what, isBytes),
    signature: field(m, 0x03, what, isBytes),
    ...(user ? { userId: field(user, 'id', what, isBytes) } : {}),
    ...(n !== undefined ? { numberOfCredentials: n } : {}),
  };
}
