/**
 * The agent core as the UI sees it: `TesseraHost` (src/shared/bridge.ts) over a running agent
 * runtime. Electron main and the web shell both dispatch the contract to it.
 *
 * - Status: the engine's status, the degraded reasons and the readers projected into a
 *   `StatusView`, pushed whenever it changes (decision recorded, reader or daemon event, PIN
 *   prompt, degraded reason; a one-second check catches the rest) and only when it changed.
 * - Prompt: the PIN pad (`PinBroker`, the runtime's `pinPad`), "touch your key" (cancelled with
 *   `cancelTouch`, which aborts the key's operation), notices after a failed login.
 * - Actions: lock and sign out go to the recorded engine (refused with `no-session` when there
 *   is nobody to lock or sign out); retry asks the identity provider probe now; the security-key
 *   fallback and enrolment run what the host was given, and are `not-allowed` otherwise (the
 *   status says so through `allowed`, so the UI hides them).
 */
import type { EnrolProgress, EnrolRequest, EnrolStarted } from '../../../shared/enrolment.js';
import { noPrompt, type NoticeCode, type Prompt } from '../../../shared/prompt.js';
import { IpcErrorCode, err, ok, type Result } from '../../../shared/result.js';
import { defaultSettings, settingNames, type SettingName, type SettingsView, type UserSettings } from '../../../shared/settings.js';
import { nothingAllowed, type AllowedActions, type SsoView, type StatusView } from '../../../shared/status-view.js';
import type { TesseraHost } from '../../../shared/bridge.js';
import type { EngineStatus } from '../../session/engine/session-engine.js';
import type { Decision } from '../../session/policy/decision.js';
import type { ReaderEvent } from '../../transports/pcsc/reader-monitor.js';
import type { EngineAgentRecord } from '../agent/engine-agent.js';
import type { PinBroker } from './pin-broker.js';
import { SettingsRefused, type SettingsStore } from './settings-store.js';
import { statusViewOf } from './status-projection.js';

/** What the UI core needs of the agent runtime (`AgentRuntime` has it). */
export interface UiRuntime {
  readonly engine: {
    status(): EngineStatus;
    lock(): Promise<Decision>;
    signOut(personId?: string): Promise<Decision>;
    onRecorded(listener: (d: Decision) => void): () => void;
    /** Failures the engine could not answer to anyone (a decision not recorded, a timer step). */
    onError?(listener: (e: unknown) => void): () => void;
  };
  readonly agent: { readers(): readonly { name: string; card: boolean }[] };
  readonly probe?: { checkNow(): Promise<unknown> } | undefined;
  degraded(): readonly { readonly code: string; readonly since: string }[];
}

/** The FIDO2 fallback and enrolment, when the host provides them. */
export interface UiCoreExtras {
  /**
   * "I forgot my card": checks it can start (`no-session`...), starts the security-key login in
   * the background and answers at once; its PIN and touch prompts go through the broker.
   */
  readonly securityKey?: () => Result<null>;
  /** Starts an enrolment; reports progress through `progress`. */
  readonly enrol?: (request: EnrolRequest, progress: (p: EnrolProgress) => void) => Promise<Result<EnrolStarted>>;
  readonly cancelEnrol?: (enrolmentId: string) => Result<null>;
  /** The web SSO state, when a provider is configured. */
  readonly sso?: { current(): SsoView | null; onChange?(listener: () => void): () => void };
}

export interface UiCoreOptions extends UiCoreExtras {
  readonly runtime: UiRuntime;
  readonly pins: PinBroker;
  /** The reader monitor the runtime uses: card events cancel a pending PIN request. */
  readonly monitor: { on(listener: (e: ReaderEvent) => void): () => void };
  /** What the policy lets the user do (default: quit only, plus what `extras` provide). */
  readonly policy?: { readonly settings?: boolean; readonly quit?: boolean; readonly enrol?: AllowedActions['enrol'] };
  /** Which settings the policy lets the user change (default: all); ignored with `settingsStore`. */
  readonly settingsAllowed?: Partial<Record<SettingName, boolean>>;
  /** Where the settings are kept (the user's settings file); absent: in memory only. */
  readonly settingsStore?: SettingsStore;
  /** True while failed logins are expected and not news for the person (a blank badge being enrolled). */
  readonly quiet?: () => boolean;
  /** Status re-check period (default 1000 ms). */
  readonly refreshMs?: number;
  readonly log?: (message: string, cause?: unknown) => void;
}

/** Login failure codes (means errors) the person is told about once. */
const noticeOfCode: Readonly<Record<string, NoticeCode>> = {
  pin_blocked: 'pin_blocked',
  untrusted_certificate: 'card_not_trusted',
  card_data_invalid: 'card_unreadable',
  unsupported_card: 'card_unreadable',
  card_error: 'card_unreadable',
  bad_signature: 'card_unreadable',
  badge_revoked: 'badge_refused',
  badge_auth_failed: 'badge_refused',
  badge_not_enrolled: 'badge_not_enrolled',
  // FIDO2 fallback (FidoError codes)
  not_enrolled: 'key_not_registered',
  revoked: 'key_not_registered',
  user_presence_timeout: 'key_timeout',
  no_device: 'security_key_unavailable',
  device_removed: 'security_key_unavailable',
  uv_unavailable: 'security_key_unavailable',
  pin_auth_blocked: 'pin_blocked',
  uv_blocked: 'pin_blocked',
  // `cancelled` (the person cancelled "touch your key") is no news: no notice.
};

export class UiCore implements TesseraHost {
  private view: StatusView;
  private viewJson: string;
  private agentState: 'ok' | 'error' = 'ok';
  private settings: UserSettings = { ...defaultSettings };
  private readonly statusListeners = new Set<(s: StatusView) => void>();
  private readonly enrolListeners = new Set<(p: EnrolProgress) => void>();
  private readonly offs: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: UiCoreOptions) {
    this.view = this.compute();
    this.viewJson = JSON.stringify(this.view);
    this.offs.push(
      opts.runtime.engine.onRecorded(() => this.refresh()),
      opts.monitor.on((e) => this.onReaderEvent(e)),
      opts.pins.onPrompt(() => this.refresh()),
    );
    if (opts.sso?.onChange) this.offs.push(opts.sso.onChange(() => this.refresh()));
    // The core failed (e.g. the audit trail cannot be written): the UI says so until a retry.
    const onError = opts.runtime.engine.onError;
    if (onError) {
      this.offs.push(
        onError.call(opts.runtime.engine, (e) => {
          this.opts.log?.('ui core: the agent core failed', e);
          this.agentState = 'error';
          this.refresh();
        }),
      );
    }
    this.timer = setInterval(() => this.refresh(), opts.refreshMs ?? 1000);
    this.timer.unref();
  }

  /** Feed for the runtime's `report`: a failed login becomes a notice. */
  readonly record = (r: EngineAgentRecord): void => {
    if (r.type === 'login' && r.status === 'failed') {
      this.opts.pins.clearTouch();
      if (this.opts.pins.takeAborted(r.reader)) return;
      // The next PIN request on this reader says the last one was wrong (with the tries left).
      if (r.code === 'wrong_pin') this.opts.pins.lastWasWrong(r.reader);
      if (this.opts.quiet?.()) return;
      const notice = noticeOfCode[r.code];
      if (notice) this.opts.pins.notice(notice);
    }
    if (r.type === 'daemon') this.refresh();
  };

  /** What the policy and the host allow, as the status shows it. */
  allowed(): AllowedActions {
    const p = this.opts.policy ?? {};
    return {
      ...nothingAllowed,
      settings: p.settings ?? false,
      quit: p.quit ?? true,
      securityKey: this.opts.securityKey !== undefined,
      enrol: this.opts.enrol ? [...(p.enrol ?? [])] : [],
    };
  }

  /** Recomputes the status and pushes it when it changed. */
  refresh(): void {
    if (this.stopped) return;
    let next: StatusView;
    try {
      next = this.compute();
    } catch (e) {
      this.opts.log?.('ui core: status failed', e);
      return;
    }
    const json = JSON.stringify(next);
    if (json === this.viewJson) return;
    this.view = next;
    this.viewJson = json;
    for (const l of [...this.statusListeners]) {
      try {
        l(next);
      } catch (e) {
        this.opts.log?.('ui core: status listener failed', e);
      }
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    for (const off of this.offs.splice(0)) off();
    this.opts.pins.stop();
    this.statusListeners.clear();
    this.enrolListeners.clear();
  }

  // ── TesseraHost ────────────────────────────────────────────────────────────────────────

  getStatus(): Result<StatusView> {
    this.refresh();
    return ok(this.view);
  }

  onStatus(listener: (status: StatusView) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  getPrompt(): Result<Prompt> {
    return ok(this.stopped ? noPrompt : this.opts.pins.prompt());
  }

  onPrompt(listener: (prompt: Prompt) => void): () => void {
    return this.opts.pins.onPrompt(listener);
  }

  submitPin(requestId: string, pin: Uint8Array): Result<null> {
    return this.opts.pins.submit(requestId, pin);
  }

  cancelPin(requestId: string): Result<null> {
    return this.opts.pins.cancel(requestId);
  }

  cancelTouch(requestId: string): Result<null> {
    return this.opts.pins.cancelTouch(requestId);
  }

  async lock(): Promise<Result<null>> {
    const s = this.opts.runtime.engine.status();
    if (!s.current || s.current.state !== 'active') return err({ code: IpcErrorCode.noSession, message: 'no active session to lock' });
    const d = await this.opts.runtime.engine.lock();
    this.refresh();
    return d.decision === 'lock' ? ok(null) : err({ code: IpcErrorCode.noSession, message: `lock: ${d.reason}` });
  }

  async signOut(): Promise<Result<null>> {
    if (!this.opts.runtime.engine.status().current) return err({ code: IpcErrorCode.noSession, message: 'nobody to sign out' });
    const d = await this.opts.runtime.engine.signOut();
    this.refresh();
    return d.decision === 'sign_out' ? ok(null) : err({ code: IpcErrorCode.noSession, message: `sign out: ${d.reason}` });
  }

  async useSecurityKey(): Promise<Result<null>> {
    const start = this.opts.securityKey;
    if (!start) return err({ code: IpcErrorCode.notAllowed, message: 'no security-key fallback is configured' });
    // The login runs on; its prompts and its decision reach the UI as pushes.
    return start();
  }

  async retryConnection(): Promise<Result<null>> {
    this.agentState = 'ok';
    try {
      await this.opts.runtime.probe?.checkNow();
    } catch (e) {
      this.opts.log?.('ui core: provider check failed', e);
    }
    this.refresh();
    return ok(null);
  }

  async enrol(request: EnrolRequest): Promise<Result<EnrolStarted>> {
    const run = this.opts.enrol;
    if (!run || !this.allowed().enrol.includes(request.kind)) return err({ code: IpcErrorCode.notAllowed, message: `enrolment of a ${request.kind} is not allowed here` });
    const s = this.opts.runtime.engine.status().current;
    if (!s || s.state !== 'active') return err({ code: IpcErrorCode.noSession, message: 'enrolment needs an active session' });
    if (!s.factors.includes('knowledge') || !s.factors.includes('possession')) return err({ code: IpcErrorCode.needsTwoFactor, message: 'enrolment needs a two-factor session' });
    return run(request, (p) => {
      for (const l of [...this.enrolListeners]) l(p);
    });
  }

  cancelEnrol(enrolmentId: string): Result<null> {
    const cancel = this.opts.cancelEnrol;
    return cancel ? cancel(enrolmentId) : err({ code: IpcErrorCode.staleRequest, message: 'no enrolment in progress' });
  }

  onEnrolProgress(listener: (progress: EnrolProgress) => void): () => void {
    this.enrolListeners.add(listener);
    return () => this.enrolListeners.delete(listener);
  }

  getSettings(): Result<SettingsView> {
    return ok(this.settingsView());
  }

  async setSettings(changes: Partial<UserSettings>): Promise<Result<SettingsView>> {
    const view = this.settingsView();
    const names = Object.keys(changes) as SettingName[];
    const notAllowed = err({ code: IpcErrorCode.notAllowed, message: 'the policy does not let the user change this setting' });
    if (names.some((n) => !view.allowed[n])) return notAllowed;
    const next = { ...view.values, ...changes };
    const store = this.opts.settingsStore;
    if (store) {
      try {
        await store.save(next);
      } catch (e) {
        if (e instanceof SettingsRefused) return notAllowed;
        this.opts.log?.('ui core: the settings could not be saved', e);
        return err({ code: IpcErrorCode.internal, message: 'the settings could not be saved' });
      }
    }
    this.settings = next;
    return ok(this.settingsView());
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  private settingsView(): SettingsView {
    if (this.opts.settingsStore) return this.opts.settingsStore.view();
    const given = this.opts.settingsAllowed ?? {};
    const allowed = Object.fromEntries(settingNames.map((n) => [n, given[n] ?? true])) as Record<SettingName, boolean>;
    return { values: { ...this.settings }, allowed };
  }

  private onReaderEvent(e: ReaderEvent): void {
    if (e.type === 'card-inserted' || e.type === 'card-removed') this.opts.pins.cardEvent(e.type === 'card-inserted' ? 'inserted' : 'removed', e.reader);
    this.refresh();
  }

  private compute(): StatusView {
    const rt = this.opts.runtime;
    return statusViewOf({
      engine: rt.engine.status(),
      degraded: rt.degraded(),
      readers: rt.agent.readers(),
      sso: this.opts.sso?.current() ?? null,
      agent: this.agentState,
      allowed: this.allowed(),
    });
  }
}
