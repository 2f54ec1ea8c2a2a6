/**
 * "I forgot my card — use a security key": the FIDO2 fallback path of the agent
 * (../shared/docs/DOMAIN.md, degraded mode: forgotten card; docs/session-policy.md).
 *
 * The person names themself (the UI knows who is locked) and presents a key enrolled for them;
 * the key must verify the user (its PIN → knowledge, its fingerprint → inherence): the RIE rows
 * "FIDO2 key + PIN" and "FIDO2 key + biometrics on the key". The assertion is checked against the
 * enrolled public key (`verifyFidoKey`), the resulting `AuthEvent` is marked `fallback`, written
 * to the audit trail as `fallback_used` / `card_forgotten_fido_fallback` (durable before the
 * engine decides), and handed to the session engine, whose decision is recorded like any other.
 *
 * Where the key is looked for, in order: the device the request names; NFC keys lying on a PC/SC
 * reader (recognised by the agent when they arrived); the configured device URIs (`udp:` for
 * simulators, fixed `hid:` paths); USB keys listed through node-hid when enabled.
 */
import type { AuthEvent } from '../../means/auth-event.js';
import { FidoError, verifyFidoKey, type FidoEnrolmentStore, type UserVerification } from '../../means/fido2/index.js';
import type { CtapTransport } from '../../transports/ctap/ctap-transport.js';
import { listFidoDevices, openCtapDevice } from '../../transports/ctap/open-ctap-device.js';
import type { ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { isTesseraError } from '../../errors.js';

/** Reason of the `fallback_used` audit record written before the engine decides. */
export const FIDO_FALLBACK_REASON = 'card_forgotten_fido_fallback';

export interface EngineAgentFidoOptions {
  /** Where the persons' keys are enrolled (`fido2.enrolmentStorePath`). */
  readonly store: FidoEnrolmentStore;
  /** Relying party id of the enrolments (`fido2.rpId`, default `tessera.local`). */
  readonly rpId?: string;
  /** Device URIs tried after NFC keys on readers (`udp:127.0.0.1:8111` for a simulator, `hid:<path>`). */
  readonly devices?: readonly string[];
  /** Look for USB keys through node-hid (production). Default false. */
  readonly hid?: boolean;
  /**
   * The agent's own PIN pad for the key's PIN, used when the request carries no PIN. Resolving
   * `undefined` means "use the key's built-in verification (fingerprint)". Absent: built-in.
   */
  readonly pinPad?: (person: string) => Promise<Buffer | undefined>;
  /** Time allowed for each CTAP request (touch included); default 30 s. */
  readonly timeoutMs?: number;
}

export interface FidoFallbackRequest {
  /** Subject id of the person (`rpps:…` or a local id) whose enrolled key is presented. */
  readonly person: string;
  /** The key's PIN; wiped here whatever happens. Absent: the agent's PIN pad, else on-key UV. */
  readonly pin?: Buffer;
  /** Device URI to use; absent: the first key found. */
  readonly device?: string;
}

/** Opens the first key that answers among `candidates`; `no_device` when none does. */
export async function openFirstKey(candidates: readonly string[], monitor: ReaderMonitor): Promise<CtapTransport> {
  let last: unknown;
  for (const uri of candidates) {
    try {
      return await openCtapDevice(uri, { monitor, initTimeoutMs: 1500 });
    } catch (e) {
      last = e;
    }
  }
  throw new FidoError('no_device', `no security key found (tried ${candidates.length === 0 ? 'nothing' : candidates.join(', ')})${last instanceof Error ? `: ${last.message}` : ''}`, last !== undefined ? { cause: last } : undefined);
}

/** Device URIs to try for a request, in order. */
export async function keyCandidates(req: FidoFallbackRequest, fido: EngineAgentFidoOptions, nfcReaders: readonly string[]): Promise<string[]> {
  if (req.device !== undefined) return [req.device];
  const out = [...nfcReaders.map((r) => `pcsc:${r}`), ...(fido.devices ?? [])];
  if (fido.hid) {
    try {
      out.push(...(await listFidoDevices()).map((d) => d.uri));
    } catch {
      // no node-hid on this machine: the other transports still count
    }
  }
  return out;
}

/** How the person proves it is them to the key: the given PIN, the agent's PIN pad, or on-key UV. */
export async function userVerification(req: FidoFallbackRequest, fido: EngineAgentFidoOptions): Promise<UserVerification> {
  const pin = req.pin ?? (fido.pinPad ? await fido.pinPad(req.person) : undefined);
  return pin ? { kind: 'pin', pin } : { kind: 'builtin' };
}

/** Runs the assertion on `transport` and returns the fallback `AuthEvent`; the PIN is wiped. */
export async function fallbackEvent(transport: CtapTransport, req: FidoFallbackRequest, fido: EngineAgentFidoOptions, uv: UserVerification): Promise<AuthEvent> {
  try {
    const { event } = await verifyFidoKey(transport, {
      personId: req.person,
      ...(fido.rpId !== undefined ? { rpId: fido.rpId } : {}),
      verification: uv,
      store: fido.store,
      fallback: true,
      callOptions: { timeoutMs: fido.timeoutMs ?? 30_000 },
    });
    return event;
  } finally {
    if (uv.kind === 'pin') uv.pin.fill(0);
  }
}

export function errorCode(e: unknown): string {
  return isTesseraError(e) ? e.code : 'internal';
}
