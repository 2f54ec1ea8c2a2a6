/**
 * The agent runtime with the UI core in front of it: the PIN pad, the reader monitor and the
 * runtime's report wired to the core, in the order the runtime needs them (the PIN pad exists
 * before the runtime starts). Electron main and the web demo start the agent this way.
 */
import { startAgentRuntime, tokensHeldForFront, type AgentRuntime, type AgentRuntimeOptions } from '../agent/agent-runtime.js';
import type { EngineAgentRecord } from '../agent/engine-agent.js';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../../means/desfire/badge-pin.js';
import { ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { IpcErrorCode, err, ok } from '../../../shared/result.js';
import type { SsoView } from '../../../shared/status-view.js';
import { BadgeEnrolment } from './badge-enrolment.js';
import { EnrolmentRunner } from './enrolment-runner.js';
import { KeyEnrolment } from './key-enrolment.js';
import { fidoPinLength, PinBroker } from './pin-broker.js';
import { UiCore, type UiCoreOptions } from './ui-core.js';

/** The PIN pad's "reader" for the key's PIN: the name the agent reports a failed fallback under. */
const FIDO_PROMPT = 'fido2';

/**
 * Web SSO as the status shows it when a provider is configured: the token vault holds tokens for
 * the person in front (`signed-in`), it does not (`signed-out`), or the provider is unreachable
 * (`error`, with the probe's code).
 */
function ssoOf(issuerUrl: string | undefined, runtime: AgentRuntime): Pick<UiCoreOptions, 'sso'> {
  const probe = runtime.probe;
  if (issuerUrl === undefined || !probe) return {};
  const provider = new URL(issuerUrl).host;
  return {
    sso: {
      current: (): SsoView => {
        if (probe.state() !== 'down') {
          // Signed in when the session-bound vault holds tokens for the person in front.
          const vault = runtime.tokens;
          return { state: vault && tokensHeldForFront(vault, runtime.engine.status()) ? 'signed-in' : 'signed-out', provider };
        }
        const code = runtime.degraded().find((r) => r.code === 'idp_unreachable' || r.code === 'network_down')?.code ?? 'idp_unreachable';
        return { state: 'error', provider, code };
      },
    },
  };
}

export interface UiAgentOptions extends Omit<AgentRuntimeOptions, 'pinPad' | 'monitor'> {
  readonly monitor?: ReaderMonitor;
  readonly ui?: Omit<UiCoreOptions, 'runtime' | 'pins' | 'monitor'>;
}

export interface UiAgent {
  readonly runtime: AgentRuntime;
  readonly core: UiCore;
  readonly pins: PinBroker;
  readonly monitor: ReaderMonitor;
  /** Stops the UI core (pending PIN request cancelled), then the runtime. Idempotent. */
  stop(): Promise<void>;
}

export async function startUiAgent(opts: UiAgentOptions): Promise<UiAgent> {
  const pins = new PinBroker();
  const monitor = opts.monitor ?? new ReaderMonitor();
  // Records that come while the runtime starts (a card already in) wait for the core.
  const to: { core?: UiCore } = {};
  const early: EngineAgentRecord[] = [];
  const report = (r: EngineAgentRecord): void => {
    if (to.core) to.core.record(r);
    else early.push(r);
    opts.report?.(r);
  };
  const { ui, fido, badge, ...runtimeOptions } = opts;
  // Who the last tap on each reader was (the badge register's name), for the badge PIN prompt.
  const tapped = new Map<string, string>();
  const badgePinPad = (reader: string): Promise<Buffer> =>
    pins.ask({ reader, holder: tapped.get(reader) ?? reader, means: 'desfire', reason: 'second_factor', length: { min: PIN_MIN_DIGITS, max: PIN_MAX_DIGITS } });
  const holderOf = (person: string): string => {
    const s = [rt.runtime?.engine.status().current, ...(rt.runtime?.engine.status().others ?? [])].find((x) => x?.person.id === person);
    return s?.person.name.trim() || person;
  };
  const rt: { runtime?: AgentRuntime } = {};
  // The security-key login in progress from the UI: cancelling "touch your key" aborts it.
  let keyRun: AbortController | undefined;
  const cancelKeyRun = (): void => keyRun?.abort();
  const runtime = await startAgentRuntime({
    ...runtimeOptions,
    monitor,
    pinPad: pins.cpsPinPad,
    report,
    // A badge tapped outside a window asks its PIN (badge + PIN) on the same PIN pad.
    ...(badge ? { badge: { ...badge, pinPad: badge.pinPad ?? badgePinPad } } : {}),
    // The key's PIN is typed on the same PIN pad; the touch prompt follows it.
    ...(fido ? { fido: { ...fido, pinPad: (person: string) => pins.ask({ reader: FIDO_PROMPT, holder: holderOf(person), means: 'fido2', length: fidoPinLength, touchAfter: cancelKeyRun }) } } : {}),
  });
  rt.runtime = runtime;
  // Decisions are heard before the call that made them returns: the name is known before the PIN is asked.
  const offTaps = runtime.engine.onRecorded((d) => {
    if (d.event !== 'badge_tap' || d.reader === undefined) return;
    const name = d.meansRef?.kind === 'desfire' ? badge?.register.find(d.meansRef.id)?.name : undefined;
    tapped.set(d.reader, name?.trim() || d.person || d.reader);
  });
  const securityKey = (): ReturnType<NonNullable<UiCoreOptions['securityKey']>> => {
    // The person in front (locked or expired) is the one who forgot their card.
    const s = runtime.engine.status().current;
    if (!s) return err({ code: IpcErrorCode.noSession, message: 'no session to resume with a security key' });
    if (s.state === 'active') return err({ code: IpcErrorCode.busy, message: 'the session is already open' });
    const run = new AbortController();
    keyRun = run;
    runtime.agent
      .fidoFallback({
        person: s.person.id,
        signal: run.signal,
        // The key asks for a touch: "touch your key", which the person may cancel.
        onKeepalive: (status) => {
          if (status === 'user-presence-needed') pins.showTouch(cancelKeyRun);
        },
      })
      .catch(() => undefined) // refused (or cancelled) and recorded by the agent; the report turns a refusal into a notice
      .finally(() => {
        if (keyRun === run) keyRun = undefined;
        pins.clearTouch();
      });
    return ok(null);
  };
  // Badges and keys enrolled from the UI inside the person's two-factor session (when configured), one at a time.
  const runner = new EnrolmentRunner({ pins, status: () => runtime.engine.status() });
  const badges = badge ? new BadgeEnrolment({ pins, monitor, runner, status: () => runtime.engine.status(), enrolBadge: (req) => runtime.agent.enrolBadge(req) }) : undefined;
  const keys = fido ? new KeyEnrolment({ pins, runner, enrolFidoKey: (req) => runtime.agent.enrolFidoKey(req) }) : undefined;
  const enrolKinds = [...(badges ? (['badge'] as const) : []), ...(keys ? (['fido2'] as const) : [])];
  const started = new UiCore({
    ...ui,
    // Enrolment of what is configured, unless the host says otherwise.
    policy: { ...ui?.policy, enrol: ui?.policy?.enrol ?? enrolKinds },
    runtime,
    pins,
    monitor,
    ...(fido ? { securityKey } : {}),
    ...ssoOf(opts.config.sso.issuerUrl, runtime),
    ...(badges || keys
      ? {
          enrol: (request, progress) => {
            const kind = request.kind === 'badge' ? badges : keys;
            return Promise.resolve(kind ? kind.start(request, progress) : err({ code: IpcErrorCode.notAllowed, message: `no ${request.kind} enrolment on this workstation` }));
          },
          cancelEnrol: (id) => runner.cancel(id),
          quiet: () => runner.active,
        }
      : {}),
  });
  to.core = started;
  for (const r of early.splice(0)) started.record(r);
  let stopping: Promise<void> | undefined;
  return {
    runtime,
    core: started,
    pins,
    monitor,
    stop: () =>
      (stopping ??= (async () => {
        offTaps();
        started.stop();
        await runtime.stop();
      })()),
  };
}
