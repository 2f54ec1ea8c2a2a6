/**
 * The PIN pad as the agent sees it (the runtime's `pinPad` injection) and as the UI sees it (a
 * `pin` prompt answered with submitPin/cancelPin and the prompt's request id).
 *
 * One PIN request at a time: a new request, a new card or the removal of the card the request
 * is for cancels the pending one (the means gets `UiError('pin_superseded')`, and its login
 * fails); the person's cancel gives `UiError('pin_cancelled')`. A submitted PIN becomes a fresh
 * Buffer whose ownership passes to the login (which wipes it after VERIFY); the bytes the bridge
 * handed over are wiped at once, and so are those of a refused or stale submission.
 *
 * "Touch your key" follows a key's PIN or the key's own keepalive; it carries a request id the
 * UI cancels it with (`cancelTouch`), which aborts the key's operation.
 */
import { randomBytes } from 'node:crypto';
import type { PinRequest } from '../../means/cps/cps-login.js';
import { maxTries, noPrompt, type NoticeCode, type PinReason, type Prompt } from '../../../shared/prompt.js';
import { IpcErrorCode, err, ok, type Result } from '../../../shared/result.js';
import type { MeansKind } from '../../../shared/status-view.js';
import { UiError, type UiErrorCode } from './ui-error.js';

/** CPS PINs are 4 to 8 digits (IAS-ECC PIN object); a pad never accepts more. */
export const cpsPinLength = { min: 4, max: 8 } as const;

interface PendingPin {
  readonly id: string;
  readonly reader: string;
  readonly resolve: (pin: Buffer) => void;
  readonly reject: (e: UiError) => void;
  readonly length: { readonly min: number; readonly max: number };
  /** Shown once the PIN is given: nothing, or the touch prompt with its cancel. */
  readonly touchCancel: (() => void) | undefined;
}

export interface PinAsk {
  readonly reader: string;
  readonly holder: string;
  readonly means: MeansKind;
  readonly triesLeft?: number;
  readonly reason?: PinReason;
  readonly length: { readonly min: number; readonly max: number };
  /**
   * After the PIN is given, ask the person to touch their key (a FIDO2 operation follows); the
   * function is what cancelling that touch prompt does (abort the key's operation).
   */
  readonly touchAfter?: () => void;
}

/** FIDO2 PINs: at least 4 characters (CTAP 2.1 minimum); the contract carries digits up to 16. */
export const fidoPinLength = { min: 4, max: 16 } as const;

export class PinBroker {
  private pending: PendingPin | undefined;
  private current: Prompt = noPrompt;
  /** The touch prompt on show, with what cancelling it does. */
  private touch: { readonly id: string; readonly cancel: () => void } | undefined;
  private readonly listeners = new Set<(p: Prompt) => void>();
  private stopped = false;
  private readonly aborted = new Set<string>();
  private readonly wrong = new Set<string>();

  constructor(private readonly newId: () => string = () => randomBytes(16).toString('base64url')) {}

  /** The runtime's CPS PIN pad (`AgentRuntimeOptions.pinPad`). */
  readonly cpsPinPad = (reader: string, req: PinRequest): Promise<Buffer> =>
    this.ask({
      reader,
      holder: req.holder.name.trim() || req.holder.id,
      means: 'cps',
      triesLeft: Math.max(0, Math.min(maxTries, req.retriesLeft)),
      length: cpsPinLength,
    });

  prompt(): Prompt {
    return this.current;
  }

  onPrompt(listener: (p: Prompt) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last PIN given on `reader` was wrong: the next request there carries reason `wrong_pin`. */
  lastWasWrong(reader: string): void {
    this.wrong.add(reader);
  }

  /** Shows a PIN prompt and waits for the person's answer. */
  ask(a: PinAsk): Promise<Buffer> {
    if (this.stopped) return Promise.reject(new UiError('ui_stopped', 'the UI core is stopped'));
    const reason = this.wrong.delete(a.reader) && a.reason === undefined ? 'wrong_pin' : a.reason;
    this.abort('pin_superseded', 'another PIN request replaced this one');
    return new Promise<Buffer>((resolve, reject) => {
      const id = this.newId();
      this.pending = { id, reader: a.reader, resolve, reject, length: a.length, touchCancel: a.touchAfter };
      this.show({
        kind: 'pin',
        requestId: id,
        holder: a.holder,
        means: a.means,
        ...(a.triesLeft !== undefined ? { triesLeft: a.triesLeft } : {}),
        ...(reason ? { reason } : {}),
        length: { min: a.length.min, max: a.length.max },
      });
    });
  }

  /** The UI's answer. Takes ownership of `pin` and wipes it whatever happens. */
  submit(requestId: string, pin: Uint8Array): Result<null> {
    const p = this.pending;
    try {
      if (!p || p.id !== requestId) return err({ code: IpcErrorCode.staleRequest, message: 'no PIN request with this id is open' });
      if (pin.length < p.length.min || pin.length > p.length.max || !pin.every((b) => b >= 0x30 && b <= 0x39)) {
        return err({ code: IpcErrorCode.invalidRequest, message: `the PIN must be ${p.length.min} to ${p.length.max} digits` });
      }
      this.pending = undefined;
      const bytes = Buffer.alloc(pin.length);
      bytes.set(pin);
      if (p.touchCancel) this.showTouchAs(p.id, p.touchCancel);
      else this.show(noPrompt);
      p.resolve(bytes);
      return ok(null);
    } finally {
      pin.fill(0);
    }
  }

  cancel(requestId: string): Result<null> {
    if (!this.pending || this.pending.id !== requestId) return err({ code: IpcErrorCode.staleRequest, message: 'no PIN request with this id is open' });
    this.abort('pin_cancelled', 'the person cancelled the PIN pad');
    return ok(null);
  }

  /** A card came or went: a PIN request for a card that is gone, or before a new card, is over. */
  cardEvent(type: 'inserted' | 'removed', reader: string): void {
    if (type === 'inserted' || this.pending?.reader === reader) this.abort('pin_superseded', type === 'removed' ? 'the card was pulled' : 'another card was inserted');
    if (this.current.kind === 'notice') this.show(noPrompt);
  }

  /**
   * True once after a request of `reader` was cancelled or superseded: the login failure that
   * follows is the person's doing (or the card's removal), not something to tell them about.
   */
  takeAborted(reader: string): boolean {
    return this.aborted.delete(reader);
  }

  /** Something the person should read once (a blocked PIN, a refused badge...). */
  notice(code: NoticeCode, holder?: string): void {
    if (this.pending) return;
    this.show({ kind: 'notice', code, ...(holder ? { holder } : {}) });
  }

  /** Clears a notice (the person read it, or the session moved on). */
  clearNotice(): void {
    if (this.current.kind === 'notice') this.show(noPrompt);
  }

  /** An enrolment waits for a badge. */
  showPresentBadge(): void {
    if (!this.pending) this.show({ kind: 'present_badge' });
  }

  clearPresentBadge(): void {
    if (this.current.kind === 'present_badge') this.show(noPrompt);
  }

  /**
   * The key waits for a touch (its keepalive says so): "touch your key", unless a PIN request
   * is open or the prompt is already on show. `cancel` is what `cancelTouch` does.
   */
  showTouch(cancel: () => void): void {
    if (this.pending || this.current.kind === 'touch_key') return;
    this.showTouchAs(this.newId(), cancel);
  }

  /** The person cancelled "touch your key": the prompt closes and the key's operation is aborted. */
  cancelTouch(requestId: string): Result<null> {
    const t = this.touch;
    if (!t || t.id !== requestId || this.current.kind !== 'touch_key') return err({ code: IpcErrorCode.staleRequest, message: 'no touch prompt with this id is on show' });
    this.show(noPrompt);
    t.cancel();
    return ok(null);
  }

  /** The key answered (or failed): the touch prompt is over. */
  clearTouch(): void {
    if (this.current.kind === 'touch_key') this.show(noPrompt);
  }

  /** Cancels what is pending; later requests are refused. */
  stop(): void {
    this.abort('ui_stopped', 'the UI core stopped');
    this.stopped = true;
  }

  private abort(code: UiErrorCode, why: string): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.aborted.add(p.reader);
    this.show(noPrompt);
    p.reject(new UiError(code, why));
  }

  private showTouchAs(id: string, cancel: () => void): void {
    this.show({ kind: 'touch_key', requestId: id }, { id, cancel });
  }

  /** Shows `prompt` (with the touch prompt's cancel, for a touch prompt) and tells the listeners. */
  private show(prompt: Prompt, touch?: { readonly id: string; readonly cancel: () => void }): void {
    this.current = prompt;
    this.touch = touch;
    for (const l of [...this.listeners]) {
      try {
        l(prompt);
      } catch {
        // a failing listener never blocks the PIN pad
      }
    }
  }
}
