/**
 * The headless agent on the session engine: reader events → card recognition → CPS login (PIN
 * from the injected PIN pad) or badge tap / badge + PIN → `AuthEvent` → `RecordedSessionEngine`
 * (each decision is durable in the audit log before it takes effect). Card removal goes to the
 * engine; pcscd going away is exposed as the degraded state `pcsc_unavailable` until it is back.
 *
 * The engine decides; this class only feeds it and tells what it saw through `report`.
 */
import { recognizeCard } from '../../means/card-recognition.js';
import { CpsError } from '../../means/cps/cps-error.js';
import { cpsLogin, type CpsLoginResult, type PinRequest } from '../../means/cps/cps-login.js';
import { HeldCard, type HeldCardOptions, type ReleaseReason } from '../../means/cps/held-card.js';
import type { TrustStore } from '../../means/cps/trust-store.js';
import {
  BadgeError,
  badgePinLogin,
  enrolBlankBadge,
  ENROLMENT_PROOF_MAX_AGE_MS,
  rekeyBadge,
  revokeBadge,
  tapBadge,
  type AuthMode,
  type BadgeKeySource,
  type EnrolmentAudit,
  type EnrolmentRecord,
  type EnrolmentRegister,
  type RevocationReason,
} from '../../means/desfire/index.js';
import type { RecordedSessionEngine } from '../../session/engine/recorded-engine.js';
import type { Decision } from '../../session/policy/decision.js';
import type { PcscCardChannel } from '../../transports/pcsc/pcsc-card-channel.js';
import type { KeptCard, ReaderEvent, ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { isTesseraError } from '../../errors.js';
import { DegradedReasons, type DegradedReason } from '../../integrations/health/degraded-reasons.js';
import type { AuthEvent } from '../../means/auth-event.js';
import { FidoError } from '../../means/fido2/fido-error.js';
import { checkEnrolmentPrecondition, DEFAULT_RP_ID, enrollFidoKey, type FidoEnrolment, type FidoEnrolmentAudit, type UserVerification } from '../../means/fido2/index.js';
import type { OsEvent, OsEventKind, OsEventSource } from './os-events.js';
import { fallbackEvent, keyCandidates, openPersonKey, personCredentials, userVerification, type EngineAgentFidoOptions, type FidoFallbackRequest } from './fido-fallback.js';
import { auditedStore, enrolmentVerification, waitForKey, type FidoEnrolmentRequest } from './fido-enrolment.js';

export type { DegradedReason };

export type EngineAgentRecord =
  | { type: 'daemon'; status: 'up' | 'down'; code?: string; retryInMs?: number }
  | { type: 'reader'; status: 'added' | 'removed'; reader: string }
  | { type: 'card'; status: 'inserted' | 'removed'; reader: string; cardType?: string }
  /** The session's CPS card kept PIN-verified on its connection (`held`), or let go with a reset (`released`). */
  | { type: 'held_card'; status: 'held' | 'released'; reader: string; person: string; reason?: ReleaseReason }
  | { type: 'login'; status: 'failed'; reader: string; code: string; retriesLeft?: number; reason?: string }
  | { type: 'decision'; decision: string; reason: string; person?: string; means?: string; factors?: readonly string[] }
  | { type: 'os'; event: OsEventKind; source: string }
  | { type: 'error'; code: string; detail: string };

export type EnginePinPad = (reader: string, request: PinRequest) => Promise<Buffer>;

export interface EngineAgentBadgeOptions {
  readonly keys: BadgeKeySource;
  readonly register: EnrolmentRegister;
  readonly aid?: Buffer;
  readonly authMode?: AuthMode;
  /** When given, a badge the engine asks a second factor for runs badge + PIN. Buffer wiped by the login. */
  readonly pinPad?: (reader: string) => Promise<Buffer>;
  readonly now?: () => Date;
  /** Subject ids allowed to enrol, re-key or revoke someone else's badge (badge office operators). */
  readonly operators?: readonly string[];
}

export interface EngineAgentOptions {
  readonly monitor: ReaderMonitor;
  readonly engine: RecordedSessionEngine;
  readonly trust: TrustStore;
  readonly pinPad: EnginePinPad;
  readonly badge?: EngineAgentBadgeOptions;
  readonly report?: (record: EngineAgentRecord) => void;
  /** FIDO2 keys as the fallback for a forgotten card (`fidoFallback`); absent: the path is off. */
  readonly fido?: EngineAgentFidoOptions;
  /** Makes the use of the fallback path durable (audit) before the engine decides; a failure stops the login. */
  readonly recordFallback?: (event: AuthEvent) => Promise<void>;
  /** Screen lock, sleep and resume from the operating system (Linux: `DbusMonitorOsEvents`). */
  readonly osEvents?: OsEventSource;
  /** Makes each badge enrolment, re-key and revocation durable (audit) before it takes effect. */
  readonly enrolmentAudit?: EnrolmentAudit;
  /** Makes each FIDO2 key enrolment durable (audit) before the enrolment store holds it. */
  readonly fidoEnrolmentAudit?: FidoEnrolmentAudit;
  /** Degraded-mode reasons shared with the runtime (its connectivity probe adds its own); default: a private set. */
  readonly degraded?: DegradedReasons;
  /**
   * Keep the CPS card of the session in front PIN-verified on its connection after the login (so
   * that it signs the web SSO proofs, `heldCard`); absent: every card is reset after its login.
   */
  readonly holdCard?: HeldCardOptions;
}

/** Decisions after which the person of a two-factor authentication is the one in front. */
const OPENING_DECISIONS: ReadonlySet<string> = new Set(['open', 'unlock', 'switch_user']);

/** Engine answers to a tap after which the badge PIN is worth asking. */
const PIN_WORTHY_DECISION = 'require_second_factor';

export class EngineAgent {
  private offMonitor: (() => void) | undefined;
  private offRecorded: (() => void) | undefined;
  private offErrors: (() => void) | undefined;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly degradedReasons: DegradedReasons;
  /** Readers holding an NFC FIDO key (recognised on arrival): candidates for the fallback. */
  private readonly fidoReaders = new Set<string>();
  private fallbackRun: Promise<unknown> = Promise.resolve();
  /** The two-factor authentication that opened or unlocked the current session (operator proof for enrolment). */
  private lastTwoFactor: AuthEvent | undefined;
  private stopped = false;
  /** The verified card of the session in front, when `holdCard` is on. */
  readonly heldCard: HeldCard | undefined;

  constructor(private readonly opts: EngineAgentOptions) {
    this.degradedReasons = opts.degraded ?? new DegradedReasons();
    const hold = opts.holdCard;
    this.heldCard = hold
      ? new HeldCard(opts.monitor, {
          ...hold,
          onRelease: (reader, person, why) => {
            this.report({ type: 'held_card', status: 'released', reader, person, reason: why });
            hold.onRelease?.(reader, person, why);
          },
        })
      : undefined;
  }

  get engine(): RecordedSessionEngine {
    return this.opts.engine;
  }

  /** Empty when every dependency works; else why the agent is degraded (oldest code first). */
  degraded(): readonly DegradedReason[] {
    return this.degradedReasons.list();
  }

  readers(): { name: string; card: boolean }[] {
    return this.opts.monitor.list().map((r) => ({ name: r.name, card: r.cardPresent }));
  }

  async start(): Promise<void> {
    this.offRecorded = this.opts.engine.onRecorded((d) => {
      this.report(decisionRecord(d));
      this.followSession();
    });
    this.offErrors = this.opts.engine.onError((e) => this.report({ type: 'error', code: isTesseraError(e) ? e.code : 'internal', detail: e instanceof Error ? e.message : String(e) }));
    this.offMonitor = this.opts.monitor.on((e) => this.onReaderEvent(e));
    await this.opts.osEvents?.start((e) => this.onOsEvent(e));
    try {
      await this.opts.monitor.start();
      await this.opts.monitor.settled();
    } catch (e) {
      // The runtime only stops what started: the OS watchers are undone here.
      await this.opts.osEvents?.stop();
      throw e;
    }
    for (const r of this.opts.monitor.list()) {
      if (r.cardPresent) this.onReaderEvent({ type: 'card-inserted', reader: r.name, atr: r.atr ?? Buffer.alloc(0) });
    }
  }

  /** Resolves when no card is being handled and every engine decision is recorded. */
  async idle(): Promise<void> {
    await this.fallbackRun.catch(() => undefined);
    while (this.busy.size > 0) await Promise.allSettled([...this.busy.values()]);
    await this.opts.engine.idle();
    await this.heldCard?.settled();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.offMonitor?.();
    await this.opts.osEvents?.stop();
    await this.idle();
    await this.heldCard?.stop();
    await this.opts.monitor.stop();
    this.offRecorded?.();
    this.offErrors?.();
  }

  private report(r: EngineAgentRecord): void {
    try {
      this.opts.report?.(r);
    } catch {
      // a failing reporter never stops the agent
    }
  }

  /** Screen locked → lock; going to sleep → the engine's sleep rule; resumed → its resume rule. An unlocked screen decides nothing (the engine unlocks only on an authentication). */
  private onOsEvent(e: OsEvent): void {
    if (this.stopped) return;
    this.report({ type: 'os', event: e.kind, source: e.source });
    const engine = this.opts.engine;
    const run = e.kind === 'screen_locked' ? engine.screenLocked() : e.kind === 'sleep' ? engine.suspending() : e.kind === 'resume' ? engine.resumed() : undefined;
    run?.catch((err: unknown) => this.report({ type: 'error', code: isTesseraError(err) ? err.code : 'internal', detail: String(err) }));
  }

  private onReaderEvent(e: ReaderEvent): void {
    switch (e.type) {
      case 'daemon-up':
        this.degradedReasons.leave('pcsc_unavailable');
        this.report({ type: 'daemon', status: 'up' });
        return;
      case 'daemon-down':
        this.degradedReasons.enter('pcsc_unavailable', e.error.code);
        this.report({ type: 'daemon', status: 'down', code: e.error.code, retryInMs: e.retryInMs });
        return;
      case 'reader-added':
      case 'reader-removed':
        this.report({ type: 'reader', status: e.type === 'reader-added' ? 'added' : 'removed', reader: e.reader });
        return;
      case 'card-removed':
        this.fidoReaders.delete(e.reader);
        this.report({ type: 'card', status: 'removed', reader: e.reader });
        this.opts.engine.cardRemoved(e.reader).catch((err: unknown) => this.report({ type: 'error', code: isTesseraError(err) ? err.code : 'internal', detail: String(err) }));
        return;
      case 'card-inserted': {
        // A held card's reader is already in use by this agent: nothing to connect to.
        if (this.busy.has(e.reader) || this.stopped || this.heldCard?.holds(e.reader)) return;
        const run = this.handleCard(e.reader).finally(() => this.busy.delete(e.reader));
        this.busy.set(e.reader, run);
        return;
      }
    }
  }

  private async handleCard(reader: string): Promise<void> {
    try {
      const login = await this.opts.monitor.withCard(reader, async (ch, lease) => {
        const kind = await recognizeCard(ch);
        this.report({ type: 'card', status: 'inserted', reader, cardType: kind.type });
        if (kind.type === 'fido') this.fidoReaders.add(reader);
        if (kind.type === 'desfire' && this.opts.badge) {
          await this.handleBadge(ch, reader);
          return undefined;
        }
        if (kind.type !== 'cps' || !kind.usable) return undefined;
        const result = await this.cpsLoginWithRetries(ch, reader);
        // Kept PIN-verified until the engine has decided; held or reset just below.
        return { result, kept: this.heldCard ? lease.keep() : undefined };
      });
      if (login) await this.authenticateCard(login.result, reader, login.kept);
    } catch (e) {
      await this.loginFailed(reader, e, 'cps');
    }
  }

  /** Feeds a CPS login to the engine; its card is held when the decision put its holder in front, else reset. */
  private async authenticateCard(login: CpsLoginResult, reader: string, kept: KeptCard | undefined): Promise<void> {
    let held = false;
    try {
      const d = await this.authenticate({ ...login.event, reader });
      const person = login.event.subject.id;
      if (kept && this.heldCard && !this.stopped && d.classification === 'two_factor' && OPENING_DECISIONS.has(d.decision) && d.person === person) {
        this.heldCard.hold(kept, { person, publicKey: login.publicKey });
        held = this.heldCard.holds(reader);
        if (held) this.report({ type: 'held_card', status: 'held', reader, person });
        // A decision recorded meanwhile (a sign-out) may already have moved the session on.
        this.followSession();
      }
    } finally {
      if (kept && !held) await kept.release();
    }
  }

  /** After each recorded decision: the held card goes when its holder is no longer the person of an open session in front. */
  private followSession(): void {
    const person = this.heldCard?.person;
    if (person === undefined) return;
    const cur = this.opts.engine.status().current;
    if (!cur || cur.person.id !== person || cur.state === 'expired') void this.heldCard?.release('session_ended');
  }

  /**
   * The CPS login on the inserted card, asking the PIN pad again after a wrong PIN while the
   * card has tries left: each wrong PIN is recorded (report + engine) before the next request,
   * so the pad shows the wrong-PIN reason and the tries the card now reports. A cancel, a
   * blocked PIN, the card pulled or any other failure ends the attempt (thrown to the caller).
   * The tries left must go down at each wrong PIN (as a real counter does): a card that says
   * otherwise is not asked again.
   */
  private async cpsLoginWithRetries(ch: PcscCardChannel, reader: string): Promise<CpsLoginResult> {
    const engine = this.opts.engine;
    let triesBefore = Number.POSITIVE_INFINITY;
    for (;;) {
      await engine.authenticationStarted({ reader, means: 'cps' });
      try {
        return await cpsLogin(ch, { trust: this.opts.trust, pin: (req) => this.opts.pinPad(reader, req) });
      } catch (e) {
        const left = e instanceof CpsError && e.code === 'wrong_pin' ? e.retriesLeft : undefined;
        if (left === undefined || left <= 0 || left >= triesBefore || this.stopped) throw e;
        triesBefore = left;
        await this.loginFailed(reader, e, 'cps');
      }
    }
  }

  private async handleBadge(ch: PcscCardChannel, reader: string): Promise<void> {
    const badge = this.opts.badge;
    if (!badge) return;
    const engine = this.opts.engine;
    const opts = {
      keys: badge.keys,
      register: badge.register,
      ...(badge.aid ? { aid: badge.aid } : {}),
      ...(badge.authMode ? { authMode: badge.authMode } : {}),
      ...(badge.now ? { now: badge.now } : {}),
    };
    let d: Decision;
    try {
      const { event } = await tapBadge(ch, opts);
      d = await engine.badgeTapped({ ...event, reader });
    } catch (e) {
      const refused = e instanceof BadgeError && (e.code === 'badge_revoked' || e.code === 'badge_not_enrolled') ? e.code : 'badge_auth_failed';
      this.reportFailure(reader, e);
      await engine.badgeTapped({ refused, reader });
      return;
    }
    if (d.decision !== PIN_WORTHY_DECISION || !badge.pinPad) return;
    try {
      const twoFactor = await badgePinLogin(ch, await badge.pinPad(reader), opts);
      await this.authenticate({ ...twoFactor, reader });
    } catch (e) {
      await this.loginFailed(reader, e, 'desfire');
    }
  }

  /**
   * The forgotten-card path: a FIDO2 assertion of `req.person`'s enrolled key, with the key's PIN
   * or fingerprint, fed to the engine as a fallback authentication (audited as such first). One
   * at a time. Resolves with the engine's decision; a failure of the key is recorded by the
   * engine as a refused authentication and rethrown (`FidoError` codes: `no_device`,
   * `wrong_pin`, `not_enrolled`, `revoked`, `uv_unavailable`, …). The PIN is always wiped.
   */
  fidoFallback(req: FidoFallbackRequest): Promise<Decision> {
    const run = this.fallbackRun.catch(() => undefined).then(() => this.runFallback(req));
    this.fallbackRun = run;
    return run;
  }

  private async runFallback(req: FidoFallbackRequest): Promise<Decision> {
    const fido = this.opts.fido;
    if (!fido || this.stopped) {
      req.pin?.fill(0);
      throw new FidoError('no_device', this.stopped ? 'the agent is stopping' : 'the FIDO2 fallback is not configured on this workstation');
    }
    const engine = this.opts.engine;
    let event: AuthEvent;
    try {
      const credentials = await personCredentials(req, fido);
      const candidates = await keyCandidates(req, fido, [...this.fidoReaders]);
      // A key on a reader is released by the card handling before it is opened here.
      await Promise.allSettled(candidates.flatMap((u) => (u.startsWith('pcsc:') ? [this.busy.get(u.slice(5))] : [])));
      const transport = await openPersonKey(candidates, this.opts.monitor, fido.rpId ?? DEFAULT_RP_ID, credentials, fido.timeoutMs ?? 30_000);
      let uv: UserVerification;
      try {
        uv = await userVerification(req, fido);
      } catch (e) {
        await transport.close().catch(() => undefined);
        throw e;
      }
      try {
        await engine.authenticationStarted({ means: 'fido2' });
        event = await fallbackEvent(transport, req, fido, uv);
      } finally {
        await transport.close().catch(() => undefined);
      }
      await this.opts.recordFallback?.(event);
    } catch (e) {
      req.pin?.fill(0);
      await this.loginFailed(undefined, e, 'fido2', req.person);
      throw e;
    }
    return this.authenticate(event);
  }

  /** Feeds the engine; remembers a two-factor authentication that opened, unlocked or switched to a session. */
  private async authenticate(event: AuthEvent): Promise<Decision> {
    const d = await this.opts.engine.authenticate(event);
    if (d.classification === 'two_factor' && (d.decision === 'open' || d.decision === 'unlock' || d.decision === 'switch_user')) this.lastTwoFactor = event;
    return d;
  }

  /**
   * The operator's proof for enrolment, re-key and revocation: the two-factor authentication of
   * the person whose session is active on this workstation now (not locked). Its age is checked
   * by the badge layer (at most 5 minutes).
   */
  private operatorProof(): AuthEvent {
    const proof = this.sessionTwoFactor();
    if (!proof) throw new BadgeError('enrolment_refused', 'badge enrolment, re-key and revocation need an active two-factor session on this workstation', { reason: 'no_session' });
    return proof;
  }

  /** The two-factor authentication of the active session's person, if the session is active and theirs. */
  private sessionTwoFactor(): AuthEvent | undefined {
    const s = this.opts.engine.status();
    const proof = this.lastTwoFactor;
    return s.state === 'active' && s.current && proof && proof.subject.id === s.current.person.id ? proof : undefined;
  }

  private badgeOptions(): EngineAgentBadgeOptions & { readonly audit?: EnrolmentAudit } {
    const badge = this.opts.badge;
    if (!badge) throw new BadgeError('enrolment_refused', 'badges are not configured on this workstation', { reason: 'no_badges' });
    return { ...badge, ...(this.opts.enrolmentAudit ? { audit: this.opts.enrolmentAudit } : {}) };
  }

  /** Runs `fn` on the card in `reader` once the agent's own handling of that card is over. */
  private async onBadge<T>(reader: string, fn: (ch: PcscCardChannel) => Promise<T>): Promise<T> {
    await this.busy.get(reader)?.catch(() => undefined);
    return this.opts.monitor.withCard(reader, fn);
  }

  /**
   * Enrols the blank badge lying on `reader` for `person`, authorised by the current session's
   * two-factor authentication (the person themself, or an operator listed in `badge.operators`);
   * audited before the register binds the badge. `pin` (the badge PIN the person chose) is wiped.
   * `onRegistering` is called once the badge is written and read back, before the audit record.
   */
  async enrolBadge(req: { readonly reader: string; readonly person: { readonly id: string; readonly name: string }; readonly pin: Buffer; readonly maxTries?: number; readonly onRegistering?: () => void }): Promise<EnrolmentRecord> {
    try {
      const proof = this.operatorProof();
      const b = this.badgeOptions();
      return await this.onBadge(req.reader, (ch) =>
        enrolBlankBadge(ch, {
          keys: b.keys, register: b.register, proof, person: req.person, pin: req.pin, reader: req.reader,
          ...(b.aid ? { aid: b.aid } : {}), ...(b.authMode ? { authMode: b.authMode } : {}), ...(b.now ? { now: b.now } : {}),
          ...(b.operators ? { operators: b.operators } : {}), ...(b.audit ? { audit: b.audit } : {}), ...(req.maxTries !== undefined ? { maxTries: req.maxTries } : {}),
          ...(req.onRegistering ? { onRegistering: req.onRegistering } : {}),
        }),
      );
    } finally {
      req.pin.fill(0);
    }
  }

  /**
   * Enrols a FIDO2 key for the person of the active session, authorised by that session's
   * two-factor authentication if it is at most 5 minutes old (`enrolment_refused`, reason
   * `no_session` or `too_old`, before any key is looked for): waits for a key (NFC keys on the
   * readers, the configured devices, USB keys), asks its PIN (`req.pin`) when it has one, makes
   * the credential (the person touches the key: `req.onKeepalive`), audits the enrolment, then
   * stores it. The PIN is wiped; aborting `req.signal` ends it with `cancelled`.
   */
  async enrolFidoKey(req: FidoEnrolmentRequest): Promise<FidoEnrolment> {
    const fido = this.opts.fido;
    if (!fido) throw new FidoError('enrolment_refused', 'FIDO2 keys are not configured on this workstation', { reason: 'no_fido' });
    if (this.stopped) throw new FidoError('no_device', 'the agent is stopping');
    const proof = this.sessionTwoFactor();
    if (!proof) throw new FidoError('enrolment_refused', 'enrolling a key needs an active two-factor session on this workstation', { reason: 'no_session' });
    checkEnrolmentPrecondition(proof, proof.subject.id, new Date(), ENROLMENT_PROOF_MAX_AGE_MS);
    const timeoutMs = fido.timeoutMs ?? 30_000;
    const candidates = async (): Promise<string[]> => {
      const uris = await keyCandidates({ person: proof.subject.id }, fido, [...this.fidoReaders]);
      // A key on a reader is released by the card handling before it is opened here.
      await Promise.allSettled(uris.flatMap((u) => (u.startsWith('pcsc:') ? [this.busy.get(u.slice(5))] : [])));
      return uris;
    };
    const transport = await waitForKey(candidates, this.opts.monitor, { signal: req.signal, timeoutMs: req.presentTimeoutMs ?? 60_000 });
    let uv: UserVerification | undefined;
    try {
      uv = await enrolmentVerification(transport, req.pin, timeoutMs);
      if (req.signal?.aborted) throw new FidoError('cancelled', 'the enrolment was cancelled');
      req.onStep?.('writing');
      const { enrolment } = await enrollFidoKey(transport, {
        personEvent: proof, personId: proof.subject.id, verification: uv, maxEventAgeMs: ENROLMENT_PROOF_MAX_AGE_MS,
        store: auditedStore(fido.store, this.opts.fidoEnrolmentAudit, proof, () => req.onStep?.('registering')),
        ...(fido.rpId !== undefined ? { rpId: fido.rpId } : {}),
        callOptions: { timeoutMs, ...(req.signal ? { signal: req.signal } : {}), ...(req.onKeepalive ? { onKeepalive: req.onKeepalive } : {}) },
      });
      return enrolment;
    } finally {
      if (uv?.kind === 'pin') uv.pin.fill(0);
      await transport.close().catch(() => undefined);
    }
  }

  /** Moves the badge on `reader` to keys from `newKeys` (version `newKeyVersion`); audited before the first key changes. */
  async rekeyBadge(req: { readonly reader: string; readonly newKeys: BadgeKeySource; readonly newKeyVersion: number }): Promise<{ uid: string; enrolmentId: string; keyVersion: number }> {
    const proof = this.operatorProof();
    const b = this.badgeOptions();
    return this.onBadge(req.reader, (ch) =>
      rekeyBadge(ch, {
        currentKeys: b.keys, newKeys: req.newKeys, newKeyVersion: req.newKeyVersion, register: b.register, proof, reader: req.reader,
        ...(b.aid ? { aid: b.aid } : {}), ...(b.authMode ? { authMode: b.authMode } : {}), ...(b.now ? { now: b.now } : {}),
        ...(b.operators ? { operators: b.operators } : {}), ...(b.audit ? { audit: b.audit } : {}),
      }),
    );
  }

  /** Revokes an enrolment (the badge need not be present); audited before the register is written. */
  async revokeBadge(req: { readonly enrolmentId: string; readonly reason: RevocationReason }): Promise<{ enrolmentId: string; personId?: string; alreadyRevoked: boolean }> {
    const proof = this.operatorProof();
    const b = this.badgeOptions();
    return revokeBadge({
      enrolmentId: req.enrolmentId, reason: req.reason, register: b.register, proof,
      ...(b.now ? { now: b.now } : {}), ...(b.operators ? { operators: b.operators } : {}), ...(b.audit ? { audit: b.audit } : {}),
    });
  }

  private async loginFailed(reader: string | undefined, e: unknown, means: 'cps' | 'desfire' | 'fido2', person?: string): Promise<void> {
    this.reportFailure(reader ?? means, e);
    const code = isTesseraError(e) ? e.code : 'internal';
    try {
      await this.opts.engine.authenticationFailed(code, { ...(reader !== undefined ? { reader } : {}), means, ...(person !== undefined ? { person } : {}) });
    } catch (err) {
      this.report({ type: 'error', code: isTesseraError(err) ? err.code : 'internal', detail: err instanceof Error ? err.message : String(err) });
    }
  }

  private reportFailure(reader: string, e: unknown): void {
    const detailed = e instanceof CpsError || e instanceof BadgeError || e instanceof FidoError ? e : undefined;
    this.report({
      type: 'login', status: 'failed', reader,
      code: isTesseraError(e) ? e.code : 'internal',
      ...(detailed?.retriesLeft !== undefined ? { retriesLeft: detailed.retriesLeft } : {}),
      ...(detailed?.reason ? { reason: detailed.reason } : {}),
    });
  }
}

function decisionRecord(d: Decision): EngineAgentRecord {
  return {
    type: 'decision', decision: d.decision, reason: d.reason,
    ...(d.person !== undefined ? { person: d.person } : {}),
    ...(d.means !== undefined ? { means: d.means } : {}),
    ...(d.factors !== undefined ? { factors: [...d.factors] } : {}),
  };
}
