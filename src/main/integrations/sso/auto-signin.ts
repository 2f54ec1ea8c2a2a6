/**
 * The agent's automatic web sign-in: after each recorded two-factor decision that puts a person
 * in front of an open session (`open`, `unlock`, `switch_user` with two factors or more), the
 * OIDC client signs in through the configured browser opener (the provider asks the agent for its
 * proof, so nothing is typed) and the tokens are handed to the session-bound vault.
 *
 * One sign-in at a time, in the order of the decisions. A sign-in whose person is no longer in
 * front when it ends is refused by the vault (`adopt` checks the session); one whose ID token
 * names another account than the person (`subjectFor`) is refused here: its tokens are never
 * adopted. Failures are reported to `onError`, never thrown at the engine.
 */
import type { EngineStatus } from '../../session/engine/session-engine.js';
import type { Decision } from '../../session/policy/decision.js';
import type { BrowserOpener, SignInOptions, SignInResult } from './client/index.js';
import { SsoError } from './sso-error.js';
import { answerFromOidcTokens, type TokenEndpointAnswer } from './tokens/index.js';

/** A browser opener that may hold something to release once the sign-in ended (a browser context). */
export interface ClosableOpener extends BrowserOpener {
  close?(): Promise<void>;
}

export interface AutoSignInOptions {
  /** The recorded engine: decisions are heard once they are on the audit chain. */
  readonly engine: { onRecorded(listener: (d: Decision) => void): () => void; status(): EngineStatus };
  /**
   * `settled`, when the vault has it, is awaited before the browser is opened: the previous
   * person's provider logout (a fast user switch) is handed to the browser before the new sign-in.
   */
  readonly vault: { adopt(person: string, answer: TokenEndpointAnswer): Promise<void>; settled?(): Promise<void> };
  readonly client: { signIn(opts: SignInOptions): Promise<SignInResult> };
  /** A fresh opener per sign-in (its own cookies: a switch never rides on the previous person's browser session). */
  readonly opener: () => ClosableOpener | Promise<ClosableOpener>;
  /** The account expected in the ID token for a person (e.g. the RPPS number of `rpps:<n>`); absent: not checked here. */
  readonly subjectFor?: (person: string) => string | undefined;
  /** The ID token claim `subjectFor` is compared with (default `sub`; e.g. `preferred_username` where `sub` is the provider's own id). */
  readonly subjectClaim?: string;
  /** Per sign-in (default: the client's). */
  readonly timeoutMs?: number;
  /** Extra authorization request parameters (e.g. `prompt: consent`, which oidc-provider wants before it grants `offline_access`). */
  readonly extraParams?: Readonly<Record<string, string>>;
  readonly onSignedIn?: (result: AutoSignInResult) => void;
  readonly onError?: (error: unknown, person: string) => void;
}

export interface AutoSignInResult {
  readonly person: string;
  /** The provider's `sub` (a refresh must name the same). */
  readonly subject: string;
  readonly amr: readonly string[];
}

const OPENING: ReadonlySet<string> = new Set(['open', 'unlock', 'switch_user']);

/** True when `d` is a two-factor decision that leaves `d.person` in front of an open session. */
export function opensTwoFactorSession(d: Decision): d is Decision & { readonly person: string } {
  return OPENING.has(d.decision) && d.person !== undefined && (d.factors?.length ?? 0) >= 2;
}

/** The RPPS number of an `rpps:<11 digits>` person id (the provider's `sub` for a CPS holder). */
export function rppsSubject(person: string): string | undefined {
  return /^rpps:([0-9]{11})$/.exec(person)?.[1];
}

export class AutoSignIn {
  private chain: Promise<void> = Promise.resolve();
  private readonly off: () => void;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly opts: AutoSignInOptions) {
    this.off = opts.engine.onRecorded((d) => {
      if (!this.stopped && opensTwoFactorSession(d)) this.enqueue(d.person);
    });
  }

  /** Resolves once every sign-in started so far has ended (adopted or reported). */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.chain) {
      seen = this.chain;
      await seen;
    }
  }

  /** No new sign-in; the one running is cancelled. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.off();
    this.abort.abort();
    await this.idle();
  }

  private enqueue(person: string): void {
    this.chain = this.chain.then(() => this.run(person)).catch((e: unknown) => this.opts.onError?.(e, person));
  }

  private async run(person: string): Promise<void> {
    // Someone else came in front meanwhile: their own decision queued their sign-in.
    const c = this.opts.engine.status().current;
    if (this.stopped || !c || c.person.id !== person || c.state !== 'active') return;
    await this.opts.vault.settled?.();
    const opener = await this.opts.opener();
    let result: SignInResult;
    try {
      result = await this.opts.client.signIn({ opener, signal: this.abort.signal, ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}), ...(this.opts.extraParams ? { extraParams: this.opts.extraParams } : {}) });
    } finally {
      await opener.close?.().catch(() => undefined);
    }
    const subject = result.claims.sub;
    if (this.opts.subjectFor) {
      const claim = this.opts.subjectClaim ?? 'sub';
      const value: unknown = result.claims[claim];
      const account = typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
      const expected = this.opts.subjectFor(person);
      if (expected === undefined || account !== expected) {
        throw new SsoError('sso_no_token', `the provider signed in account ${account ?? `(no ${claim})`}, not the person in front`, { reason: 'subject_mismatch' });
      }
    }
    // expires_in from the client's own (wall clock) expiry: the vault counts it on its clock.
    await this.opts.vault.adopt(person, answerFromOidcTokens(result.tokens));
    const amr = Array.isArray(result.claims['amr']) ? result.claims['amr'].filter((a): a is string => typeof a === 'string') : [];
    this.opts.onSignedIn?.({ person, subject, amr });
  }
}
