/**
 * The RIE rule for FIDO2 keys: a key counts only with user verification, by PIN (knowledge) or
 * by on-key biometrics (inherence). This module checks what the key can do (getInfo options),
 * refuses touch-only keys, guides toward setting a PIN, and obtains a pinUvAuthToken scoped to
 * one permission and one rpId.
 */
import { ClientPin, type PinUvAuthToken } from '../../protocols/ctap2/client-pin.js';
import type { Ctap2Device, Ctap2CallOptions } from '../../protocols/ctap2/ctap2-client.js';
import { Ctap2Error } from '../../protocols/ctap2/ctap2-error.js';
import { uvCapability, type AuthenticatorInfo } from '../../protocols/ctap2/get-info.js';
import { CTAP_STATUS } from '../../protocols/ctap2/status-codes.js';
import type { Factor } from '../auth-event.js';
import { FidoError, toFidoError } from './fido-error.js';

/** How the person proves it is them to the key. The PIN Buffer stays the caller's to wipe. */
export type UserVerification = { readonly kind: 'pin'; readonly pin: Buffer } | { readonly kind: 'builtin' };

export interface VerifiedToken {
  readonly token: PinUvAuthToken;
  readonly factor: Extract<Factor, 'knowledge' | 'inherence'>;
}

/** Refuses keys that cannot verify the user at all, whatever the caller asked for. */
export function requireUvCapable(info: AuthenticatorInfo): void {
  const cap = uvCapability(info);
  if (cap.pin === 'unsupported' && cap.builtInUv === 'unsupported') {
    throw new FidoError('uv_unavailable', 'the key supports neither a PIN nor built-in user verification (touch-only keys are not a two-factor means)');
  }
}

export async function obtainToken(device: Ctap2Device, info: AuthenticatorInfo, uv: UserVerification, permissions: number, rpId: string, opts?: Ctap2CallOptions): Promise<VerifiedToken> {
  requireUvCapable(info);
  const cap = uvCapability(info);
  let clientPin: ClientPin;
  try {
    clientPin = ClientPin.forInfo(device, info, opts);
  } catch (e) {
    throw toFidoError(e);
  }
  if (uv.kind === 'builtin') {
    if (cap.builtInUv !== 'configured' || !cap.permissionsTokens) {
      throw new FidoError('uv_unavailable', cap.builtInUv === 'not_configured' ? 'no fingerprint is enrolled on the key' : 'the key has no built-in user verification usable here', { reason: cap.pin === 'unsupported' ? 'no_uv' : 'use_pin' });
    }
    try {
      return { token: await clientPin.getPinUvAuthTokenUsingUvWithPermissions(permissions, rpId), factor: 'inherence' };
    } catch (e) {
      throw toFidoError(e);
    }
  }
  if (cap.pin === 'unsupported') throw new FidoError('uv_unavailable', 'the key has no PIN support', { reason: 'use_builtin_uv' });
  if (cap.pin === 'not_set') throw new FidoError('pin_not_set', 'the key supports a PIN but none is set: set one with `tessera fido set-pin`');
  try {
    const token = cap.permissionsTokens
      ? await clientPin.getPinUvAuthTokenUsingPinWithPermissions(uv.pin, permissions, rpId)
      : await clientPin.getPinToken(uv.pin);
    return { token, factor: 'knowledge' };
  } catch (e) {
    if (e instanceof Ctap2Error && e.code === 'ctap_status' && (e.status === CTAP_STATUS.CTAP2_ERR_PIN_INVALID || e.status === CTAP_STATUS.CTAP2_ERR_PIN_AUTH_BLOCKED)) {
      const retriesLeft = await clientPin.getRetries().then((r) => r.pinRetries, () => undefined);
      const code = e.status === CTAP_STATUS.CTAP2_ERR_PIN_INVALID ? 'wrong_pin' : 'pin_auth_blocked';
      throw new FidoError(code, e.message, { cause: e, ...(retriesLeft !== undefined ? { retriesLeft } : {}) });
    }
    throw toFidoError(e);
  }
}
