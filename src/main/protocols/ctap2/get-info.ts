/** authenticatorGetInfo (CTAP 2.1 §6.4). */
import { Ctap2Device, type Ctap2CallOptions } from './ctap2-client.js';
import { field, isArray, isBool, isBytes, isInt, isMap, isText, optField, type CborValue } from './cbor.js';
import { Ctap2Error } from './ctap2-error.js';

export interface AuthenticatorInfo {
  readonly versions: readonly string[];
  readonly extensions: readonly string[];
  /** 16 bytes. */
  readonly aaguid: Buffer;
  /** Options map as sent (absent keys have spec defaults, see the helpers below). */
  readonly options: Readonly<Record<string, boolean>>;
  readonly maxMsgSize?: number;
  readonly pinUvAuthProtocols: readonly number[];
  readonly transports?: readonly string[];
  readonly algorithms?: ReadonlyArray<{ readonly type: string; readonly alg: number }>;
  readonly minPinLength?: number;
  readonly firmwareVersion?: number;
  readonly forcePinChange?: boolean;
}

const textList = (v: CborValue[] | undefined, what: string): string[] =>
  (v ?? []).map((x) => {
    if (typeof x !== 'string') throw new Ctap2Error('invalid_response', `${what}: expected text`);
    return x;
  });

export async function getInfo(device: Ctap2Device, opts?: Ctap2CallOptions): Promise<AuthenticatorInfo> {
  const m = await device.callExpectingMap('authenticatorGetInfo', undefined, opts);
  const what = 'authenticatorGetInfo';
  const aaguid = field(m, 0x03, what, isBytes);
  if (aaguid.length !== 16) throw new Ctap2Error('invalid_response', `${what}: AAGUID is not 16 bytes`);
  const optMap = optField(m, 0x04, what, isMap);
  const options: Record<string, boolean> = {};
  for (const [k, v] of optMap ?? []) {
    if (typeof k !== 'string' || typeof v !== 'boolean') throw new Ctap2Error('invalid_response', `${what}: options must map text to booleans`);
    options[k] = v;
  }
  const protocols = (optField(m, 0x06, what, isArray) ?? []).map((x) => {
    if (!isInt(x)) throw new Ctap2Error('invalid_response', `${what}: pinUvAuthProtocols must be integers`);
    return x;
  });
  const algorithms = optField(m, 0x0a, what, isArray)?.map((x) => {
    if (!isMap(x)) throw new Ctap2Error('invalid_response', `${what}: algorithms must be maps`);
    return { type: field(x, 'type', what, isText), alg: field(x, 'alg', what, isInt) };
  });
  const transports = optField(m, 0x09, what, isArray);
  const info: AuthenticatorInfo = {
    versions: textList(field(m, 0x01, what, isArray), what),
    extensions: textList(optField(m, 0x02, what, isArray), what),
    aaguid,
    options,
    pinUvAuthProtocols: protocols,
    ...(optField(m, 0x05, what, isInt) !== undefined ? { maxMsgSize: optField(m, 0x05, what, isInt) } : {}),
    ...(transports ? { transports: textList(transports, what) } : {}),
    ...(algorithms ? { algorithms } : {}),
    ...(optField(m, 0x0d, what, isInt) !== undefined ? { minPinLength: optField(m, 0x0d, what, isInt) } : {}),
    ...(optField(m, 0x0e, what, isInt) !== undefined ? { firmwareVersion: optField(m, 0x0e, what, isInt) } : {}),
    ...(optField(m, 0x0c, what, isBool) !== undefined ? { forcePinChange: optField(m, 0x0c, what, isBool) } : {}),
  };
  return info;
}

/**
 * What the key can do for user verification (§6.4 options `clientPin` and `uv`):
 * `clientPin` absent = no PIN support; false = supported but not set; true = set.
 */
export interface UvCapability {
  readonly pin: 'set' | 'not_set' | 'unsupported';
  /** Built-in UV (biometrics) present and configured. */
  readonly builtInUv: 'configured' | 'not_configured' | 'unsupported';
  /** The key supports getPinUvAuthTokenUsing*WithPermissions (CTAP 2.1 `pinUvAuthToken`). */
  readonly permissionsTokens: boolean;
}

export function uvCapability(info: AuthenticatorInfo): UvCapability {
  const cp = info.options['clientPin'];
  const uv = info.options['uv'];
  return {
    pin: cp === true ? 'set' : cp === false ? 'not_set' : 'unsupported',
    builtInUv: uv === true ? 'configured' : uv === false ? 'not_configured' : 'unsupported',
    permissionsTokens: info.options['pinUvAuthToken'] === true,
  };
}
