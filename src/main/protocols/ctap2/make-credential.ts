/** authenticatorMakeCredential (CTAP 2.1 §6.1). */
import { Ctap2Device, type Ctap2CallOptions } from './ctap2-client.js';
import { cborMap, field, isBytes, isMap, isText, type CborMap, type CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import type { CoseAlg } from './cose-key.js';

export interface MakeCredentialRequest {
  /** SHA-256 of the client data (32 bytes). */
  readonly clientDataHash: Buffer;
  readonly rp: { readonly id: string; readonly name?: string };
  readonly user: { readonly id: Buffer; readonly name?: string; readonly displayName?: string };
  /** Acceptable algorithms in order of preference. */
  readonly algorithms: readonly CoseAlg[];
  readonly excludeList?: readonly Buffer[];
  readonly options?: { readonly rk?: boolean; readonly uv?: boolean };
  /** pinUvAuthParam = authenticate(token, clientDataHash) is computed from it. */
  readonly pinUvAuth?: PinUvAuthToken;
}

export interface MakeCredentialResponse {
  readonly fmt: string;
  readonly authData: Buffer;
  readonly attStmt: CborMap;
}

const descriptor = (id: Buffer): CborMap => cborMap([['id', id], ['type', 'public-key']]);

export async function makeCredential(device: Ctap2Device, req: MakeCredentialRequest, opts?: Ctap2CallOptions): Promise<MakeCredentialResponse> {
  const options = req.options ? cborMap([['rk', req.options.rk], ['uv', req.options.uv]]) : undefined;
  const params = cborMap([
    [0x01, req.clientDataHash],
    [0x02, cborMap([['id', req.rp.id], ['name', req.rp.name]])],
    [0x03, cborMap([['id', req.user.id], ['name', req.user.name], ['displayName', req.user.displayName]])],
    [0x04, req.algorithms.map((alg): CborValue => cborMap([['alg', alg], ['type', 'public-key']]))],
    [0x05, req.excludeList?.length ? req.excludeList.map(descriptor) : undefined],
    [0x07, options && options.size ? options : undefined],
    [0x08, req.pinUvAuth ? req.pinUvAuth.protocol.authenticate(req.pinUvAuth.token, req.clientDataHash) : undefined],
    [0x09, req.pinUvAuth ? req.pinUvAuth.protocol.version : undefined],
  ]);
  const m = await device.callExpectingMap('authenticatorMakeCredential', params, opts);
  const what = 'authenticatorMakeCredential';
  return { fmt: field(m, 0x01, what, isText), authData: field(m, 0x02, what, isBytes), attStmt: field(m, 0x03, what, isMap) };
}
