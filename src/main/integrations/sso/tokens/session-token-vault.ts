/**
 * The web SSO tokens of the person in front, bound to their two-factor session.
 *
 * Where each token lives:
 *  - access and ID tokens: in memory only, in Buffers wiped when dropped;
 *  - the refresh token: in the OS keychain (`SecretStore`, account `sso.refresh:<person>`), read
 *    only for the time of a refresh and wiped after it.
 *
 * Rules (the session engine's decisions and status drive them; time comes from its clock):
 *  - tokens are taken only for the person of the current, active two-factor session, inside
 *    its EXI 14 window;
 *  - they are dropped (memory wiped, keychain item deleted, provider logout hook called) when
 *    that session is signed out, when its window ends, or when another person's session comes
 *    to the front (a fast user switch, a new 2FA);
 *  - they are kept while the session is locked inside the window, but nothing is handed out
 *    until it is unlocked again;
 *  - the window end is set by two-factor authentications only: a single-factor
 *    re-identification (a badge tap) unlocks, it never extends; no refresh is run at or after
 *    the window end, and a token is never reported valid beyond it;
 *  - a refresh that fails because the provider cannot be reached keeps the current tokens until
 *    they expire and reports `degraded: idp_unreachable`; a refresh the provider refuses
 *    (`invalid_grant`: revoked, expired refresh token) drops everything.
 *
 * A refresh that was in flight when the tokens were dropped is discarded on arrival: nothing
 * comes back to life after a sign-out.
 */
import type { Decision } from '../../../session/policy/decision.js';
import type { EngineStatus } from '../../../session/engine/session-engine.js';
import { systemClock, type EngineClock, type TimerHandle } from '../../../session/engine/clock.js';
import { KeychainError } from '../../keychain/keychain-error.js';
import type { SecretStore } from '../../keychain/secret-store.js';
import { SsoError } from '../sso-error.js';
import { DEFAULT_EXPIRES_IN_S, checkTokenAnswer, isProviderUnreachable, jwtAudiences, type RefreshNarrowing, type TokenEndpointAnswer, type TokenSource } from './token-source.js';

/** What the vault reads from the session engine (`SessionEngine`, `RecordedSessionEngine`). */
export interface VaultEngine {
  status(): EngineStatus;
  onDecision(listener: (d: Decision) => void): () => void;
}

export type DropReason = 'signed_out' | 'window_expired' | 'replaced' | 'refresh_rejected' | 'stopped';

export interface DegradedState {
  readonly degraded: 'idp_unreachable';
  readonly since: Date;
}

export interface SessionTokenVaultOptions {
  readonly engine: VaultEngine;
  readonly store: SecretStore;
  readonly source: TokenSource;
  /** The engine's clock (default: the wall clock). */
  readonly clock?: EngineClock;
  /** Ends the provider session after a drop (RP-initiated or back-channel logout); failures are warnings. */
  readonly logout?: (info: { readonly person: string; readonly reason: DropReason; readonly idTokenHint?: string }) => void | Promise<void>;
  /** Called with the degraded state when a refresh cannot reach the provider, and with `undefined` when one succeeds again. */
  readonly onDegraded?: (state: DegradedState | undefined) => void;
  /** Keychain and logout failures (never a token). */
  readonly onWarning?: (code: string, message: string) => void;
  /** A token that expires within this margin is refreshed before it is handed out (default 30 s). */
  readonly refreshMarginMs?: number;
}

/** What the broker hands out: the token, the person it speaks for and until when it may be used. */
export interface HandedToken {
  readonly accessToken: string;
  readonly person: string;
  /** The earlier of the token's own expiry and the end of the session's window. */
  readonly expiresAt: Date;
  readonly audiences: readonly string[];
  /** The token came from the cache, or from a refresh this call ran. */
  readonly source: 'cached' | 'refreshed';
}

/** The vault's public state (no token). */
export interface VaultView {
  readonly person: string;
  readonly windowEnd: Date;
  readonly audiences: readonly string[];
  readonly hasRefreshToken: boolean;
  readonly degraded: DegradedState | undefined;
}

export interface TokenRequest extends RefreshNarrowing {
  /** The audience the caller needs; absent: the session's own access token. */
  readonly audience?: string;
}

interface AccessEntry {
  readonly token: Buffer;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly audiences: readonly string[];
}

interface Held {
  readonly person: string;
  readonly generation: number;
  windowEnd: number;
  idToken: Buffer | undefined;
  /** Keyed by the audience asked for ('' for the session's own token). */
  readonly access: Map<string, AccessEntry>;
  hasRefreshToken: boolean;
  timer: TimerHandle;
  readonly inFlight: Map<string, Promise<HandedToken>>;
}

const PERMISSIVE: ReadonlySet<string> = new Set(['open', 'unlock', 'switch_user']);

/** Keychain account of a person's refresh token. */
export function refreshAccount(person: string): string {
  return `sso.refresh:${person}`;
}

function wipe(b: Buffer | undefined): void {
  b?.fill(0);
}

export class SessionTokenVault {
  private readonly clock: EngineClock;
  private readonly margin: number;
  private held: Held | undefined;
  private generation = 0;
  private degradedState: DegradedState | undefined;
  private readonly unsubscribe: () => void;
  private readonly background = new Set<Promise<void>>();
  private readonly deletions = new Set<Promise<void>>();
  /** Keychain items whose deletion failed: retried at the next drop, adopt or `settled()`. */
  private readonly undeleted = new Set<string>();
  private stopped = false;

  constructor(private readonly opts: SessionTokenVaultOptions) {
    this.clock = opts.clock ?? systemClock;
    this.margin = opts.refreshMarginMs ?? 30_000;
    this.unsubscribe = opts.engine.onDecision((d) => this.onDecision(d));
  }

  /**
   * Takes the tokens of a completed sign-in for `person`. Refused (`sso_no_token`) unless
   * `person` holds the active two-factor session in front, inside its window. Another person's
   * tokens are dropped first. When the keychain cannot take the refresh token, the access and
   * ID tokens are still kept (no refresh will be possible) and a warning is reported.
   */
  async adopt(person: string, answer: TokenEndpointAnswer): Promise<void> {
    if (this.stopped) throw new SsoError('sso_no_token', 'the token vault is stopped', { reason: 'stopped' });
    const checked = checkTokenAnswer(answer);
    const windowEnd = this.sessionWindow(person);
    // The same person signing in again: the old tokens are wiped, the provider session and the
    // keychain item (replaced below) stay; another person's are dropped entirely.
    if (this.held) this.drop('replaced', this.held.person !== person);
    const now = this.clock.now();
    const generation = ++this.generation;
    const held: Held = {
      person,
      generation,
      windowEnd,
      idToken: checked.id_token !== undefined ? Buffer.from(checked.id_token, 'utf8') : undefined,
      access: new Map([['', this.entry(checked, now)]]),
      hasRefreshToken: false,
      timer: this.clock.at(windowEnd, () => this.expireIfDue(generation)),
      inFlight: new Map(),
    };
    this.held = held;
    // Deletions still running must not remove the item written below.
    await this.flushDeletes();
    if (checked.refresh_token !== undefined) await this.keepRefreshToken(held, checked.refresh_token);
  }

  /** An access token for the session in front (see `TokenRequest`); refreshes when needed and allowed. */
  async token(req: TokenRequest = {}): Promise<HandedToken> {
    const held = this.usable();
    const key = req.audience ?? '';
    const now = this.clock.now();
    const cached = this.cachedFor(held, key, req.audience);
    if (cached && cached.expiresAt - this.margin > now) return this.hand(held, cached, 'cached');
    if (!held.hasRefreshToken) {
      if (cached && cached.expiresAt > now) return this.hand(held, cached, 'cached');
      throw new SsoError('sso_no_token', req.audience !== undefined && !cached ? `no token for audience ${req.audience} and no refresh token` : 'the access token expired and there is no refresh token', { reason: cached ? 'expired' : 'audience_unknown' });
    }
    if (req.audience !== undefined && !cached && req.resource === undefined && req.scope === undefined) {
      throw new SsoError('sso_no_token', `no token for audience ${req.audience} and no way to ask for one (no resource or scope configured)`, { reason: 'audience_unknown' });
    }
    return this.refreshOnce(held, key, req, cached);
  }

  /** One refresh per audience at a time: a second caller waits for the one in flight. */
  private refreshOnce(held: Held, key: string, req: TokenRequest, cached: AccessEntry | undefined): Promise<HandedToken> {
    let flight = held.inFlight.get(key);
    if (!flight) {
      flight = this.refresh(held, key, req, cached).finally(() => held.inFlight.delete(key));
      held.inFlight.set(key, flight);
    }
    return flight;
  }

  /**
   * The provider answers again (the connectivity probe reached it). A degraded state left by a
   * failed refresh would otherwise last until the next token request: while the session is in
   * front and unlocked, the tokens are refreshed at once (which ends the degraded state, or keeps
   * it with the new failure); while it is locked, nothing is refreshed and only the next request
   * will tell. Never throws.
   */
  async providerBack(): Promise<void> {
    if (this.degradedState === undefined) return;
    const held = this.held;
    if (!held?.hasRefreshToken) return;
    try {
      this.usable();
    } catch {
      return;
    }
    try {
      await this.refreshOnce(held, '', {}, held.access.get(''));
    } catch {
      // still unreachable, or the tokens went meanwhile: the state says so already
    }
  }

  /** The current state, for status views and tests; undefined when no tokens are held. */
  view(): VaultView | undefined {
    const h = this.held;
    if (!h) return undefined;
    const audiences = new Set<string>();
    for (const e of h.access.values()) for (const a of e.audiences) audiences.add(a);
    return { person: h.person, windowEnd: new Date(h.windowEnd), audiences: [...audiences], hasRefreshToken: h.hasRefreshToken, degraded: this.degradedState };
  }

  get degraded(): DegradedState | undefined {
    return this.degradedState;
  }

  /** Drops the tokens now (e.g. the person asked the SSO to sign out). */
  signOut(): Promise<void> {
    if (this.held) this.drop('signed_out');
    return this.settled();
  }

  /** Resolves when the keychain deletions and logout calls started so far are done. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
    await this.flushDeletes();
  }

  /** Stops following the engine and drops what is held (the agent is stopping: its sessions end). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    if (this.held) this.drop('stopped');
    await this.settled();
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  /** The window end of `person`'s session, when it is the active 2FA session in front. */
  private sessionWindow(person: string): number {
    const s = this.opts.engine.status();
    const c = s.current;
    if (!c || c.person.id !== person) throw new SsoError('sso_no_token', 'tokens are kept only for the person of the session in front', { reason: 'no_session' });
    if (c.state !== 'active') throw new SsoError('sso_no_token', `the session is ${c.state}`, { reason: c.state === 'locked' ? 'session_locked' : 'window_expired' });
    const windowEnd = c.windowEnd.getTime();
    if (this.clock.now() >= windowEnd) throw new SsoError('sso_no_token', 'the session window is over', { reason: 'window_expired' });
    return windowEnd;
  }

  /** The held tokens, when they may be handed out now. */
  private usable(): Held {
    const h = this.held;
    if (!h) throw new SsoError('sso_no_token', 'no tokens for this session', { reason: 'not_signed_in' });
    if (this.clock.now() >= h.windowEnd) {
      this.drop('window_expired');
      throw new SsoError('sso_no_token', 'the session window is over', { reason: 'window_expired' });
    }
    const c = this.opts.engine.status().current;
    if (!c || c.person.id !== h.person) throw new SsoError('sso_no_token', 'the person in front is not the one the tokens belong to', { reason: 'no_session' });
    if (c.state !== 'active') throw new SsoError('sso_no_token', `the session is ${c.state}: tokens are kept, none is handed out`, { reason: c.state === 'locked' ? 'session_locked' : 'window_expired' });
    return h;
  }

  private cachedFor(h: Held, key: string, audience: string | undefined): AccessEntry | undefined {
    const exact = h.access.get(key);
    if (exact || audience === undefined) return exact;
    let best: AccessEntry | undefined;
    for (const e of h.access.values()) if (e.audiences.includes(audience) && (!best || e.expiresAt > best.expiresAt)) best = e;
    return best;
  }

  private entry(a: TokenEndpointAnswer, now: number): AccessEntry {
    return { token: Buffer.from(a.access_token, 'utf8'), expiresAt: now + (a.expires_in ?? DEFAULT_EXPIRES_IN_S) * 1000, audiences: jwtAudiences(a.access_token) };
  }

  private hand(h: Held, e: AccessEntry, source: HandedToken['source']): HandedToken {
    return { accessToken: e.token.toString('utf8'), person: h.person, expiresAt: new Date(Math.min(e.expiresAt, h.windowEnd)), audiences: [...e.audiences], source };
  }

  private async refresh(held: Held, key: string, req: TokenRequest, cached: AccessEntry | undefined): Promise<HandedToken> {
    let rt: Buffer | undefined;
    try {
      rt = await this.opts.store.get(refreshAccount(held.person));
    } catch (e) {
      return this.fallBack(held, cached, new SsoError('sso_keychain_unavailable', `refresh token unreadable: ${e instanceof Error ? e.message : String(e)}`, { reason: e instanceof KeychainError ? e.code : 'keychain_failed', cause: e }));
    }
    if (!this.current(held)) {
      wipe(rt);
      throw this.goneError();
    }
    if (!rt) {
      held.hasRefreshToken = false;
      return this.fallBack(held, cached, new SsoError('sso_no_token', 'the refresh token is no longer in the keychain', { reason: 'no_refresh_token' }));
    }
    const narrowing: RefreshNarrowing = { ...(req.resource !== undefined ? { resource: req.resource } : {}), ...(req.scope !== undefined ? { scope: req.scope } : {}) };
    let answer: TokenEndpointAnswer;
    try {
      answer = checkTokenAnswer(await this.opts.source.refresh(rt.toString('utf8'), narrowing, { person: held.person }));
    } catch (e) {
      if (!this.current(held)) throw this.goneError();
      if (isProviderUnreachable(e)) {
        this.setDegraded(true);
        return this.fallBack(held, cached, e);
      }
      if (e instanceof SsoError && e.code === 'sso_provider_error' && e.providerError === 'invalid_grant') {
        this.drop('refresh_rejected');
        throw new SsoError('sso_no_token', 'the provider refused the refresh token (revoked or expired): sign in again', { reason: 'refresh_rejected', cause: e });
      }
      throw e;
    } finally {
      wipe(rt);
    }
    // Dropped, replaced or past the window while the provider answered: the answer is discarded.
    if (!this.current(held)) throw this.goneError();
    this.setDegraded(false);
    const now = this.clock.now();
    const entry = this.entry(answer, now);
    const old = held.access.get(key);
    held.access.set(key, entry);
    if (old && old !== entry) wipe(old.token);
    if (answer.id_token !== undefined) {
      wipe(held.idToken);
      held.idToken = Buffer.from(answer.id_token, 'utf8');
    }
    if (answer.refresh_token !== undefined) await this.keepRefreshToken(held, answer.refresh_token);
    if (!this.current(held)) throw this.goneError();
    return this.hand(held, entry, 'refreshed');
  }

  /** A refresh did not happen: the current token if it is still valid, else the failure. */
  private fallBack(held: Held, cached: AccessEntry | undefined, failure: unknown): HandedToken {
    if (cached && cached.expiresAt > this.clock.now() && this.current(held)) return this.hand(held, cached, 'cached');
    throw failure;
  }

  private current(h: Held): boolean {
    return this.held === h && this.clock.now() < h.windowEnd;
  }

  private goneError(): SsoError {
    return new SsoError('sso_no_token', 'the tokens were dropped while the provider answered (sign-out, window end or another person)', { reason: 'dropped' });
  }

  private async keepRefreshToken(held: Held, token: string): Promise<void> {
    const buf = Buffer.from(token, 'utf8');
    try {
      await this.opts.store.set(refreshAccount(held.person), buf);
      if (this.held === held) held.hasRefreshToken = true;
      // Dropped while the keychain wrote: the item goes too (unless the same person signed in again).
      else if (this.held?.person !== held.person) this.forget(held.person);
    } catch (e) {
      this.opts.onWarning?.('sso_keychain_unavailable', `refresh token not kept (no refresh possible): ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      wipe(buf);
    }
  }

  private setDegraded(on: boolean): void {
    if (on === (this.degradedState !== undefined)) return;
    this.degradedState = on ? { degraded: 'idp_unreachable', since: new Date(this.clock.now()) } : undefined;
    try {
      this.opts.onDegraded?.(this.degradedState);
    } catch {
      // a failing observer does not change the tokens
    }
  }

  private onDecision(d: Decision): void {
    const h = this.held;
    if (!h) return;
    // Called before the decision takes effect: never throws, the work that waits runs in the background.
    if (d.person === h.person) {
      if (d.decision === 'sign_out') this.drop('signed_out');
      else if (d.decision === 'expire') this.drop('window_expired');
      else if (PERMISSIVE.has(d.decision) && d.classification === 'two_factor' && d.windowEnd !== undefined) this.moveWindow(h, d.windowEnd.getTime());
      return;
    }
    if (d.person !== undefined && PERMISSIVE.has(d.decision)) this.drop('replaced');
  }

  /** A new two-factor authentication of the same person: its window is the one that counts now. */
  private moveWindow(h: Held, windowEnd: number): void {
    if (windowEnd === h.windowEnd) return;
    h.windowEnd = windowEnd;
    h.timer.cancel();
    h.timer = this.clock.at(windowEnd, () => this.expireIfDue(h.generation));
  }

  private expireIfDue(generation: number): void {
    const h = this.held;
    if (h && h.generation === generation && this.clock.now() >= h.windowEnd) this.drop('window_expired');
  }

  /**
   * Wipes the memory at once; the keychain deletion and the logout hook follow in the
   * background (`ended`: false only when the same person's new sign-in replaces the tokens).
   */
  private drop(reason: DropReason, ended = true): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    h.timer.cancel();
    const idTokenHint = h.idToken?.toString('utf8');
    wipe(h.idToken);
    for (const e of h.access.values()) wipe(e.token);
    h.access.clear();
    this.setDegraded(false);
    if (!ended) return;
    this.forget(h.person);
    this.track(async () => {
      try {
        await this.opts.logout?.({ person: h.person, reason, ...(idTokenHint !== undefined ? { idTokenHint } : {}) });
      } catch (e) {
        this.opts.onWarning?.('logout_failed', `provider logout after ${reason} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  }

  /** Deletes a person's refresh token from the keychain (retried later when the keychain refuses). */
  private forget(person: string): void {
    this.undeleted.add(refreshAccount(person));
    const p = this.retryDeletes().finally(() => this.deletions.delete(p));
    this.deletions.add(p);
  }

  /** Waits for the deletions under way, then retries those that failed. */
  private async flushDeletes(): Promise<void> {
    while (this.deletions.size > 0) await Promise.all([...this.deletions]);
    await this.retryDeletes();
  }

  private async retryDeletes(): Promise<void> {
    for (const account of [...this.undeleted]) {
      // A person who signed in again meanwhile owns the item now.
      if (this.held && refreshAccount(this.held.person) === account && this.held.hasRefreshToken) {
        this.undeleted.delete(account);
        continue;
      }
      try {
        await this.opts.store.delete(account);
        this.undeleted.delete(account);
      } catch (e) {
        this.opts.onWarning?.('sso_keychain_unavailable', `refresh token not deleted yet (retried later): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private track(fn: () => Promise<void>): void {
    const p = fn().finally(() => this.background.delete(p));
    this.background.add(p);
  }
}
