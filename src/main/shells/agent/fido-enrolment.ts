/**
 * Enrolling a FIDO2 key from the workstation, inside the person's two-factor session
 * (`EngineAgent.enrolFidoKey`, the enrolment wizard): wait until a key is plugged in or laid on
 * a reader, choose how the person proves it is them to that key (its PIN, typed on the agent's
 * PIN pad, or its fingerprint when it has no PIN), make the credential (`enrollFidoKey`), and
 * audit the enrolment before the store holds it (`auditedStore`).
 */
import type { AuthEvent } from '../../means/auth-event.js';
import { FidoError, requireUvCapable, toFidoError, type FidoEnrolmentAudit, type FidoEnrolmentStore, type UserVerification } from '../../means/fido2/index.js';
import { Ctap2Device } from '../../protocols/ctap2/ctap2-client.js';
import { getInfo, uvCapability } from '../../protocols/ctap2/get-info.js';
import type { CtapKeepaliveStatus, CtapTransport } from '../../transports/ctap/ctap-transport.js';
import { openCtapDevice } from '../../transports/ctap/open-ctap-device.js';
import type { ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';

export interface FidoEnrolmentRequest {
  /** Asks the key's PIN once a key with a PIN is found; the Buffer is the agent's to wipe. */
  readonly pin: () => Promise<Buffer>;
  /** Aborting stops the wait for a key or the key's operation (CTAPHID_CANCEL): `cancelled`. */
  readonly signal?: AbortSignal;
  /** Each keepalive of the key: `user-presence-needed` is when the person must touch it. */
  readonly onKeepalive?: (status: CtapKeepaliveStatus) => void;
  /** `writing`: the key is making the credential; `registering`: it is being audited and stored. */
  readonly onStep?: (step: 'writing' | 'registering') => void;
  /** How long to wait for a key (default 60 s): then `no_device`. */
  readonly presentTimeoutMs?: number;
}

const POLL_MS = 500;

function cancelled(): FidoError {
  return new FidoError('cancelled', 'the enrolment was cancelled');
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Opens the first key among `candidates()` that answers, asking again every half second until
 * `timeoutMs` has passed (`no_device`) or `signal` aborts (`cancelled`).
 */
export async function waitForKey(candidates: () => Promise<readonly string[]>, monitor: ReaderMonitor, opts: { readonly signal?: AbortSignal | undefined; readonly timeoutMs: number }): Promise<CtapTransport> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) throw cancelled();
    for (const uri of await candidates()) {
      try {
        const t = await openCtapDevice(uri, { monitor, initTimeoutMs: 1000 });
        if (!opts.signal?.aborted) return t;
        await t.close().catch(() => undefined);
      } catch {
        // not there (yet): the next candidate, then the next round
      }
    }
    if (opts.signal?.aborted) throw cancelled();
    if (Date.now() >= deadline) throw new FidoError('no_device', `no security key was plugged in or presented within ${Math.round(opts.timeoutMs / 1000)} s`);
    await pause(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), opts.signal);
  }
}

/**
 * How the person proves it is them to this key: its PIN (asked now) when one is set, else its
 * built-in verification (fingerprint). A key that has neither is refused before anything is
 * asked: `uv_unavailable`, or `pin_not_set` when it could take a PIN but has none.
 */
export async function enrolmentVerification(transport: CtapTransport, askPin: () => Promise<Buffer>, timeoutMs: number): Promise<UserVerification> {
  let info: Awaited<ReturnType<typeof getInfo>>;
  try {
    info = await getInfo(new Ctap2Device(transport, { timeoutMs }));
  } catch (e) {
    throw toFidoError(e);
  }
  requireUvCapable(info);
  const cap = uvCapability(info);
  if (cap.pin === 'set') return { kind: 'pin', pin: await askPin() };
  if (cap.builtInUv === 'configured' && cap.permissionsTokens) return { kind: 'builtin' };
  if (cap.pin === 'not_set') throw new FidoError('pin_not_set', 'the key has no PIN yet: set one with `tessera fido set-pin` before enrolling it');
  throw new FidoError('uv_unavailable', 'the key has no PIN and no usable built-in verification');
}

/**
 * The store as the enrolment writes to it: `add` first says `registering`, then makes the
 * enrolment durable on the audit trail (a failure stops it: nothing is stored), then stores it.
 */
export function auditedStore(store: FidoEnrolmentStore, audit: FidoEnrolmentAudit | undefined, proof: AuthEvent, onRegistering?: () => void): FidoEnrolmentStore {
  return {
    list: (filter) => store.list(filter),
    get: (credentialId) => store.get(credentialId),
    update: (credentialId, patch) => store.update(credentialId, patch),
    add: async (record) => {
      onRegistering?.();
      await audit?.record({ operator: proof.subject.id, operatorFactors: [...proof.factors], credentialId: record.credentialId, subject: record.personId, at: new Date(record.enrolledAt) });
      await store.add(record);
    },
  };
}
