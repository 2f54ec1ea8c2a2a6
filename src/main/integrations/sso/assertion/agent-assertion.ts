/**
 * The agent's part of the agent-asserted login, assembled for the runtime: the workstation key
 * (generated on first start), the loopback assertion endpoint reading the recorded engine's
 * status, and the logout notices sent after each recorded sign-out or expiry.
 */
import type { Subject } from '../../../means/auth-event.js';
import type { EngineStatus } from '../../../session/engine/index.js';
import type { Decision } from '../../../session/policy/decision.js';
import { AssertionServer, type AssertionAnswer } from './assertion-server.js';
import { LogoutNotifier, logoutOnSessionEnd, type LogoutOutcome } from './logout-notifier.js';
import type { CardSigner } from '../../../means/cps/held-card.js';
import { sessionSourceFromEngine, type EngineSourceOptions } from './session-source.js';
import { loadOrCreateWorkstationKey, type WorkstationKey } from './workstation-key.js';

export interface AgentAssertionOptions {
  /** Folder of the workstation key (created 0700). */
  readonly keyDir: string;
  /** Loopback port of the endpoint (the providers are configured with it). */
  readonly port: number;
  /** Issuers of the providers this agent asserts to and notifies at logout. */
  readonly providers: readonly string[];
  /** Certificate chain (DER, leaf first) of the card a person's session was opened with, when kept. */
  readonly certificateChain?: (person: Subject) => readonly Buffer[] | undefined;
  /**
   * Sign each CPS session's proof with the card itself too, while the agent holds it PIN-verified
   * (`sso.assertion.cardSignature`; default true). The runtime then keeps the card after login.
   */
  readonly cardSignature?: boolean;
  /** The held card of a person's session (wired by the runtime when `cardSignature` is on). */
  readonly cardSigner?: (person: Subject) => CardSigner | undefined;
  readonly onAnswer?: (answer: AssertionAnswer) => void;
  readonly onLogout?: (person: string, outcomes: readonly LogoutOutcome[]) => void;
}

export interface AgentAssertion {
  readonly key: WorkstationKey;
  readonly server: AssertionServer;
  stop(): Promise<void>;
}

export async function startAgentAssertion(
  engine: { status(): EngineStatus; onRecorded(listener: (d: Decision) => void): () => void },
  workstation: string,
  opts: AgentAssertionOptions,
): Promise<AgentAssertion> {
  const key = await loadOrCreateWorkstationKey(opts.keyDir);
  const sourceOptions: EngineSourceOptions = {
    ...(opts.certificateChain ? { certificateChain: opts.certificateChain } : {}),
    ...(opts.cardSigner && opts.cardSignature !== false ? { cardSigner: opts.cardSigner } : {}),
  };
  const server = await AssertionServer.start({
    key,
    source: sessionSourceFromEngine(engine, sourceOptions),
    providers: opts.providers,
    workstation,
    port: opts.port,
    ...(opts.onAnswer ? { onAnswer: opts.onAnswer } : {}),
  });
  const off = logoutOnSessionEnd(engine, new LogoutNotifier({ key, workstation, providers: opts.providers }), opts.onLogout);
  return {
    key,
    server,
    stop: async () => {
      off();
      await server.close();
    },
  };
}
