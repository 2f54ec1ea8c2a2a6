/**
 * The engine's clock: the current time and one-shot timers at absolute instants. Injectable so
 * every time rule (window expiry, idle lock) is tested by advancing a manual clock, never by
 * waiting.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface EngineClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once when the clock reaches `at` (immediately on the next turn when already past). */
  at(at: number, fn: () => void): TimerHandle;
}

/** Node's timer limit (about 24.8 days); longer delays are re-armed in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/** Wall clock. Timers are unref'd: a pending window never keeps a process alive. */
export const systemClock: EngineClock = {
  now: () => Date.now(),
  at(at: number, fn: () => void): TimerHandle {
    let t: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = Math.max(0, at - Date.now());
      t = setTimeout(() => {
        if (cancelled) return;
        if (Date.now() < at) arm();
        else fn();
      }, Math.min(delay, MAX_DELAY));
      t.unref();
    };
    arm();
    return {
      cancel(): void {
        cancelled = true;
        if (t) clearTimeout(t);
      },
    };
  },
};

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in time order (then creation order). */
export class ManualClock implements EngineClock {
  private t: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start: number | Date = Date.UTC(2026, 2, 2, 7, 0, 0)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.t;
  }

  at(at: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = { at, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: (): void => {
        timer.cancelled = true;
        this.timers = this.timers.filter((x) => x !== timer);
      },
    };
  }

  /** Number of pending timers (tests check the engine does not leak them). */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way at its own instant. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ManualClock.advance: ${ms}`);
    this.runUntil(this.t + ms);
  }

  /** Moves the clock to `target` (not backwards), firing due timers. */
  set(target: number | Date): void {
    const to = typeof target === 'number' ? target : target.getTime();
    if (to < this.t) throw new RangeError('ManualClock.set: the clock does not go backwards');
    this.runUntil(to);
  }

  /**
   * Jumps to `target` WITHOUT firing timers on the way (a machine asleep: its timers did not
   * run); they fire at the next `advance`/`set`/`flush`.
   */
  jump(target: number): void {
    if (target < this.t) throw new RangeError('ManualClock.jump: the clock does not go backwards');
    this.t = target;
  }

  /** Fires the timers already due. */
  flush(): void {
    this.runUntil(this.t);
  }

  private runUntil(target: number): void {
    for (;;) {
      let next: ManualTimer | undefined;
      for (const x of this.timers) {
        if (x.at <= target && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      if (next.at > this.t) this.t = next.at;
      next.fn();
    }
    this.t = Math.max(this.t, target);
  }
}
