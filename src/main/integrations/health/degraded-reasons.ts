/**
 * Why the agent works in degraded mode, as a set of reasons each with the time it started and a
 * short technical detail (for IT; what a person reads comes from the code through i18n). The
 * agent keeps working under the same policy whatever is in this set: it only describes what is
 * unreachable so the status, the UI and the audit trail can show it.
 */

/** `pcsc_unavailable`: the PC/SC daemon is gone; `idp_unreachable`: the identity provider does not answer; `network_down`: no route or no name resolution. */
export const DEGRADED_CODES = ['pcsc_unavailable', 'idp_unreachable', 'network_down'] as const;
export type DegradedCode = (typeof DEGRADED_CODES)[number];

export interface DegradedReason {
  readonly code: DegradedCode;
  /** ISO 8601 UTC: when this reason started (the first failure seen). */
  readonly since: string;
  /** Technical detail for logs (an error code such as `ECONNREFUSED`, an HTTP status); never a secret. */
  readonly detail?: string;
}

export type DegradedChange = { readonly kind: 'entered'; readonly reason: DegradedReason } | { readonly kind: 'left'; readonly reason: DegradedReason };

/**
 * The current reasons; listeners hear each reason that starts or ends (not repeated failures).
 * Several sources may hold the same code (the provider probe and the token refresh both see an
 * unreachable provider): a reason ends when the last source that holds it lets it go.
 */
export class DegradedReasons {
  private readonly current = new Map<DegradedCode, DegradedReason>();
  private readonly holders = new Map<DegradedCode, Set<string>>();
  private readonly listeners = new Set<(change: DegradedChange, all: readonly DegradedReason[]) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Reasons in a stable order (the order of DEGRADED_CODES). */
  list(): readonly DegradedReason[] {
    return DEGRADED_CODES.flatMap((c) => {
      const r = this.current.get(c);
      return r ? [r] : [];
    });
  }

  get active(): boolean {
    return this.current.size > 0;
  }

  has(code: DegradedCode): boolean {
    return this.current.has(code);
  }

  /** Marks `code` active for `source`. Already active: the start time is kept, only the detail is refreshed (no event). */
  enter(code: DegradedCode, detail?: string, source = 'default'): void {
    const held = this.holders.get(code) ?? new Set<string>();
    held.add(source);
    this.holders.set(code, held);
    const old = this.current.get(code);
    if (old) {
      if (detail !== undefined && detail !== old.detail) this.current.set(code, { ...old, detail });
      return;
    }
    const reason: DegradedReason = { code, since: this.now().toISOString(), ...(detail !== undefined ? { detail } : {}) };
    this.current.set(code, reason);
    this.emit({ kind: 'entered', reason });
  }

  /** `source` no longer sees `code`; the reason ends when no source holds it. Nothing happens when it was not active. */
  leave(code: DegradedCode, source = 'default'): void {
    const held = this.holders.get(code);
    held?.delete(source);
    if (held && held.size > 0) return;
    this.holders.delete(code);
    const old = this.current.get(code);
    if (!old) return;
    this.current.delete(code);
    this.emit({ kind: 'left', reason: old });
  }

  onChange(listener: (change: DegradedChange, all: readonly DegradedReason[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: DegradedChange): void {
    const all = this.list();
    for (const l of [...this.listeners]) {
      try {
        l(change, all);
      } catch {
        // a failing listener never stops the others
      }
    }
  }
}
