/**
 * Authenticator data (WebAuthn L2 §6.1, CTAP 2.1 §6.1): rpIdHash (32) ‖ flags (1) ‖
 * signCount (4, big-endian) ‖ [attested credential data] ‖ [extensions]. Parsed strictly:
 * every length checked, no trailing bytes.
 */
import { asMap, decodeCborPrefix, type CborMap } from './cbor.js';
import { Ctap2Error } from './ctap2-error.js';

export const AUTH_DATA_FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredentialData {
  /** 16 bytes. */
  readonly aaguid: Buffer;
  readonly credentialId: Buffer;
  /** The COSE key as decoded, and its exact encoded bytes (kept in the enrolment record). */
  readonly publicKey: CborMap;
  readonly publicKeyCbor: Buffer;
}

export interface AuthenticatorData {
  readonly raw: Buffer;
  readonly rpIdHash: Buffer;
  readonly flags: { readonly up: boolean; readonly uv: boolean; readonly be: boolean; readonly bs: boolean; readonly at: boolean; readonly ed: boolean; readonly byte: number };
  readonly signCount: number;
  readonly attestedCredentialData?: AttestedCredentialData;
  readonly extensions?: CborMap;
}

/** Credential ids longer than this are refused (CTAP 2.1 caps them at 1023 in practice). */
const MAX_CREDENTIAL_ID = 1023;

export function parseAuthenticatorData(raw: Buffer): AuthenticatorData {
  const bad = (why: string, cause?: unknown): never => {
    throw new Ctap2Error('invalid_auth_data', `authenticatorData: ${why}`, cause === undefined ? {} : { cause });
  };
  if (raw.length < 37) bad(`${raw.length} bytes, at least 37 expected`);
  const flagsByte = raw[32]!;
  const flags = {
    up: (flagsByte & AUTH_DATA_FLAG.UP) !== 0,
    uv: (flagsByte & AUTH_DATA_FLAG.UV) !== 0,
    be: (flagsByte & AUTH_DATA_FLAG.BE) !== 0,
    bs: (flagsByte & AUTH_DATA_FLAG.BS) !== 0,
    at: (flagsByte & AUTH_DATA_FLAG.AT) !== 0,
    ed: (flagsByte & AUTH_DATA_FLAG.ED) !== 0,
    byte: flagsByte,
  };
  let pos = 37;
  let attested: AttestedCredentialData | undefined;
  if (flags.at) {
    if (raw.length < pos + 18) bad('attested credential data truncated');
    const aaguid = Buffer.from(raw.subarray(pos, pos + 16));
    const idLen = raw.readUInt16BE(pos + 16);
    pos += 18;
    if (idLen === 0 || idLen > MAX_CREDENTIAL_ID) bad(`credential id length ${idLen}`);
    if (raw.length < pos + idLen) bad('credential id truncated');
    const credentialId = Buffer.from(raw.subarray(pos, pos + idLen));
    pos += idLen;
    let decoded: ReturnType<typeof decodeCborPrefix>;
    try {
      decoded = decodeCborPrefix(raw, pos, { maxDepth: 4, maxItems: 64 });
    } catch (e) {
      return bad('credential public key is not valid CBOR', e);
    }
    let publicKey: CborMap;
    try {
      publicKey = asMap(decoded.value, 'credentialPublicKey');
    } catch (e) {
      return bad('credential public key is not a map', e);
    }
    attested = { aaguid, credentialId, publicKey, publicKeyCbor: Buffer.from(raw.subarray(pos, decoded.end)) };
    pos = decoded.end;
  }
  let extensions: CborMap | undefined;
  if (flags.ed) {
    try {
      const decoded = decodeCborPrefix(raw, pos, { maxDepth: 8, maxItems: 256 });
      extensions = asMap(decoded.value, 'extensions');
      pos = decoded.end;
    } catch (e) {
      bad('extensions are not a valid CBOR map', e);
    }
  }
  if (pos !== raw.length) bad(`${raw.length - pos} unexpected trailing bytes`);
  return {
    raw,
    rpIdHash: Buffer.from(raw.subarray(0, 32)),
    flags,
    signCount: raw.readUInt32BE(33),
    ...(attested ? { attestedCredentialData: attested } : {}),
    ...(extensions ? { extensions } : {}),
  };
}
