/**
 * What the assertion endpoint asks of the agent: the session in front, if it may be asserted.
 * Only an ACTIVE session counts: a locked workstation, an expired window or a session still
 * authenticating yields nothing, and the provider falls back to its own login page.
 */
import type { Factor, MeansKind, Subject } from '../../../means/auth-event.js';
import type { EngineStatus } from '../../../session/engine/index.js';
import type { CardSigner } from '../../../means/cps/held-card.js';
import { sessionIdFor } from './protocol.js';

export interface AssertionSession {
  readonly person: Subject;
  readonly means: MeansKind;
  readonly factors: readonly Factor[];
  readonly sessionId: string;
  readonly twoFactorAt: Date;
  readonly twoFactorMeans: MeansKind;
  readonly windowEnd: Date;
  /** DER certificates of the card the session was opened with, leaf first (CPS sessions). */
  readonly certificateChain?: readonly Buffer[];
  /** The session's card, still held PIN-verified by the agent (CPS sessions with a chain). */
  readonly cardSigner?: CardSigner;
}

export interface AssertionSessionSource {
  status(): AssertionSession | undefined;
}

export interface EngineSourceOptions {
  /** Certificate chain of the card a person's session was opened with, when the agent kept it. */
  readonly certificateChain?: (person: Subject) => readonly Buffer[] | undefined;
  /** The card of a person's session when the agent still holds it verified. */
  readonly cardSigner?: (person: Subject) => CardSigner | undefined;
}

/** The session engine's status (or the recorded engine's) as an assertion source. */
export function sessionSourceFromEngine(engine: { status(): EngineStatus }, opts: EngineSourceOptions = {}): AssertionSessionSource {
  return {
    status(): AssertionSession | undefined {
      const s = engine.status();
      const cur = s.current;
      if (s.state !== 'active' || s.locked || !cur || cur.state !== 'active' || cur.timeLeftMs <= 0) return undefined;
      const chain = cur.twoFactor.means === 'cps' ? opts.certificateChain?.(cur.person) : undefined;
      const signer = chain && chain.length > 0 ? opts.cardSigner?.(cur.person) : undefined;
      return {
        person: cur.person,
        means: cur.means,
        factors: cur.factors,
        sessionId: sessionIdFor(s.workstation, cur.person.id, cur.twoFactor.at.getTime()),
        twoFactorAt: cur.twoFactor.at,
        twoFactorMeans: cur.twoFactor.means,
        windowEnd: cur.windowEnd,
        ...(chain && chain.length > 0 ? { certificateChain: chain } : {}),
        ...(signer ? { cardSigner: signer } : {}),
      };
    },
  };
}
