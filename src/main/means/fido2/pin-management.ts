/**
 * Setting and changing a key's PIN (CTAP 2.1 §6.5.5.5, §6.5.5.6), with the key's state checked
 * first so the person is told what to do, and a wrong current PIN reported with the tries left.
 * PIN Buffers stay the caller's to wipe.
 */
import type { CtapTransport } from '../../transports/ctap/ctap-transport.js';
import { Ctap2Device, type Ctap2CallOptions } from '../../protocols/ctap2/ctap2-client.js';
import { ClientPin } from '../../protocols/ctap2/client-pin.js';
import { Ctap2Error } from '../../protocols/ctap2/ctap2-error.js';
import { getInfo, uvCapability } from '../../protocols/ctap2/get-info.js';
import { CTAP_STATUS } from '../../protocols/ctap2/status-codes.js';
import { FidoError, toFidoError } from './fido-error.js';

export async function setFidoPin(transport: CtapTransport, newPin: Buffer, opts?: Ctap2CallOptions): Promise<void> {
  const device = new Ctap2Device(transport, opts);
  try {
    const info = await getInfo(device);
    const cap = uvCapability(info).pin;
    if (cap === 'unsupported') throw new FidoError('uv_unavailable', 'the key has no PIN support');
    if (cap === 'set') throw new FidoError('pin_already_set', 'the key already has a PIN: change it instead');
    await ClientPin.forInfo(device, info).setPin(newPin);
  } catch (e) {
    throw toFidoError(e);
  }
}

export async function changeFidoPin(transport: CtapTransport, currentPin: Buffer, newPin: Buffer, opts?: Ctap2CallOptions): Promise<void> {
  const device = new Ctap2Device(transport, opts);
  let cp: ClientPin | undefined;
  try {
    const info = await getInfo(device);
    const cap = uvCapability(info).pin;
    if (cap === 'unsupported') throw new FidoError('uv_unavailable', 'the key has no PIN support');
    if (cap === 'not_set') throw new FidoError('pin_not_set', 'the key has no PIN yet: set one first');
    cp = ClientPin.forInfo(device, info);
    await cp.changePin(currentPin, newPin);
  } catch (e) {
    if (cp && e instanceof Ctap2Error && e.code === 'ctap_status' && (e.status === CTAP_STATUS.CTAP2_ERR_PIN_INVALID || e.status === CTAP_STATUS.CTAP2_ERR_PIN_AUTH_BLOCKED)) {
      const retriesLeft = await cp.getRetries().then((r) => r.pinRetries, () => undefined);
      throw new FidoError(e.status === CTAP_STATUS.CTAP2_ERR_PIN_INVALID ? 'wrong_pin' : 'pin_auth_blocked', e.message, { cause: e, ...(retriesLeft !== undefined ? { retriesLeft } : {}) });
    }
    throw toFidoError(e);
  }
}
