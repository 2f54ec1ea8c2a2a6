/**
 * A simulated CTAP 2.1 authenticator (the DEVICE side), written from the spec independently of
 * the client in `src/main/protocols/ctap2/`: its own CBOR handling (plain `cbor-x`), its own
 * PIN/UV auth protocol code (authenticator-side `decapsulate`, `decrypt`, `verify`), real
 * ECDH, HMAC, AES and real ES256/Ed25519 credentials. `handler` is a `CtapCborHandler`, so the
 * same simulator runs in-process, behind CTAPHID over UDP, or as an NFC card through vpcd.
 *
 * Modes: PIN set / not set, no PIN support, built-in biometrics, user presence denied or timed
 * out, slow (keepalives first), wrong signature, sign-count regression, UV flag left clear.
 */
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, generateKeyPairSync, hkdfSync, randomBytes, sign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Encoder } from 'cbor-x';
import type { CtapCborHandler } from './ctaphid-device.js';

/** Status bytes this simulator answers (CTAP 2.1 §8.2). */
export const ST = {
  OK: 0x00, INVALID_COMMAND: 0x01, INVALID_PARAMETER: 0x02, INVALID_LENGTH: 0x03,
  CBOR_UNEXPECTED_TYPE: 0x11, INVALID_CBOR: 0x12, MISSING_PARAMETER: 0x14,
  CREDENTIAL_EXCLUDED: 0x19, UNSUPPORTED_ALGORITHM: 0x26, OPERATION_DENIED: 0x27, INVALID_OPTION: 0x2c, KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e, USER_ACTION_TIMEOUT: 0x2f, NOT_ALLOWED: 0x30, PIN_INVALID: 0x31, PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33, PIN_AUTH_BLOCKED: 0x34, PIN_NOT_SET: 0x35, PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37, UV_BLOCKED: 0x3c, INVALID_SUBCOMMAND: 0x3e, UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
} as const;

export interface SimAuthenticatorOptions {
  /** Initial PIN (UTF-8). Absent: PIN supported but not set. */
  pin?: string;
  /** false: no clientPin option at all (a touch-only key unless `builtInUv`). Default true. */
  pinSupport?: boolean;
  /** Built-in biometrics, enrolled: option `uv` true and getPinUvAuthTokenUsingUvWithPermissions. */
  builtInUv?: boolean;
  /** The fingerprint does not match (UV_INVALID). */
  uvMismatch?: boolean;
  /** User presence: granted (default), denied (OPERATION_DENIED) or never given (USER_ACTION_TIMEOUT). */
  userPresence?: 'granted' | 'denied' | 'timeout';
  /** Wait this long asking for a touch (keepalive user-presence-needed) before the answer. */
  touchDelayMs?: number;
  /** Slow key: every command first spends this long "processing" (keepalive processing), then answers. */
  processingDelayMs?: number;
  /** Sign something else than authData ‖ clientDataHash in assertions. */
  wrongSignature?: boolean;
  /** Counter going backwards between assertions, as a cloned key would. */
  signCountRegression?: boolean;
  /** Leave the UV flag clear in assertions even when a token was used (a misbehaving key). */
  clearUvFlag?: boolean;
  /** PIN/UV auth protocols offered, in order (default [2, 1]). */
  pinProtocols?: number[];
  /** Attestation format of makeCredential (default packed self attestation). */
  attestation?: 'packed' | 'none' | 'fido-u2f';
  /** Algorithms offered (default ES256 then EdDSA). */
  algorithms?: number[];
  aaguid?: Buffer;
  /** Apply the "3 consecutive wrong PINs need a power cycle" rule (default true). */
  threeStrikes?: boolean;
  /** A CTAP 2.0 key: FIDO_2_0 only, getPinToken only (no permissions tokens). */
  ctap20?: boolean;
}

type Req = Map<unknown, unknown>;
interface Credential { rpId: string; alg: number; privateKey: KeyObject; signCount: number }
interface Token { value: Buffer; protocol: number; permissions: number; rpId?: string; uv: boolean }

const enc = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });
const PIN_RETRIES_MAX = 8;
const ZERO_IV = Buffer.alloc(16);

class Status extends Error {
  constructor(readonly status: number, why: string) { super(why); }
}
const fail = (status: number, why: string): never => { throw new Status(status, why); };

function bytes(v: unknown, what: string): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v);
  return fail(v === undefined ? ST.MISSING_PARAMETER : ST.CBOR_UNEXPECTED_TYPE, `${what} must be a byte string`);
}
function int(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return fail(v === undefined ? ST.MISSING_PARAMETER : ST.CBOR_UNEXPECTED_TYPE, `${what} must be an integer`);
}
function text(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  return fail(v === undefined ? ST.MISSING_PARAMETER : ST.CBOR_UNEXPECTED_TYPE, `${what} must be text`);
}
function map(v: unknown, what: string): Req {
  if (v instanceof Map) return v as Req;
  return fail(v === undefined ? ST.MISSING_PARAMETER : ST.CBOR_UNEXPECTED_TYPE, `${what} must be a map`);
}

/** Authenticator-side PIN/UV auth protocol (CTAP 2.1 §6.5.6, §6.5.7). */
class DevicePinProtocol {
  private ecdh = createECDH('prime256v1');
  constructor(readonly version: number) { this.regenerate(); }
  regenerate(): void { this.ecdh = createECDH('prime256v1'); this.ecdh.generateKeys(); }
  getPublicKey(): Map<number, unknown> {
    const pub = this.ecdh.getPublicKey();
    return new Map<number, unknown>([[1, 2], [3, -25], [-1, 1], [-2, pub.subarray(1, 33)], [-3, pub.subarray(33)]]);
  }
  decapsulate(peer: Req): Buffer {
    if (peer.get(1) !== 2 || peer.get(-1) !== 1) fail(ST.INVALID_PARAMETER, 'keyAgreement is not EC2 P-256');
    const point = Buffer.concat([Buffer.from([4]), bytes(peer.get(-2), 'x'), bytes(peer.get(-3), 'y')]);
    let z: Buffer;
    try { z = this.ecdh.computeSecret(point); } catch { return fail(ST.INVALID_PARAMETER, 'keyAgreement point invalid'); }
    if (this.version === 1) return createHash('sha256').update(z).digest();
    const salt = Buffer.alloc(32);
    return Buffer.concat([Buffer.from(hkdfSync('sha256', z, salt, Buffer.from('CTAP2 HMAC key'), 32)), Buffer.from(hkdfSync('sha256', z, salt, Buffer.from('CTAP2 AES key'), 32))]);
  }
  private aesKey(key: Buffer): Buffer { return this.version === 2 && key.length === 64 ? key.subarray(32) : key; }
  private hmacKey(key: Buffer): Buffer { return this.version === 2 && key.length === 64 ? key.subarray(0, 32) : key; }
  encrypt(key: Buffer, pt: Buffer): Buffer {
    const iv = this.version === 1 ? ZERO_IV : randomBytes(16);
    const c = createCipheriv('aes-256-cbc', this.aesKey(key), iv).setAutoPadding(false);
    const ct = Buffer.concat([c.update(pt), c.final()]);
    return this.version === 1 ? ct : Buffer.concat([iv, ct]);
  }
  decrypt(key: Buffer, ct: Buffer): Buffer {
    const iv = this.version === 1 ? ZERO_IV : ct.subarray(0, 16);
    const body = this.version === 1 ? ct : ct.subarray(16);
    if (body.length === 0 || body.length % 16 !== 0) fail(ST.INVALID_PARAMETER, 'ciphertext length');
    const d = createDecipheriv('aes-256-cbc', this.aesKey(key), iv).setAutoPadding(false);
    return Buffer.concat([d.update(body), d.final()]);
  }
  verify(key: Buffer, message: Buffer, signature: Buffer): boolean {
    const mac = createHmac('sha256', this.hmacKey(key)).update(message).digest();
    const expected = this.version === 1 ? mac.subarray(0, 16) : mac;
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

export class SimAuthenticator {
  readonly aaguid: Buffer;
  private pinHash: Buffer | undefined;
  private pinRetries = PIN_RETRIES_MAX;
  private consecutiveFails = 0;
  private readonly protocols: Map<number, DevicePinProtocol>;
  private token: Token | undefined;
  private readonly credentials = new Map<string, Credential>();
  private pending: Buffer[] = [];
  private nextCounter = 0;
  /** Nanoseconds spent inside the handler for each request (the benchmark's floor). */
  readonly processingNs: bigint[] = [];
  /** Every request's command byte, for tests that check what the client sent. */
  readonly commandsSeen: number[] = [];

  constructor(readonly opts: SimAuthenticatorOptions = {}) {
    this.aaguid = opts.aaguid ?? Buffer.from('7e55e8a0c0de4fa1b0a0f1d02a17e55e', 'hex');
    if (opts.pin !== undefined) this.pinHash = leftHash(Buffer.from(opts.pin, 'utf8'));
    this.protocols = new Map((opts.pinProtocols ?? [2, 1]).map((v) => [v, new DevicePinProtocol(v)]));
    if (opts.signCountRegression) this.nextCounter = 100;
  }

  get pinIsSet(): boolean { return this.pinHash !== undefined; }
  get retries(): number { return this.pinRetries; }
  get credentialCount(): number { return this.credentials.size; }

  /** Simulates unplugging and plugging the key back: new key agreement, token dropped, strikes reset. */
  powerCycle(): void {
    for (const p of this.protocols.values()) p.regenerate();
    this.token = undefined;
    this.consecutiveFails = 0;
  }

  readonly handler: CtapCborHandler = async (request, ctx) => {
    const started = process.hrtime.bigint();
    let waited = 0n;
    const waitTouch = async (): Promise<void> => {
      const t0 = process.hrtime.bigint();
      try { await this.userPresence(ctx); } finally { waited += process.hrtime.bigint() - t0; }
    };
    try {
      if (request.length < 1) return Buffer.from([ST.INVALID_LENGTH]);
      this.commandsSeen.push(request[0]!);
      let params: Req | undefined;
      if (request.length > 1) {
        let decoded: unknown;
        try { decoded = enc.decode(request.subarray(1)); } catch { return Buffer.from([ST.INVALID_CBOR]); }
        params = map(decoded, 'parameters');
      }
      if (this.opts.processingDelayMs) {
        const t0 = process.hrtime.bigint();
        const end = Date.now() + this.opts.processingDelayMs;
        while (Date.now() < end && !ctx.signal.aborted) {
          ctx.keepalive('processing');
          await new Promise((r) => setTimeout(r, Math.min(40, Math.max(1, end - Date.now()))));
        }
        waited += process.hrtime.bigint() - t0;
        if (ctx.signal.aborted) return Buffer.from([ST.KEEPALIVE_CANCEL]);
      }
      const answer = await this.dispatch(request[0]!, params ?? new Map(), waitTouch);
      return answer === undefined ? Buffer.from([ST.OK]) : Buffer.concat([Buffer.from([ST.OK]), Buffer.from(enc.encode(answer) as Uint8Array)]);
    } catch (e) {
      if (e instanceof Status) return Buffer.from([e.status]);
      throw e;
    } finally {
      this.processingNs.push(process.hrtime.bigint() - started - waited);
    }
  };

  private async userPresence(ctx: Parameters<CtapCborHandler>[1]): Promise<void> {
    const mode = this.opts.userPresence ?? 'granted';
    const delay = this.opts.touchDelayMs ?? (mode === 'timeout' ? 250 : 0);
    const end = Date.now() + delay;
    while (Date.now() < end) {
      ctx.keepalive('user-presence-needed');
      if (ctx.signal.aborted) fail(ST.KEEPALIVE_CANCEL, 'cancelled');
      await new Promise((r) => setTimeout(r, Math.min(40, Math.max(1, end - Date.now()))));
    }
    if (ctx.signal.aborted) fail(ST.KEEPALIVE_CANCEL, 'cancelled');
    if (mode === 'denied') fail(ST.OPERATION_DENIED, 'user denied');
    if (mode === 'timeout') fail(ST.USER_ACTION_TIMEOUT, 'no touch');
  }

  private async dispatch(cmd: number, p: Req, touch: () => Promise<void>): Promise<unknown> {
    switch (cmd) {
      case 0x04: return this.getInfo();
      case 0x06: return this.clientPin(p, touch);
      case 0x01: return this.makeCredential(p, touch);
      case 0x02: return this.getAssertion(p, touch);
      case 0x08: return this.getNextAssertion();
      default: return fail(ST.INVALID_COMMAND, `command 0x${cmd.toString(16)}`);
    }
  }

  private getInfo(): Map<number, unknown> {
    const options = new Map<string, boolean>([['rk', true], ['up', true], ['plat', false]]);
    if (this.opts.pinSupport !== false) options.set('clientPin', this.pinIsSet);
    if (this.opts.builtInUv) options.set('uv', true);
    if ((this.opts.pinSupport !== false || this.opts.builtInUv) && !this.opts.ctap20) options.set('pinUvAuthToken', true);
    options.set('makeCredUvNotRqd', false);
    const algs = this.opts.algorithms ?? [-7, -8];
    return new Map<number, unknown>([
      [0x01, this.opts.ctap20 ? ['FIDO_2_0'] : ['FIDO_2_0', 'FIDO_2_1']],
      [0x03, this.aaguid],
      [0x04, options],
      [0x05, 1200],
      [0x06, [...this.protocols.keys()]],
      [0x0a, algs.map((alg) => new Map<string, unknown>([['alg', alg], ['type', 'public-key']]))],
      [0x0d, 4],
    ]);
  }

  private protocolOf(p: Req, key: number): DevicePinProtocol {
    const v = int(p.get(key), 'pinUvAuthProtocol');
    return this.protocols.get(v) ?? fail(ST.INVALID_PARAMETER, `protocol ${v} not supported`);
  }

  private async clientPin(p: Req, touch: () => Promise<void>): Promise<unknown> {
    if (this.opts.pinSupport === false && !this.opts.builtInUv) return fail(ST.INVALID_COMMAND, 'no clientPIN');
    const proto = this.protocolOf(p, 0x01);
    const sub = int(p.get(0x02), 'subCommand');
    if (this.opts.ctap20 && sub > 0x05) fail(ST.INVALID_SUBCOMMAND, 'CTAP 2.0 key');
    switch (sub) {
      case 0x01: return new Map<number, unknown>([[0x03, this.pinRetries], [0x04, false]]);
      case 0x02: return new Map<number, unknown>([[0x01, proto.getPublicKey()]]);
      case 0x07: return new Map<number, unknown>([[0x05, 5]]);
      case 0x03: return this.setPin(proto, p);
      case 0x04: return this.changePin(proto, p);
      case 0x05:
      case 0x09: return this.tokenWithPin(proto, p, sub);
      case 0x06: return this.tokenWithUv(proto, p, touch);
      default: return fail(ST.INVALID_SUBCOMMAND, `subCommand ${sub}`);
    }
  }

  private requirePinSupport(): void {
    if (this.opts.pinSupport === false) fail(ST.INVALID_SUBCOMMAND, 'PIN not supported');
  }

  private setPin(proto: DevicePinProtocol, p: Req): undefined {
    this.requirePinSupport();
    if (this.pinIsSet) fail(ST.NOT_ALLOWED, 'PIN already set');
    const shared = proto.decapsulate(map(p.get(0x03), 'keyAgreement'));
    const newPinEnc = bytes(p.get(0x05), 'newPinEnc');
    if (!proto.verify(shared, newPinEnc, bytes(p.get(0x04), 'pinUvAuthParam'))) fail(ST.PIN_AUTH_INVALID, 'setPIN auth');
    this.storeNewPin(proto.decrypt(shared, newPinEnc));
    return undefined;
  }

  private storeNewPin(padded: Buffer): void {
    if (padded.length !== 64) fail(ST.PIN_POLICY_VIOLATION, 'paddedNewPin must be 64 bytes');
    let end = padded.indexOf(0);
    if (end < 0) end = 64;
    const pin = padded.subarray(0, end);
    if ([...pin.toString('utf8')].length < 4) fail(ST.PIN_POLICY_VIOLATION, 'PIN shorter than 4 code points');
    this.pinHash = leftHash(pin);
    this.pinRetries = PIN_RETRIES_MAX;
    this.consecutiveFails = 0;
    this.token = undefined;
    padded.fill(0);
  }

  /** §6.5.5.5-7 PIN check with the retry counter and the 3-consecutive-failures rule. */
  private checkPinHash(proto: DevicePinProtocol, shared: Buffer, pinHashEnc: Buffer): void {
    if (!this.pinHash) fail(ST.PIN_NOT_SET, 'no PIN');
    if (this.pinRetries === 0) fail(ST.PIN_BLOCKED, 'blocked');
    if ((this.opts.threeStrikes ?? true) && this.consecutiveFails >= 3) fail(ST.PIN_AUTH_BLOCKED, 'power cycle needed');
    this.pinRetries -= 1;
    const got = proto.decrypt(shared, pinHashEnc);
    if (got.length !== 16 || !timingSafeEqual(got, this.pinHash!)) {
      proto.regenerate();
      this.consecutiveFails += 1;
      if (this.pinRetries === 0) fail(ST.PIN_BLOCKED, 'blocked now');
      if ((this.opts.threeStrikes ?? true) && this.consecutiveFails >= 3) fail(ST.PIN_AUTH_BLOCKED, 'third consecutive failure');
      fail(ST.PIN_INVALID, 'wrong PIN');
    }
    this.pinRetries = PIN_RETRIES_MAX;
    this.consecutiveFails = 0;
  }

  private changePin(proto: DevicePinProtocol, p: Req): undefined {
    this.requirePinSupport();
    if (!this.pinIsSet) fail(ST.PIN_NOT_SET, 'no PIN');
    if (this.pinRetries === 0) fail(ST.PIN_BLOCKED, 'blocked');
    const shared = proto.decapsulate(map(p.get(0x03), 'keyAgreement'));
    const newPinEnc = bytes(p.get(0x05), 'newPinEnc');
    const pinHashEnc = bytes(p.get(0x06), 'pinHashEnc');
    if (!proto.verify(shared, Buffer.concat([newPinEnc, pinHashEnc]), bytes(p.get(0x04), 'pinUvAuthParam'))) fail(ST.PIN_AUTH_INVALID, 'changePIN auth');
    this.checkPinHash(proto, shared, pinHashEnc);
    this.storeNewPin(proto.decrypt(shared, newPinEnc));
    return undefined;
  }

  private issueToken(proto: DevicePinProtocol, shared: Buffer, permissions: number, rpId: string | undefined, uv: boolean): Map<number, unknown> {
    this.token = { value: randomBytes(32), protocol: proto.version, permissions, ...(rpId !== undefined ? { rpId } : {}), uv };
    return new Map<number, unknown>([[0x02, proto.encrypt(shared, this.token.value)]]);
  }

  private tokenWithPin(proto: DevicePinProtocol, p: Req, sub: number): Map<number, unknown> {
    this.requirePinSupport();
    const shared = proto.decapsulate(map(p.get(0x03), 'keyAgreement'));
    let permissions = 0x03;
    let rpId: string | undefined;
    if (sub === 0x09) {
      permissions = int(p.get(0x09), 'permissions');
      if (permissions === 0) fail(ST.INVALID_PARAMETER, 'permissions 0');
      rpId = p.get(0x0a) === undefined ? undefined : text(p.get(0x0a), 'rpId');
    } else if (p.has(0x09) || p.has(0x0a)) {
      fail(ST.INVALID_PARAMETER, 'getPinToken takes no permissions');
    }
    this.checkPinHash(proto, shared, bytes(p.get(0x06), 'pinHashEnc'));
    return this.issueToken(proto, shared, permissions, rpId, true);
  }

  private async tokenWithUv(proto: DevicePinProtocol, p: Req, touch: () => Promise<void>): Promise<Map<number, unknown>> {
    if (!this.opts.builtInUv) fail(ST.NOT_ALLOWED, 'no built-in UV');
    const shared = proto.decapsulate(map(p.get(0x03), 'keyAgreement'));
    const permissions = int(p.get(0x09), 'permissions');
    if (permissions === 0) fail(ST.INVALID_PARAMETER, 'permissions 0');
    const rpId = p.get(0x0a) === undefined ? undefined : text(p.get(0x0a), 'rpId');
    await touch(); // the finger on the sensor is also presence
    if (this.opts.uvMismatch) fail(ST.UV_INVALID, 'fingerprint not recognised');
    return this.issueToken(proto, shared, permissions, rpId, true);
  }

  /** Checks pinUvAuthParam against the current token (§6.1.2 step 11, §6.2.2 step 9). */
  private checkToken(p: Req, paramKey: number, protoKey: number, clientDataHash: Buffer, permission: number, rpId: string): boolean {
    const param = p.get(paramKey);
    if (param === undefined) return false;
    const proto = this.protocolOf(p, protoKey);
    const t = this.token;
    if (!t || t.protocol !== proto.version || !proto.verify(t.value, clientDataHash, bytes(param, 'pinUvAuthParam'))) fail(ST.PIN_AUTH_INVALID, 'pinUvAuthParam');
    if ((t!.permissions & permission) === 0) fail(ST.UNAUTHORIZED_PERMISSION, 'permission');
    if (t!.rpId !== undefined && t!.rpId !== rpId) fail(ST.UNAUTHORIZED_PERMISSION, 'rpId');
    if (t!.rpId === undefined) t!.rpId = rpId;
    return true;
  }

  private optionUv(p: Req, key: number): boolean {
    const o = p.get(key);
    if (o === undefined) return false;
    const m = map(o, 'options');
    const uv = m.get('uv');
    if (uv === true && !this.opts.builtInUv) fail(ST.INVALID_OPTION, 'uv option without built-in UV');
    return uv === true;
  }

  private async makeCredential(p: Req, touch: () => Promise<void>): Promise<Map<number, unknown>> {
    const cdh = bytes(p.get(0x01), 'clientDataHash');
    const rpId = text(map(p.get(0x02), 'rp').get('id'), 'rp.id');
    bytes(map(p.get(0x03), 'user').get('id'), 'user.id');
    const params = p.get(0x04);
    if (!Array.isArray(params)) return fail(ST.MISSING_PARAMETER, 'pubKeyCredParams');
    const offered = this.opts.algorithms ?? [-7, -8];
    const alg = params.map((x) => int(map(x, 'pubKeyCredParam').get('alg'), 'alg')).find((a) => offered.includes(a));
    if (alg === undefined) return fail(ST.UNSUPPORTED_ALGORITHM, 'no supported algorithm');
    const uvByToken = this.checkToken(p, 0x08, 0x09, cdh, 0x01, rpId);
    const uvBuiltIn = !uvByToken && this.optionUv(p, 0x07);
    if (!uvByToken && !uvBuiltIn && this.pinIsSet) fail(ST.PUAT_REQUIRED, 'PIN set: pinUvAuthParam required');
    const exclude = p.get(0x05);
    const excluded = Array.isArray(exclude) && exclude.some((d) => this.credentials.get(bytes(map(d, 'descriptor').get('id'), 'id').toString('hex'))?.rpId === rpId);
    await touch();
    if (uvBuiltIn && this.opts.uvMismatch) fail(ST.UV_INVALID, 'fingerprint');
    if (excluded) fail(ST.CREDENTIAL_EXCLUDED, 'already registered on this key');
    const { privateKey, publicKey } = alg === -7 ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = alg === -7
      ? new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]])
      : new Map<number, unknown>([[1, 1], [3, -8], [-1, 6], [-2, Buffer.from(jwk.x!, 'base64url')]]);
    const credentialId = randomBytes(48);
    const counter = this.nextCounter;
    this.credentials.set(credentialId.toString('hex'), { rpId, alg, privateKey, signCount: counter });
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(credentialId.length);
    const flags = 0x01 | (uvByToken || uvBuiltIn ? 0x04 : 0) | 0x40;
    const authData = Buffer.concat([authDataHead(rpId, flags, counter), this.aaguid, idLen, credentialId, Buffer.from(enc.encode(cose) as Uint8Array)]);
    const fmt = this.opts.attestation ?? 'packed';
    const toSign = Buffer.concat([authData, cdh]);
    const attStmt = fmt === 'none'
      ? new Map()
      : fmt === 'fido-u2f'
        ? new Map<string, unknown>([['sig', sign('sha256', toSign, privateKey)], ['x5c', [randomBytes(64)]]])
        : new Map<string, unknown>([['alg', alg], ['sig', sign(alg === -7 ? 'sha256' : null, toSign, privateKey)]]);
    if (this.token) this.token.permissions &= ~0x01; // mc is consumed after use (§6.1.2)
    return new Map<number, unknown>([[0x01, fmt], [0x02, authData], [0x03, attStmt]]);
  }

  private async getAssertion(p: Req, touch: () => Promise<void>): Promise<Map<number, unknown>> {
    const rpId = text(p.get(0x01), 'rpId');
    const cdh = bytes(p.get(0x02), 'clientDataHash');
    const allow = p.get(0x03);
    const ids = Array.isArray(allow) ? allow.map((d) => bytes(map(d, 'descriptor').get('id'), 'id')) : [];
    const uvByToken = this.checkToken(p, 0x06, 0x07, cdh, 0x02, rpId);
    const uvBuiltIn = !uvByToken && this.optionUv(p, 0x05);
    const matches = ids.map((id) => ({ id, cred: this.credentials.get(id.toString('hex')) })).filter((x) => x.cred && x.cred.rpId === rpId);
    if (matches.length === 0) fail(ST.NO_CREDENTIALS, 'no credential');
    // Option up: false (a silent pre-flight, CTAP 2.1 §6.2.2) asks for no touch.
    const options = p.get(0x05);
    if (!(options instanceof Map && options.get('up') === false)) await touch();
    if (uvBuiltIn && this.opts.uvMismatch) fail(ST.UV_INVALID, 'fingerprint');
    const uv = (uvByToken || uvBuiltIn) && !this.opts.clearUvFlag;
    const answers = matches.map(({ id, cred }) => this.assert(id, cred!, rpId, cdh, uv));
    this.pending = answers.slice(1).map((a) => Buffer.from(enc.encode(a) as Uint8Array));
    const first = answers[0]!;
    if (answers.length > 1) first.set(0x05, answers.length);
    return first;
  }

  private assert(id: Buffer, cred: Credential, rpId: string, cdh: Buffer, uv: boolean): Map<number, unknown> {
    cred.signCount = this.opts.signCountRegression ? Math.max(0, cred.signCount - 1) : cred.signCount + 1;
    const authData = authDataHead(rpId, 0x01 | (uv ? 0x04 : 0), cred.signCount);
    const signed = Buffer.concat([authData, this.opts.wrongSignature ? createHash('sha256').update('not the client data').digest() : cdh]);
    const signature = sign(cred.alg === -7 ? 'sha256' : null, signed, cred.privateKey);
    return new Map<number, unknown>([[0x01, new Map<string, unknown>([['id', id], ['type', 'public-key']])], [0x02, authData], [0x03, signature]]);
  }

  private getNextAssertion(): unknown {
    const next = this.pending.shift();
    if (!next) return fail(ST.NOT_ALLOWED, 'no pending assertion');
    return enc.decode(next) as unknown;
  }
}

function leftHash(pin: Buffer): Buffer {
  return createHash('sha256').update(pin).digest().subarray(0, 16);
}

function authDataHead(rpId: string, flags: number, counter: number): Buffer {
  const head = Buffer.alloc(37);
  createHash('sha256').update(rpId).digest().copy(head, 0);
  head[32] = flags;
  head.writeUInt32BE(counter >>> 0, 33);
  return head;
}
