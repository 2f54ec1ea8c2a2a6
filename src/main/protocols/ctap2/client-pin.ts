/**
 * authenticatorClientPIN (CTAP 2.1 §6.5.5), platform side. Every PIN stays in a Buffer owned
 * by the caller; the padded copies, hashes and shared secrets made here are wiped before
 * returning. Tokens returned are the caller's to wipe.
 */
import { Ctap2Device, type Ctap2CallOptions } from './ctap2-client.js';
import { cborMap, field, isBytes, isInt, isMap, isBool, optField, type CborMap } from './cbor.js';
import { Ctap2Error } from './ctap2-error.js';
import { encapsulate, padPin, pinHash, pinUvAuthProtocol, type PinUvAuthProtocol } from './pin-uv-auth-protocol.js';
import type { AuthenticatorInfo } from './get-info.js';

/** §6.5.5.1 subCommand values. */
export const CLIENT_PIN_SUBCOMMAND = {
  getPINRetries: 0x01,
  getKeyAgreement: 0x02,
  setPIN: 0x03,
  changePIN: 0x04,
  getPinToken: 0x05,
  getPinUvAuthTokenUsingUvWithPermissions: 0x06,
  getUVRetries: 0x07,
  getPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

/** §6.5.5.7 pinUvAuthToken permissions. */
export const PERMISSION = { mc: 0x01, ga: 0x02, cm: 0x04, be: 0x08, lbw: 0x10, acfg: 0x20 } as const;

/** §6.5.5.1 request parameter keys. */
const P = { pinUvAuthProtocol: 0x01, subCommand: 0x02, keyAgreement: 0x03, pinUvAuthParam: 0x04, newPinEnc: 0x05, pinHashEnc: 0x06, permissions: 0x09, rpId: 0x0a } as const;
/** §6.5.5.2 response keys. */
const R = { keyAgreement: 0x01, pinUvAuthToken: 0x02, pinRetries: 0x03, powerCycleState: 0x04, uvRetries: 0x05 } as const;

export interface PinUvAuthToken {
  readonly protocol: PinUvAuthProtocol;
  /** Wipe with `token.fill(0)` when done. */
  readonly token: Buffer;
}

export class ClientPin {
  constructor(readonly device: Ctap2Device, readonly protocol: PinUvAuthProtocol, private readonly opts: Ctap2CallOptions = {}) {}

  /** Prefers protocol 2 when the authenticator lists it (§6.5.4), else protocol 1. */
  static forInfo(device: Ctap2Device, info: AuthenticatorInfo, opts?: Ctap2CallOptions): ClientPin {
    const list = info.pinUvAuthProtocols.length ? info.pinUvAuthProtocols : [1];
    const version = list.includes(2) ? 2 : list.includes(1) ? 1 : undefined;
    if (version === undefined) throw new Ctap2Error('unsupported_pin_protocol', `authenticator offers PIN/UV protocols [${list.join(', ')}] only`);
    return new ClientPin(device, pinUvAuthProtocol(version), opts);
  }

  private send(sub: number, extra: ReadonlyArray<readonly [number, Buffer | number | string | CborMap | undefined]> = []): Promise<CborMap | undefined> {
    return this.device.call('authenticatorClientPIN', cborMap([[P.pinUvAuthProtocol, this.protocol.version], [P.subCommand, sub], ...extra]), this.opts);
  }

  async getRetries(): Promise<{ pinRetries: number; powerCycleState?: boolean }> {
    const m = asAnswer(await this.send(CLIENT_PIN_SUBCOMMAND.getPINRetries), 'getPINRetries');
    const powerCycleState = optField(m, R.powerCycleState, 'getPINRetries', isBool);
    return { pinRetries: field(m, R.pinRetries, 'getPINRetries', isInt), ...(powerCycleState !== undefined ? { powerCycleState } : {}) };
  }

  async getUvRetries(): Promise<number> {
    return field(asAnswer(await this.send(CLIENT_PIN_SUBCOMMAND.getUVRetries), 'getUVRetries'), R.uvRetries, 'getUVRetries', isInt);
  }

  async getKeyAgreement(): Promise<CborMap> {
    return field(asAnswer(await this.send(CLIENT_PIN_SUBCOMMAND.getKeyAgreement), 'getKeyAgreement'), R.keyAgreement, 'getKeyAgreement', isMap);
  }

  /** §6.5.5.5: only when no PIN is set. */
  async setPin(newPin: Buffer): Promise<void> {
    const padded = padPin(newPin);
    let ka: { platformKey: CborMap; sharedSecret: Buffer } | undefined;
    try {
      ka = encapsulate(this.protocol, await this.getKeyAgreement());
      const newPinEnc = this.protocol.encrypt(ka.sharedSecret, padded);
      const param = this.protocol.authenticate(ka.sharedSecret, newPinEnc);
      await this.send(CLIENT_PIN_SUBCOMMAND.setPIN, [[P.keyAgreement, ka.platformKey], [P.pinUvAuthParam, param], [P.newPinEnc, newPinEnc]]);
    } finally {
      padded.fill(0);
      ka?.sharedSecret.fill(0);
    }
  }

  /** §6.5.5.6: pinUvAuthParam over newPinEnc ‖ pinHashEnc. */
  async changePin(currentPin: Buffer, newPin: Buffer): Promise<void> {
    const padded = padPin(newPin);
    const hash = pinHash(currentPin);
    let ka: { platformKey: CborMap; sharedSecret: Buffer } | undefined;
    try {
      ka = encapsulate(this.protocol, await this.getKeyAgreement());
      const pinHashEnc = this.protocol.encrypt(ka.sharedSecret, hash);
      const newPinEnc = this.protocol.encrypt(ka.sharedSecret, padded);
      const param = this.protocol.authenticate(ka.sharedSecret, Buffer.concat([newPinEnc, pinHashEnc]));
      await this.send(CLIENT_PIN_SUBCOMMAND.changePIN, [
        [P.keyAgreement, ka.platformKey],
        [P.pinUvAuthParam, param],
        [P.newPinEnc, newPinEnc],
        [P.pinHashEnc, pinHashEnc],
      ]);
    } finally {
      padded.fill(0);
      hash.fill(0);
      ka?.sharedSecret.fill(0);
    }
  }

  /** §6.5.5.7.1 getPinToken (CTAP 2.0 style, no permissions). */
  getPinToken(pin: Buffer): Promise<PinUvAuthToken> {
    return this.tokenWithPin(CLIENT_PIN_SUBCOMMAND.getPinToken, pin, undefined, undefined);
  }

  /** §6.5.5.7.2 getPinUvAuthTokenUsingPinWithPermissions. */
  getPinUvAuthTokenUsingPinWithPermissions(pin: Buffer, permissions: number, rpId?: string): Promise<PinUvAuthToken> {
    if (permissions === 0) throw new Ctap2Error('invalid_argument', 'permissions must not be 0');
    return this.tokenWithPin(CLIENT_PIN_SUBCOMMAND.getPinUvAuthTokenUsingPinWithPermissions, pin, permissions, rpId);
  }

  /** §6.5.5.7.3 getPinUvAuthTokenUsingUvWithPermissions (built-in UV, e.g. a fingerprint). */
  async getPinUvAuthTokenUsingUvWithPermissions(permissions: number, rpId?: string): Promise<PinUvAuthToken> {
    if (permissions === 0) throw new Ctap2Error('invalid_argument', 'permissions must not be 0');
    const ka = encapsulate(this.protocol, await this.getKeyAgreement());
    try {
      const m = asAnswer(
        await this.send(CLIENT_PIN_SUBCOMMAND.getPinUvAuthTokenUsingUvWithPermissions, [[P.keyAgreement, ka.platformKey], [P.permissions, permissions], [P.rpId, rpId]]),
        'getPinUvAuthTokenUsingUvWithPermissions',
      );
      return { protocol: this.protocol, token: this.decryptToken(ka.sharedSecret, m) };
    } finally {
      ka.sharedSecret.fill(0);
    }
  }

  private async tokenWithPin(sub: number, pin: Buffer, permissions: number | undefined, rpId: string | undefined): Promise<PinUvAuthToken> {
    const hash = pinHash(pin);
    let ka: { platformKey: CborMap; sharedSecret: Buffer } | undefined;
    try {
      ka = encapsulate(this.protocol, await this.getKeyAgreement());
      const pinHashEnc = this.protocol.encrypt(ka.sharedSecret, hash);
      const m = asAnswer(
        await this.send(sub, [[P.keyAgreement, ka.platformKey], [P.pinHashEnc, pinHashEnc], [P.permissions, permissions], [P.rpId, rpId]]),
        'getPinToken',
      );
      return { protocol: this.protocol, token: this.decryptToken(ka.sharedSecret, m) };
    } finally {
      hash.fill(0);
      ka?.sharedSecret.fill(0);
    }
  }

  private decryptToken(sharedSecret: Buffer, m: CborMap): Buffer {
    const enc = field(m, R.pinUvAuthToken, 'pinUvAuthToken', isBytes);
    const token = this.protocol.decrypt(sharedSecret, enc);
    if (token.length !== 16 && token.length !== 32) {
      token.fill(0);
      throw new Ctap2Error('invalid_response', `pinUvAuthToken of ${token.length} bytes`);
    }
    return token;
  }
}

function asAnswer(m: CborMap | undefined, what: string): CborMap {
  if (!m) throw new Ctap2Error('invalid_response', `${what}: empty answer`);
  return m;
}
