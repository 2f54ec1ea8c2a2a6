/**
 * Pure helpers of the CPS login benchmark (scripts/bench/run.ts): summary statistics, command
 * line parsing, quickack detection from `ip route show table local`. No I/O here, so they can
 * be unit-tested (test/scripts/bench/bench-helpers.test.ts) without a test bed.
 */

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Percentile by linear interpolation between closest ranks (the "type 7" estimator of R and
 * NumPy's default): p in [0, 100], `sorted` ascending and non-empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of an empty sample');
  const sorted = [...samples].sort((x, y) => x - y);
  const sum = sorted.reduce((acc, x) => acc + x, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: sum / sorted.length,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

/** Rounds every number of a (JSON-like) value to `digits` decimals, for readable output. */
export function roundDeep<T>(value: T, digits = 3): T {
  const f = 10 ** digits;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * f) / f : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

export type CardThread = 'main' | 'worker';

export interface BenchArgs {
  /** Measured logins (at least 50). */
  readonly runs: number;
  /** Logins run first and discarded (JIT, first connection, caches). */
  readonly warmup: number;
  /** Raw APDU round trips for the floor (at least 200), split before and after the logins. */
  readonly rttRuns: number;
  /** In-process RSA-2048 signatures timed for the card's compute time. */
  readonly signRuns: number;
  readonly out: string;
  /** Where the simulated card runs: this thread (as tests insert it) or a worker thread. */
  readonly cardThread: CardThread;
}

export const DEFAULT_ARGS: BenchArgs = {
  runs: 60,
  warmup: 5,
  rttRuns: 300,
  signRuns: 100,
  out: 'bench-results/cps-login.json',
  cardThread: 'main',
};

const MIN_RUNS = 50;
const MIN_RTT_RUNS = 200;

export const USAGE = `usage: node build/scripts/bench/run.js [--runs N (>= ${MIN_RUNS}, default ${DEFAULT_ARGS.runs})] \
[--warmup N (default ${DEFAULT_ARGS.warmup})] [--rtt-runs N (>= ${MIN_RTT_RUNS}, default ${DEFAULT_ARGS.rttRuns})] \
[--sign-runs N (default ${DEFAULT_ARGS.signRuns})] [--out FILE (default ${DEFAULT_ARGS.out})] \
[--card-thread main|worker (default ${DEFAULT_ARGS.cardThread})]`;

/** Parses `--name value` and `--name=value`; throws a RangeError with the usage on bad input. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const out: { -readonly [K in keyof BenchArgs]: BenchArgs[K] } = { ...DEFAULT_ARGS };
  const int = (name: string, raw: string | undefined, min: number): number => {
    if (raw === undefined || !/^[0-9]+$/.test(raw)) throw new RangeError(`${name} needs a whole number\n${USAGE}`);
    const n = Number(raw);
    if (n < min) throw new RangeError(`${name} must be at least ${min}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string | undefined => (eq >= 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--runs': out.runs = int(name, takeValue(), MIN_RUNS); break;
      case '--warmup': out.warmup = int(name, takeValue(), 0); break;
      case '--rtt-runs': out.rttRuns = int(name, takeValue(), MIN_RTT_RUNS); break;
      case '--sign-runs': out.signRuns = int(name, takeValue(), 1); break;
      case '--out': {
        const v = takeValue();
        if (!v) throw new RangeError(`--out needs a file path\n${USAGE}`);
        out.out = v;
        break;
      }
      case '--card-thread': {
        const v = takeValue();
        if (v !== 'main' && v !== 'worker') throw new RangeError(`--card-thread is main or worker\n${USAGE}`);
        out.cardThread = v;
        break;
      }
      default: throw new RangeError(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return out;
}

/**
 * True when the loopback route to 127.0.0.1 in `ip route show table local` carries
 * `quickack 1` (what scripts/testnet.sh sets up).
 */
export function routesHaveLoopbackQuickack(ipRouteOutput: string): boolean {
  return ipRouteOutput
    .split('\n')
    .some((line) => /^local 127\.0\.0\.(1|0\/8)\s/.test(line.trim()) && /\bquickack 1\b/.test(line));
}

/** Above this raw round trip the loopback is taken to delay its ACKs (measured 48 ms vs 0.4 ms). */
export const SLOW_RTT_MS = 20;

/**
 * The sample's distribution in `points` evenly spaced quantiles (q0 = min … q100 = max with the
 * default 101), the compact form the benchmark report draws its CDFs from.
 */
export function quantiles(samples: readonly number[], points = 101): number[] {
  if (points < 2) throw new RangeError('quantiles needs at least 2 points');
  const sorted = [...samples].sort((x, y) => x - y);
  return Array.from({ length: points }, (_, i) => percentile(sorted, (100 * i) / (points - 1)));
}

/** A `--name` option's whole-number value (node:util parseArgs gives strings), `fallback` when absent. */
export function wholeNumberOption(name: string, raw: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new RangeError(`--${name}: a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
  return Number(raw);
}
