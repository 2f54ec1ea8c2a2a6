/**
 * Single-use values with an expiry: the provider's assertion nonces (each bound to the login
 * interaction it was issued for) and the `jti` of logout notices already seen. Bounded: beyond
 * `max` live entries the oldest are dropped (a dropped nonce only makes its login retry).
 */
import { randomBytes } from 'node:crypto';

export type NonceCheck = 'ok' | 'unknown' | 'expired' | 'replayed' | 'wrong_interaction';

interface NonceEntry {
  readonly interaction: string;
  readonly expiresAt: number;
  used: boolean;
}

export class NonceStore {
  private readonly entries = new Map<string, NonceEntry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly max = 10_000,
  ) {}

  /** A fresh nonce (32 random bytes, base64url) for `interaction`. */
  issue(interaction: string): string {
    this.sweep();
    const nonce = randomBytes(32).toString('base64url');
    this.entries.set(nonce, { interaction, expiresAt: this.now() + this.ttlMs, used: false });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return nonce;
  }

  /** Checks and uses the nonce: whatever the answer, it cannot be used again. */
  consume(nonce: string, interaction: string): NonceCheck {
    const e = this.entries.get(nonce);
    if (!e) return 'unknown';
    if (e.used) return 'replayed';
    e.used = true;
    if (e.expiresAt <= this.now()) return 'expired';
    if (e.interaction !== interaction) return 'wrong_interaction';
    return 'ok';
  }

  private sweep(): void {
    const now = this.now();
    // Used entries are kept until expiry so that a replay reads `replayed`, not `unknown`.
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}

/** `jti` values seen, each remembered until its message would have expired anyway. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 100_000,
  ) {}

  /** True the first time `jti` is presented (and remembers it until `untilMs`), false after. */
  firstUse(jti: string, untilMs: number): boolean {
    const now = this.now();
    for (const [k, t] of this.seen) if (t <= now) this.seen.delete(k);
    if (this.seen.has(jti)) return false;
    if (this.seen.size >= this.max) return false;
    this.seen.set(jti, untilMs);
    return true;
  }
}
