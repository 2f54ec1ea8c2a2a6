/**
 * The soak's verdict, computed from its sampled curves only (pure: unit-tested with made-up
 * curves). Three questions: does memory keep growing once warm (least-squares slope of RSS and
 * of the heap over the second half of the run), do open handles pile up (last decile against
 * the first), and does the event loop get slower (lag p99 of the last decile against the first).
 */

export interface SoakSample {
  /** Cycles completed when the sample was taken. */
  readonly cycles: number;
  readonly elapsedMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** `process.getActiveResourcesInfo().length`. */
  readonly handles: number;
  /** Event-loop delay since the previous sample (`monitorEventLoopDelay`), in ms. */
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
}

/** Thresholds of the verdict; generous enough for noise, far below what a per-cycle leak gives over 10,000 cycles. */
export const SOAK_LIMITS = {
  /** RSS slope over the second half, bytes per cycle (1 KiB per cycle = 10 MB over 10,000 cycles). */
  rssBytesPerCycle: 1024,
  /** Heap-used slope over the second half, bytes per cycle. */
  heapBytesPerCycle: 256,
  /** Open handles, median of the last decile minus median of the first. */
  handlesGrowth: 2,
  /** Lag p99, median of the last decile over median of the first, tolerated when below the absolute margin. */
  lagP99Ratio: 2,
  lagP99MarginMs: 5,
} as const;

export interface SoakVerdict {
  readonly ok: boolean;
  readonly failures: number;
  readonly rssSlopeBytesPerCycle: number;
  readonly heapSlopeBytesPerCycle: number;
  readonly handlesFirstDecile: number;
  readonly handlesLastDecile: number;
  readonly handlesGrowth: number;
  readonly lagP99FirstDecileMs: number;
  readonly lagP99LastDecileMs: number;
  readonly checks: { readonly rss: boolean; readonly heap: boolean; readonly handles: boolean; readonly lag: boolean; readonly noFailures: boolean };
  readonly limits: typeof SOAK_LIMITS;
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** First and last tenth of the samples (at least one each). */
export function deciles<T>(samples: readonly T[]): { first: T[]; last: T[] } {
  const k = Math.max(1, Math.floor(samples.length / 10));
  return { first: samples.slice(0, k), last: samples.slice(-k) };
}

export function soakVerdict(samples: readonly SoakSample[], failures: number): SoakVerdict {
  if (samples.length < 4) throw new RangeError(`a soak verdict needs at least 4 samples, got ${samples.length}`);
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  const rssSlope = slope(secondHalf.map((s) => [s.cycles, s.rssBytes] as const));
  const heapSlope = slope(secondHalf.map((s) => [s.cycles, s.heapUsedBytes] as const));
  const { first, last } = deciles(samples);
  // The lag of a sample covers the interval before it: the sample at cycle 0 has none.
  const lagged = deciles(samples.filter((s) => s.cycles > 0));
  const handlesFirst = median(first.map((s) => s.handles));
  const handlesLast = median(last.map((s) => s.handles));
  const lagFirst = median(lagged.first.map((s) => s.lagP99Ms));
  const lagLast = median(lagged.last.map((s) => s.lagP99Ms));
  const checks = {
    rss: rssSlope <= SOAK_LIMITS.rssBytesPerCycle,
    heap: heapSlope <= SOAK_LIMITS.heapBytesPerCycle,
    handles: handlesLast - handlesFirst <= SOAK_LIMITS.handlesGrowth,
    lag: lagLast <= Math.max(lagFirst * SOAK_LIMITS.lagP99Ratio, lagFirst + SOAK_LIMITS.lagP99MarginMs),
    noFailures: failures === 0,
  };
  return {
    ok: Object.values(checks).every(Boolean),
    failures,
    rssSlopeBytesPerCycle: rssSlope,
    heapSlopeBytesPerCycle: heapSlope,
    handlesFirstDecile: handlesFirst,
    handlesLastDecile: handlesLast,
    handlesGrowth: handlesLast - handlesFirst,
    lagP99FirstDecileMs: lagFirst,
    lagP99LastDecileMs: lagLast,
    checks,
    limits: SOAK_LIMITS,
  };
}
