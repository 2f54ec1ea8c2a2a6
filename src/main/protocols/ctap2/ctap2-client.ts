/**
 * CTAP2 commands (CTAP 2.1 §6) over any `CtapTransport`: one request = command byte + canonical
 * CBOR parameters; one answer = status byte + optional CBOR map, decoded with limits. A non-zero
 * status becomes `Ctap2Error('ctap_status')` carrying the status byte.
 */
import type { CtapKeepaliveStatus, CtapTransport } from '../../transports/ctap/ctap-transport.js';
import { asMap, decodeCbor, encodeCbor, type CborMap } from './cbor.js';
import { Ctap2Error } from './ctap2-error.js';

/** Command bytes (CTAP 2.1 §6, "authenticator API"). */
export const CTAP_COMMAND = {
  authenticatorMakeCredential: 0x01,
  authenticatorGetAssertion: 0x02,
  authenticatorGetInfo: 0x04,
  authenticatorClientPIN: 0x06,
  authenticatorReset: 0x07,
  authenticatorGetNextAssertion: 0x08,
} as const;

export type CtapCommandName = keyof typeof CTAP_COMMAND;

export interface Ctap2CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly onKeepalive?: (status: CtapKeepaliveStatus) => void;
}

/** Largest answer we accept (CTAPHID's own maximum message is 7609 bytes). */
const MAX_RESPONSE = 7609;

export class Ctap2Device {
  constructor(readonly transport: CtapTransport, private readonly defaults: Ctap2CallOptions = {}) {}

  /** Sends one command; resolves with the decoded answer map, or undefined for an empty answer. */
  async call(command: CtapCommandName, params?: CborMap, opts: Ctap2CallOptions = {}): Promise<CborMap | undefined> {
    const body = params ? encodeCbor(params) : Buffer.alloc(0);
    const request = Buffer.concat([Buffer.from([CTAP_COMMAND[command]]), body]);
    body.fill(0);
    const merged = { ...this.defaults, ...opts };
    let answer: Buffer;
    try {
      answer = await this.transport.cbor(request, merged);
    } finally {
      request.fill(0);
    }
    if (answer.length < 1) throw new Ctap2Error('invalid_response', `${command}: empty answer`);
    if (answer.length > MAX_RESPONSE) throw new Ctap2Error('invalid_response', `${command}: answer of ${answer.length} bytes is too large`);
    const status = answer[0]!;
    if (status !== 0) throw Ctap2Error.fromStatus(status, command);
    if (answer.length === 1) return undefined;
    return asMap(decodeCbor(answer.subarray(1)), command);
  }

  async callExpectingMap(command: CtapCommandName, params?: CborMap, opts?: Ctap2CallOptions): Promise<CborMap> {
    const m = await this.call(command, params, opts);
    if (!m) throw new Ctap2Error('invalid_response', `${command}: empty answer where a map was expected`);
    return m;
  }
}
