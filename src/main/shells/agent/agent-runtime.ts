/**
 * The agent as a long-lived process, assembled from a validated configuration: audit log (and
 * its forwarder when configured), session engine recorded into that log, the reader-driven
 * `EngineAgent`, and the local control channel. `stop()` undoes it in reverse order: the
 * control socket closes first (no new request), then the readers stop, the last decisions are
 * recorded, the forwarder drains what it can and the log is closed.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig } from '../../config/schema.js';
import { sessionEngineSettings } from '../../config/schema.js';
import { AuditForwarder, AuditLog, HttpCollectorSink, SyslogSink, auditInputFromAuthEvent, auditInputFromDecision, auditInputFromEnrolment, auditInputFromFidoEnrolment, type AuditInput, type AuditSink } from '../../integrations/audit/index.js';
import { ControlServer, controlHandlerFor, defaultControlPath, degradedModeView, streamDecisions, agentStatus, type AgentSurroundings, type ControlHandler, type ControllableEngine } from '../../integrations/control/index.js';
import { recordCardEvidence, startAgentAssertion, type AgentAssertion, type AgentAssertionOptions } from '../../integrations/sso/assertion/index.js';
import type { SecretStore } from '../../integrations/keychain/index.js';
import { TokenBroker, brokerSettings } from '../../integrations/sso/broker/index.js';
import { SessionTokenVault, type SessionTokenVaultOptions, type TokenSource } from '../../integrations/sso/tokens/index.js';
import { AutoSignIn, type AutoSignInOptions } from '../../integrations/sso/auto-signin.js';
import { ConnectivityProbe, DegradedReasons, type ConnectivityProbeOptions, type DegradedChange } from '../../integrations/health/index.js';
import type { TrustStore } from '../../means/cps/trust-store.js';
import { RecordedSessionEngine, SessionEngine, type EngineClock } from '../../session/engine/index.js';
import { enrolmentRegisterRegistry, StaticMeansRegistry, type MeansRegistry } from '../../session/policy/means-ref.js';
import { ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import type { OsEventSource } from './os-events.js';
import { FIDO_FALLBACK_REASON, type EngineAgentFidoOptions } from './fido-fallback.js';
import { EngineAgent, type DegradedReason, type EngineAgentBadgeOptions, type EngineAgentRecord, type EnginePinPad } from './engine-agent.js';

export interface AgentRuntimeOptions {
  readonly config: AgentConfig;
  readonly trust: TrustStore;
  readonly pinPad: EnginePinPad;
  readonly badge?: EngineAgentBadgeOptions;
  /** FIDO2 keys as the forgotten-card fallback (`fidoFallback` here and on the control channel). */
  readonly fido?: EngineAgentFidoOptions;
  /** Registered means for re-identification (default: the badge register when badges are on, else none). */
  readonly registry?: MeansRegistry;
  readonly monitor?: ReaderMonitor;
  readonly clock?: EngineClock;
  /** Written in every decision and audit record (default: the host name). */
  readonly workstation?: string;
  /** Overrides `control.socketPath` of the configuration. */
  readonly socketPath?: string;
  /** Overrides the sink built from `audit.forwarding`. */
  readonly forwardSink?: AuditSink;
  readonly report?: (record: EngineAgentRecord) => void;
  /** Screen lock, sleep and resume from the OS (Linux: `DbusMonitorOsEvents`); absent: none. */
  readonly osEvents?: OsEventSource;
  /** Timing of the identity provider probe (started when `sso.issuerUrl` is set). */
  readonly probe?: Pick<ConnectivityProbeOptions, 'timeoutMs' | 'intervalMs' | 'backoff'>;
  /** Agent-asserted web SSO: the loopback assertion endpoint and logout notices (docs/agent-assertion-protocol.md). */
  readonly assertion?: AgentAssertionOptions;
  /**
   * Web SSO tokens bound to the session (`runtime.tokens`: the sign-in hands its tokens to
   * `adopt`) and the token broker on the control channel's `token` method, allow-listed by
   * `tokenBroker.*`. Absent: no vault, `token` is answered `unknown_method`.
   */
  readonly tokens?: { readonly store: SecretStore; readonly source: TokenSource; readonly logout?: SessionTokenVaultOptions['logout']; readonly onWarning?: SessionTokenVaultOptions['onWarning'] };
  /**
   * Automatic web sign-in (needs `tokens`): after each recorded two-factor decision that opens a
   * session, the OIDC client signs in through the opener and the vault adopts the tokens.
   */
  readonly autoSignIn?: Omit<AutoSignInOptions, 'engine' | 'vault'>;
}

export interface AgentRuntime {
  readonly agent: EngineAgent;
  readonly engine: RecordedSessionEngine;
  readonly audit: AuditLog;
  readonly forwarder: AuditForwarder | undefined;
  readonly control: ControlServer;
  readonly socketPath: string;
  /** The identity provider probe, when `sso.issuerUrl` is configured. */
  readonly probe: ConnectivityProbe | undefined;
  /** The assertion endpoint and workstation key, when `assertion` was given. */
  readonly assertion: AgentAssertion | undefined;
  /** The session's web SSO tokens, when `tokens` was given. */
  readonly tokens: SessionTokenVault | undefined;
  /** The automatic web sign-in, when `autoSignIn` (and `tokens`) were given. */
  readonly autoSignIn: AutoSignIn | undefined;
  /** Why the agent is degraded (empty: it is not). */
  degraded(): readonly DegradedReason[];
  /** Idempotent. */
  stop(): Promise<void>;
}

function forwardSinkFrom(config: AgentConfig): AuditSink | undefined {
  const f = config.audit.forwarding;
  if (f.httpUrl !== undefined) return new HttpCollectorSink({ url: f.httpUrl });
  if (f.syslog !== undefined) {
    const i = f.syslog.lastIndexOf(':');
    return new SyslogSink({ host: f.syslog.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(f.syslog.slice(i + 1)), protocol: 'tcp' });
  }
  return undefined;
}

/** The audit record of a degraded reason that starts or ends (the detail as a lower-case code). */
function degradedAuditInput(change: DegradedChange): AuditInput {
  const detail = change.reason.detail?.toLowerCase().replace(/[^a-z0-9_.:-]/g, '_').slice(0, 64);
  return {
    event: change.kind === 'entered' ? 'degraded_mode_entered' : 'degraded_mode_left',
    decision: 'info',
    reason: change.reason.code,
    ...(detail && /^[a-z0-9]/.test(detail) ? { details: { errorCode: detail } } : {}),
  };
}

/** Whether the vault holds tokens for the person of the session in front (the web SSO is signed in for them). */
export function tokensHeldForFront(vault: Pick<SessionTokenVault, 'view'>, status: { readonly current?: { readonly person: { readonly id: string } } | undefined }): boolean {
  const held = vault.view();
  return held !== undefined && held.person === status.current?.person.id;
}

/** Starts everything; on a failure part-way, what was started is stopped again before the error is thrown. */
export async function startAgentRuntime(opts: AgentRuntimeOptions): Promise<AgentRuntime> {
  const { config } = opts;
  const workstation = opts.workstation ?? (hostname() || 'local');
  const cleanups: Array<() => Promise<void> | void> = [];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep undoing
      }
    }
  };
  try {
    const audit = await AuditLog.open({
      dir: config.audit.dir,
      workstation,
      maxFileBytes: config.audit.rotation.maxFileBytes,
      rotateDaily: config.audit.rotation.daily,
      ...(opts.clock ? { clock: () => new Date(opts.clock?.now() ?? Date.now()) } : {}),
    });
    cleanups.push(() => audit.close());

    let forwarder: AuditForwarder | undefined;
    const sink = opts.forwardSink ?? forwardSinkFrom(config);
    if (sink) {
      forwarder = await AuditForwarder.open({ sink, spoolDir: join(config.audit.dir, 'forward-queue'), maxSpoolBytes: config.audit.forwarding.queueMaxBytes });
      const detach = await forwarder.attach(audit);
      forwarder.start();
      const fw = forwarder;
      cleanups.push(async () => {
        detach();
        await fw.stop();
      });
    }

    const degraded = new DegradedReasons(opts.clock ? () => new Date(opts.clock?.now() ?? Date.now()) : undefined);
    const offline = (): boolean => degraded.has('idp_unreachable') || degraded.has('network_down');
    const registry = opts.registry ?? (opts.badge ? enrolmentRegisterRegistry(opts.badge.register) : new StaticMeansRegistry());
    const engine = new SessionEngine({ registry, config: { ...sessionEngineSettings(config), workstation }, ...(opts.clock ? { clock: opts.clock } : {}) });
    const recorded = new RecordedSessionEngine(engine, async (d) => {
      const input = auditInputFromDecision(d);
      // A decision taken while the provider is unreachable says so (the policy is the same).
      await audit.append(offline() ? { ...input, details: { ...input.details, offline: true } } : input);
    });
    cleanups.push(async () => {
      await recorded.idle();
      recorded.dispose();
    });

    // With the assertion endpoint, the chain of each card login is kept as evidence for the proofs.
    const evidence = opts.assertion ? recordCardEvidence(opts.trust) : undefined;
    const agent = new EngineAgent({
      monitor: opts.monitor ?? new ReaderMonitor(),
      engine: recorded,
      trust: evidence?.trust ?? opts.trust,
      pinPad: opts.pinPad,
      ...(opts.badge ? { badge: opts.badge } : {}),
      ...(opts.report ? { report: opts.report } : {}),
      ...(opts.fido ? { fido: opts.fido } : {}),
      ...(opts.osEvents ? { osEvents: opts.osEvents } : {}),
      // The fallback path is on the chain before the engine decides on it.
      recordFallback: async (ev) => {
        await audit.append(auditInputFromAuthEvent(ev, 'info', FIDO_FALLBACK_REASON, 'fallback_used'));
      },
      // Enrolment, re-key and revocation are on the chain before they take effect.
      enrolmentAudit: {
        record: async (entry) => {
          await audit.append(auditInputFromEnrolment(entry));
        },
      },
      fidoEnrolmentAudit: {
        record: async (entry) => {
          await audit.append(auditInputFromFidoEnrolment(entry));
        },
      },
      degraded,
      // Card-signed proofs: the session's CPS card stays PIN-verified on its connection.
      ...(opts.assertion && opts.assertion.cardSignature !== false ? { holdCard: {} } : {}),
    });
    // Filled in once the vault exists: the web SSO line of `status`.
    const ssoState: { current?: () => NonNullable<ReturnType<NonNullable<AgentSurroundings['sso']>>> } = {};
    const around: AgentSurroundings = {
      degraded: () => degraded.active,
      degradedReasons: () => degraded.list(),
      readers: () => agent.readers(),
      ...(opts.tokens && config.sso.issuerUrl !== undefined ? { sso: () => ssoState.current?.() ?? { provider: '', signedIn: false } } : {}),
    };
    const socketPath = opts.socketPath ?? config.control.socketPath ?? defaultControlPath();
    // Subscribers see a decision once it is recorded (never one that was rolled back).
    const controllable: ControllableEngine = { status: () => recorded.status(), lock: () => recorded.lock(), signOut: () => recorded.signOut(), onDecision: (l) => recorded.onRecorded(l) };
    // Tokens follow the recorded decisions (a rolled-back one never drops them); their refresh failures are a degraded reason.
    let tokens: SessionTokenVault | undefined;
    let broker: TokenBroker | undefined;
    if (opts.tokens) {
      const vault = new SessionTokenVault({
        engine: controllable,
        store: opts.tokens.store,
        source: opts.tokens.source,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.tokens.logout ? { logout: opts.tokens.logout } : {}),
        ...(opts.tokens.onWarning ? { onWarning: opts.tokens.onWarning } : {}),
        onDegraded: (state) => (state ? degraded.enter('idp_unreachable', 'token_refresh') : degraded.leave('idp_unreachable')),
      });
      tokens = vault;
      cleanups.push(() => vault.stop());
      if (config.sso.issuerUrl !== undefined) {
        const provider = new URL(config.sso.issuerUrl).host;
        ssoState.current = () => ({ provider, signedIn: tokensHeldForFront(vault, recorded.status()) });
      }
      broker = new TokenBroker({ vault, ...brokerSettings(config), audit: (input) => audit.append(input), ...(opts.clock ? { now: () => opts.clock?.now() ?? Date.now() } : {}) });
    }
    const tokenBroker = broker;
    // Stopped before the vault (cleanups run in reverse): no sign-in adopts into a stopped vault.
    let autoSignIn: AutoSignIn | undefined;
    if (opts.autoSignIn && tokens) {
      const a = new AutoSignIn({ ...opts.autoSignIn, engine: recorded, vault: tokens });
      autoSignIn = a;
      cleanups.push(() => a.stop());
    }
    const handler: ControlHandler = {
      ...controlHandlerFor(controllable, around),
      ...(tokenBroker ? { token: (p, connection) => tokenBroker.request(p, connection) } : {}),
      ...(opts.fido
        ? {
            fidoFallback: async (p) => {
              // The PIN leaves the JSON text at once for a Buffer the agent wipes (docs/session-policy.md).
              const d = await agent.fidoFallback({ person: p.person, ...(p.pin !== undefined ? { pin: Buffer.from(p.pin, 'utf8') } : {}), ...(p.device !== undefined ? { device: p.device } : {}) });
              return { decision: d.decision, reason: d.reason, ...(d.person !== undefined ? { person: d.person } : {}), ...(d.means !== undefined ? { means: d.means } : {}), ...(d.factors !== undefined ? { factors: [...d.factors] } : {}), fallback: d.fallback === true };
            },
          }
        : {}),
    };
    const control = await ControlServer.start({ path: socketPath, handler });
    cleanups.push(() => control.close());
    const offStream = streamDecisions(controllable, control, around);
    cleanups.push(offStream);
    // Each start or end of a degraded reason: recorded, then pushed to subscribers.
    const offDegraded = degraded.onChange((change, all) => {
      void audit
        .append(degradedAuditInput(change))
        .catch(() => undefined)
        .then(() => {
          control.publish('degraded', degradedModeView(all));
          control.publish('status', agentStatus(recorded.status(), around));
        });
    });
    cleanups.push(offDegraded);

    let probe: ConnectivityProbe | undefined;
    if (config.sso.issuerUrl !== undefined) {
      const p = new ConnectivityProbe({
        issuerUrl: config.sso.issuerUrl,
        ...opts.probe,
        onChange: (r) => {
          // Held as the probe's: the token refresh may hold idp_unreachable on its own.
          if (r.state === 'up') {
            degraded.leave('idp_unreachable', 'probe');
            degraded.leave('network_down', 'probe');
            // A refresh that failed meanwhile holds idp_unreachable too: retried now, not at the next request.
            void tokens?.providerBack();
            return;
          }
          const code = r.code ?? 'idp_unreachable';
          degraded.leave(code === 'idp_unreachable' ? 'network_down' : 'idp_unreachable', 'probe');
          degraded.enter(code, r.detail, 'probe');
        },
      });
      probe = p;
      p.start();
      cleanups.push(() => p.stop());
    }

    // Proofs of the recorded engine's session for the configured providers; notices at sign-out/expiry.
    let assertion: AgentAssertion | undefined;
    if (opts.assertion) {
      const held = agent.heldCard;
      const a = await startAgentAssertion(recorded, workstation, {
        ...(evidence ? { certificateChain: evidence.chainFor } : {}),
        ...(held ? { cardSigner: (person) => held.signer(person.id) } : {}),
        ...opts.assertion,
      });
      assertion = a;
      cleanups.push(() => a.stop());
    }

    // Undone first (cleanups run in reverse): the readers stop before the engine and the log.
    await agent.start();
    cleanups.push(() => agent.stop());

    let stopping: Promise<void> | undefined;
    return {
      agent, engine: recorded, audit, forwarder, control, socketPath, probe, assertion, tokens, autoSignIn,
      degraded: () => degraded.list(),
      stop: () => (stopping ??= (async () => {
        // Control first: nobody asks anything of a stopping agent.
        await control.close().catch(() => undefined);
        await undo();
      })()),
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
