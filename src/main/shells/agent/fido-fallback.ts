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
import { randomBytes } from 'node:crypto';
import type { AuthEvent } from '../../means/auth-event.js';
import { DEFAULT_RP_ID, FidoError, verifyFidoKey, type FidoEnrolmentStore, type UserVerification } from '../../means/fido2/index.js';
import { Ctap2Device } from '../../protocols/ctap2/ctap2-client.js';
import { Ctap2Error } from '../../protocols/ctap2/ctap2-error.js';
import { getAssertion } from '../../protocols/ctap2/get-assertion.js';
import { CTAP_STATUS } from '../../protocols/ctap2/status-codes.js';
import type { CtapKeepaliveStatus, CtapTransport } from '../../transports/ctap/ctap-transport.js';
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
  /** Aborting cancels the key's operation (CTAPHID_CANCEL): the login fails with `cancelled`. */
  readonly signal?: AbortSignal;
  /** Each keepalive of the key during the assertion (`user-presence-needed`: touch it now). */
  readonly onKeepalive?: (status: CtapKeepaliveStatus) => void;
}

/**
 * Whether the key holds one of `credentialIds` for `rpId`, asked silently (CTAP 2.1 §6.2,
 * getAssertion with `up: false` and no PIN, the pre-flight browsers do): `false` when the key
 * answers NO_CREDENTIALS — it is someone else's key and its PIN must not be tried; `true`, or
 * `undefined` when the key will not say without user verification (then it is tried).
 */
export async function holdsCredential(transport: CtapTransport, rpId: string, credentialIds: readonly Buffer[], timeoutMs: number): Promise<boolean | undefined> {
  try {
    await getAssertion(new Ctap2Device(transport, { timeoutMs }), { rpId, clientDataHash: randomBytes(32), allowList: [...credentialIds], options: { up: false } });
    return true;
  } catch (e) {
    if (e instanceof Ctap2Error && e.status === CTAP_STATUS.CTAP2_ERR_NO_CREDENTIALS) return false;
    return undefined;
  }
}

/**
 * Opens the first key among `candidates` that may hold the person's credential (a key that
 * says it holds none is closed and skipped, so no one else's PIN tries are spent). `no_device`
 * when no key answers, `not_enrolled` when keys answered but none is the person's.
 */
export async function openPersonKey(candidates: readonly string[], monitor: ReaderMonitor, rpId: string, credentialIds: readonly Buffer[], timeoutMs: number): Promise<CtapTransport> {
  let last: unknown;
  let foreign = 0;
  for (const uri of candidates) {
    let t: CtapTransport;
    try {
      t = await openCtapDevice(uri, { monitor, initTimeoutMs: 1500 });
    } catch (e) {
      last = e;
      continue;
    }
    if ((await holdsCredential(t, rpId, credentialIds, timeoutMs)) !== false) return t;
    foreign++;
    await t.close().catch(() => undefined);
  }
  if (foreign > 0) throw new FidoError('not_enrolled', `the security key${foreign > 1 ? 's' : ''} presented hold${foreign > 1 ? '' : 's'} no credential of this person`);
  throw new FidoError('no_device', `no security key found (tried ${candidates.length === 0 ? 'nothing' : candidates.join(', ')})${last instanceof Error ? `: ${last.message}` : ''}`, last !== undefined ? { cause: last } : undefined);
}

/** Credential ids of the person's active enrolments (`not_enrolled` / `revoked` before any key is touched). */
export async function personCredentials(req: FidoFallbackRequest, fido: EngineAgentFidoOptions): Promise<Buffer[]> {
  const enrolled = await fido.store.list({ personId: req.person, rpId: fido.rpId ?? DEFAULT_RP_ID });
  if (enrolled.length === 0) throw new FidoError('not_enrolled', `no FIDO2 key enrolled for ${req.person}`);
  const active = enrolled.filter((r) => !r.revoked);
  if (active.length === 0) throw new FidoError('revoked', `every FIDO2 key of ${req.person} is revoked`);
  return active.map((r) => Buffer.from(r.credentialId, 'base64url'));
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
      callOptions: { timeoutMs: fido.timeoutMs ?? 30_000, ...(req.signal ? { signal: req.signal } : {}), ...(req.onKeepalive ? { onKeepalive: req.onKeepalive } : {}) },
    });
    return event;
  } finally {
    if (uv.kind === 'pin') uv.pin.fill(0);
  }
}

export function errorCode(e: unknown): string {
  return isTesseraError(e) ? e.code : 'internal';
}
