/**
 * The single benchmark report: every figure of every bench JSON (bench-results/*.json) side by
 * side with its floor and their ratio, the machine, the date and commit, and SVG charts.
 * Pure (inputs in, texts out): scripts/bench/report.ts does the I/O, and the unit test feeds it
 * small fixtures.
 */
import { histogram, lineChart, type Series } from './svg-charts.js';
import type { MachineInfo } from './machine.js';

export interface Row {
  readonly benchmark: string;
  readonly figure: string;
  readonly unit: string;
  /** The headline value: p50 for a latency, the rate for a throughput, the figure itself otherwise. */
  readonly value: number;
  readonly p95?: number;
  readonly p99?: number;
  readonly floor?: number;
  /** value / floor. */
  readonly ratio?: number;
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

export interface Chart {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

export interface ReportMeta {
  readonly generatedAt: Date;
  readonly machine: MachineInfo;
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
}

export interface BenchInput {
  /** The file it came from (e.g. `cps-login.json`). */
  readonly file: string;
  readonly data: unknown;
}

export interface BenchReport {
  readonly json: {
    readonly generatedAt: string;
    readonly git: ReportMeta['git'];
    readonly machine: MachineInfo;
    readonly sources: readonly { file: string; benchmark: string; at: string | null; recognised: boolean }[];
    readonly rows: readonly Row[];
    readonly charts: readonly { file: string; title: string }[];
  };
  readonly markdown: string;
  readonly charts: readonly Chart[];
}

/** The benches `npm run bench` runs, in report order; a missing one is listed as not run. */
export const KNOWN_BENCHMARKS = ['cps-login', 'tap-unlock', 'fido-assertion', 'policy', 'audit', 'soak', 'control-load', 'sso-signin'] as const;

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The number at `path` (dot-separated), or undefined. */
export function num(v: unknown, path: string): number | undefined {
  let cur: unknown = v;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : undefined;
}

function str(v: unknown, path: string): string | undefined {
  let cur: unknown = v;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return typeof cur === 'string' ? cur : undefined;
}

function numbers(v: unknown, path: string): number[] | undefined {
  let cur: unknown = v;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return Array.isArray(cur) && cur.length > 0 && cur.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (cur as number[]) : undefined;
}

export function benchmarkName(input: BenchInput): string {
  return str(input.data, 'benchmark') ?? str(input.data, 'bench') ?? input.file.replace(/\.json$/, '');
}

interface RowSpec {
  figure: string;
  unit: string;
  value: number | undefined;
  p95?: number | undefined;
  p99?: number | undefined;
  floor?: number | undefined;
  target?: string | undefined;
  met?: boolean | undefined;
  note?: string | undefined;
}

/** Builds a row, dropping it when its value is missing; the ratio is computed here, never read. */
function row(benchmark: string, s: RowSpec): Row[] {
  if (s.value === undefined) return [];
  const out: { -readonly [K in keyof Row]: Row[K] } = { benchmark, figure: s.figure, unit: s.unit, value: s.value };
  if (s.p95 !== undefined) out.p95 = s.p95;
  if (s.p99 !== undefined) out.p99 = s.p99;
  if (s.floor !== undefined && s.floor > 0) {
    out.floor = s.floor;
    out.ratio = s.value / s.floor;
  }
  if (s.target !== undefined) out.target = s.target;
  if (s.met !== undefined) out.met = s.met;
  if (s.note !== undefined) out.note = s.note;
  return [out];
}

const bool = (v: unknown, path: string): boolean | undefined => {
  let cur: unknown = v;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return typeof cur === 'boolean' ? cur : undefined;
};

/** A latency row from a `{ p50, p95, p99? }` summary at `at`. */
function latency(b: string, d: unknown, at: string, figure: string, extra: Omit<RowSpec, 'figure' | 'unit' | 'value'> = {}): Row[] {
  return row(b, { figure, unit: 'ms', value: num(d, `${at}.p50`), p95: num(d, `${at}.p95`), p99: num(d, `${at}.p99`), ...extra });
}

type Extractor = (d: unknown) => Row[];

const EXTRACTORS: Readonly<Record<string, Extractor>> = {
  'cps-login': (d) => {
    const overheadTarget = str(d, 'ratio.target');
    return [
      ...latency('cps-login', d, 'latency', 'CPS login, card present → authenticated', {
        floor: num(d, 'floor.floorWithCardCompute'),
        target: overheadTarget ? `agent overhead ${overheadTarget}` : undefined,
        met: bool(d, 'ratio.meetsTarget'),
        note: 'floor: raw APDU round trip × APDUs per login + the card\'s RSA signature',
      }),
      ...row('cps-login', { figure: 'CPS login vs its APDUs replayed raw', unit: 'ms', value: num(d, 'latency.p50'), floor: num(d, 'floor.rawReplay.p50'), note: 'diagnostic floor: no agent code on the path' }),
    ];
  },
  'tap-unlock': (d) => {
    const ratio = num(d, 'target.ratio');
    return latency('tap-unlock', d, 'tapMs', 'Badge tap, present → unlocked', {
      floor: num(d, 'floor.floorMs'),
      target: ratio !== undefined ? `< ${ratio} × floor` : undefined,
      met: bool(d, 'target.met'),
      note: 'floor: the tap\'s APDUs replayed raw right after a fresh insert + connect, plus the card\'s compute',
    });
  },
  'fido-assertion': (d) => [
    ...latency('fido-assertion', d, 'verifyWithPin.ms', 'FIDO2 verification with PIN (4 CTAP commands)', {
      floor: num(d, 'verifyWithPin.floorMs') ?? num(d, 'verifyWithPin.simulatorFloorMs.p50'),
      note: 'floor: the simulator\'s own processing',
    }),
    ...latency('fido-assertion', d, 'getAssertionWithToken.ms', 'FIDO2 getAssertion with a PIN token', {
      floor: num(d, 'getAssertionWithToken.floorMs') ?? num(d, 'getAssertionWithToken.simulatorFloorMs.p50'),
    }),
  ],
  policy: (d) => [
    ...row('policy', { figure: 'RIE policy decisions', unit: 'decisions/s', value: num(d, 'policy.perSecond') }),
    ...row('policy', { figure: 'Session engine decisions', unit: 'decisions/s', value: num(d, 'engine.decisionsPerSecond'), note: `heap growth over ${num(d, 'engine.cycles') ?? '?'} cycles: ${num(d, 'engine.growth.heapUsed') ?? '?'} B` }),
  ],
  audit: (d) => [
    ...latency('audit', d, 'sequential.latencyMs', 'Audit append, one at a time (fsync each)', { floor: num(d, 'floor.latencyMs.p50'), note: 'floor: bare write + fsync of one line' }),
    ...latency('audit', d, 'burst.latencyMs', 'Audit append, burst (group commit)'),
    ...row('audit', { figure: 'Audit burst throughput', unit: 'records/s', value: num(d, 'burst.recordsPerSecond'), floor: num(d, 'floor.perSecond'), note: 'ratio above 1: group commit beats one fsync per record' }),
    ...row('audit', { figure: 'Audit chain verification', unit: 'records/s', value: num(d, 'verify.recordsPerSecond') }),
  ],
  soak: (d) => [
    ...row('soak', {
      figure: `Soak: ${num(d, 'cycles.taps') ?? '?'} taps + ${num(d, 'cycles.logins') ?? '?'} CPS logins, failed cycles`,
      unit: 'cycles',
      value: num(d, 'cycles.failed'),
      target: '0',
      met: num(d, 'cycles.failed') === 0,
      note: `${((num(d, 'durationMs.soak') ?? 0) / 1000).toFixed(0)} s over ${num(d, 'config.stations') ?? '?'} stations; audit chains ${bool(d, 'auditChainsVerified') ? 'verify' : 'DO NOT verify'}`,
    }),
    ...latency('soak', d, 'latencyMs.tapUnlock', 'Soak: badge tap → unlocked (incl. pcscd poll)'),
    ...latency('soak', d, 'latencyMs.cpsLogin', 'Soak: CPS login (incl. pcscd poll)'),
    ...row('soak', { figure: 'Soak: RSS slope, second half', unit: 'B/cycle', value: num(d, 'verdict.rssSlopeBytesPerCycle'), target: `≤ ${num(d, 'verdict.limits.rssBytesPerCycle') ?? '?'}`, met: bool(d, 'verdict.checks.rss') }),
    ...row('soak', { figure: 'Soak: heap slope, second half', unit: 'B/cycle', value: num(d, 'verdict.heapSlopeBytesPerCycle'), target: `≤ ${num(d, 'verdict.limits.heapBytesPerCycle') ?? '?'}`, met: bool(d, 'verdict.checks.heap') }),
    ...row('soak', { figure: 'Soak: open handles, last decile − first', unit: 'handles', value: num(d, 'verdict.handlesGrowth'), target: `≤ ${num(d, 'verdict.limits.handlesGrowth') ?? '?'}`, met: bool(d, 'verdict.checks.handles') }),
    ...row('soak', {
      figure: 'Soak: event-loop lag p99, last decile',
      unit: 'ms',
      value: num(d, 'verdict.lagP99LastDecileMs'),
      floor: num(d, 'verdict.lagP99FirstDecileMs'),
      target: `≤ ${num(d, 'verdict.limits.lagP99Ratio') ?? '?'} × first decile (or + ${num(d, 'verdict.limits.lagP99MarginMs') ?? '?'} ms)`,
      met: bool(d, 'verdict.checks.lag'),
      note: 'floor column: the first decile',
    }),
  ],
  'sso-signin': (d) => [
    ...latency('sso-signin', d, 'signInMs', 'Web SSO sign-in, 2FA done → tokens (HTTP client)', { note: `${num(d, 'hopsPerSignIn') ?? '?'} browser hops + code exchange; no floor measured` }),
    ...latency('sso-signin', d, 'steps.browserHopsMs', 'Web SSO sign-in: browser hops'),
    ...latency('sso-signin', d, 'steps.codeExchangeMs', 'Web SSO sign-in: code exchange'),
    ...latency('sso-signin', d, 'chromium.signInMs', 'Web SSO sign-in in Chromium'),
  ],
  'control-load': (d) => [
    ...latency('control-load', d, 'latencyMs', `Control channel status, ${num(d, 'config.clients') ?? '?'} concurrent clients`, { target: 'no errors', met: num(d, 'errors') === 0, note: `${num(d, 'errors') ?? '?'} errors in ${num(d, 'requests') ?? '?'} requests` }),
    ...row('control-load', { figure: 'Control channel throughput', unit: 'requests/s', value: num(d, 'throughputPerS') }),
  ],
};

/** For a bench this report does not know (e.g. a new one): every `{ p50 }` summary down to depth 3, with a `floorMs` beside it when there is one. */
export function genericRows(benchmark: string, d: unknown): Row[] {
  const out: Row[] = [];
  const topFloor = num(d, 'floorMs') ?? num(d, 'floor.floorMs') ?? num(d, 'floor.p50');
  const walk = (v: unknown, path: string[], depth: number): void => {
    if (!isObj(v) || depth > 3) return;
    if (typeof v['p50'] === 'number' && path.length > 0 && path[0] !== 'floor') {
      out.push(...row(benchmark, { figure: path.join('.'), unit: /ms$|latency|duration/i.test(path.join('.')) ? 'ms' : '', value: num(v, 'p50'), p95: num(v, 'p95'), p99: num(v, 'p99'), floor: num(v, 'floorMs') ?? topFloor }));
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, [...path, k], depth + 1);
  };
  walk(d, [], 0);
  return out;
}

/** The latency distributions the CDF chart draws: q0..q100 arrays some benches record. */
function distributions(inputs: readonly BenchInput[]): Series[] {
  const named: { bench: string; path: string; label: string }[] = [
    { bench: 'cps-login', path: 'latencyQuantilesMs', label: 'CPS login' },
    { bench: 'tap-unlock', path: 'tapQuantilesMs', label: 'Badge tap → unlocked' },
    { bench: 'fido-assertion', path: 'verifyWithPin.quantilesMs', label: 'FIDO2 verify with PIN' },
    { bench: 'fido-assertion', path: 'getAssertionWithToken.quantilesMs', label: 'FIDO2 getAssertion (token)' },
    { bench: 'control-load', path: 'latencyQuantilesMs', label: 'Control channel status (200 clients)' },
    { bench: 'sso-signin', path: 'quantilesMs', label: 'SSO sign-in' },
  ];
  const out: Series[] = [];
  for (const n of named) {
    const input = inputs.find((i) => benchmarkName(i) === n.bench);
    const q = input ? numbers(input.data, n.path) : undefined;
    if (q && q.length >= 2) out.push({ name: n.label, points: q.map((v, i) => [v, (100 * i) / (q.length - 1)] as const) });
  }
  return out;
}

function charts(inputs: readonly BenchInput[]): Chart[] {
  const out: Chart[] = [];
  const cdf = distributions(inputs);
  if (cdf.length > 0) {
    const title = 'Latency distributions (CDF)';
    out.push({ file: 'latency-cdf.svg', title, svg: lineChart({ title, xLabel: 'latency, ms (log scale)', yLabel: '% of runs at or below', series: cdf, logX: true, yRange: [0, 100] }) });
  }
  const soak = inputs.find((i) => benchmarkName(i) === 'soak')?.data;
  const cycles = numbers(soak, 'curves.cycles');
  if (cycles) {
    const curve = (path: string): (readonly [number, number])[] => (numbers(soak, path) ?? []).map((v, i) => [cycles[i] ?? i, v] as const);
    const memTitle = 'Soak: memory over the cycles';
    out.push({ file: 'soak-memory.svg', title: memTitle, svg: lineChart({ title: memTitle, xLabel: 'cycles completed', yLabel: 'MB', series: [{ name: 'RSS', points: curve('curves.rssMB') }, { name: 'heap used (after GC)', points: curve('curves.heapUsedMB') }] }) });
    const loopTitle = 'Soak: open handles and event-loop lag';
    out.push({ file: 'soak-loop.svg', title: loopTitle, svg: lineChart({ title: loopTitle, xLabel: 'cycles completed', yLabel: 'handles / ms', series: [{ name: 'open handles', points: curve('curves.handles') }, { name: 'lag p99, ms', points: curve('curves.lagP99Ms') }, { name: 'lag p50, ms', points: curve('curves.lagP50Ms') }] }) });
  }
  const load = inputs.find((i) => benchmarkName(i) === 'control-load')?.data;
  const counts = numbers(load, 'histogramMs.counts');
  const from = num(load, 'histogramMs.fromMs');
  const width = num(load, 'histogramMs.widthMs');
  if (counts && from !== undefined && width !== undefined) {
    const title = 'Control channel: status latency histogram';
    out.push({ file: 'control-load-histogram.svg', title, svg: histogram({ title, xLabel: 'latency, ms (last bar: up to p99.9)', yLabel: 'requests', fromX: from, width, counts }) });
  }
  return out;
}

/** Three significant digits, no exponent for ordinary values. */
export function fmtNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.01) return v.toFixed(2);
  return v.toPrecision(2);
}

const cell = (v: number | undefined, unit = ''): string => (v === undefined ? '' : `${fmtNumber(v)}${unit ? ` ${unit}` : ''}`);
const pipeSafe = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function tableRow(r: Row): string {
  const target = r.target === undefined ? '' : `${r.target}${r.met === undefined ? '' : r.met ? ' ✔' : ' ✘'}`;
  return `| ${pipeSafe(r.benchmark)} | ${pipeSafe(r.figure)} | ${cell(r.value, r.unit)} | ${cell(r.p95)} | ${cell(r.p99)} | ${cell(r.floor)} | ${r.ratio === undefined ? '' : `${fmtNumber(r.ratio)}×`} | ${pipeSafe(target)} | ${pipeSafe(r.note ?? '')} |`;
}

export function buildBenchReport(inputs: readonly BenchInput[], meta: ReportMeta): BenchReport {
  const byName = new Map(inputs.map((i) => [benchmarkName(i), i]));
  const order = [...KNOWN_BENCHMARKS.filter((b) => byName.has(b)), ...[...byName.keys()].filter((b) => !(KNOWN_BENCHMARKS as readonly string[]).includes(b)).sort()];
  const rows: Row[] = [];
  for (const b of order) {
    const input = byName.get(b);
    if (!input) continue;
    const extract = EXTRACTORS[b];
    rows.push(...(extract ? extract(input.data) : genericRows(b, input.data)));
  }
  const chartList = charts(inputs);
  const sources = order.map((b) => {
    const i = byName.get(b);
    return { file: i?.file ?? '', benchmark: b, at: str(i?.data, 'at') ?? str(i?.data, 'environment.date') ?? null, recognised: b in EXTRACTORS };
  });
  const missing = KNOWN_BENCHMARKS.filter((b) => !byName.has(b));
  const m = meta.machine;
  const gib = (m.ramBytes / 1024 ** 3).toFixed(1);
  const soak = byName.get('soak')?.data;
  const md = [
    '# Tessera benchmark report',
    '',
    `Generated ${meta.generatedAt.toISOString()} from commit \`${meta.git ? meta.git.commit.slice(0, 12) : 'unknown'}\`${meta.git?.dirty ? ' (with uncommitted changes)' : ''} by \`npm run bench\` (scripts/bench/all.sh, then scripts/bench/report.ts). How to reproduce: [docs/benchmarks.md](../docs/benchmarks.md).`,
    '',
    '## Machine',
    '',
    '| CPU | Cores | RAM | Kernel | Node | pcscd | Load (1 min) | Loopback quickack |',
    '|---|---|---|---|---|---|---|---|',
    `| ${pipeSafe(m.cpuModel)} | ${m.cores} | ${gib} GiB | ${pipeSafe(m.kernel)} | ${m.node} | ${m.pcscd ?? 'not found'} | ${m.loadavg1m.toFixed(2)} | ${m.quickack === null ? 'unknown' : m.quickack ? 'yes' : 'no'} |`,
    '',
    'A load well above the core count means other work shared the machine: figures are then noisy (latencies up, lag up).',
    '',
    '## Figures',
    '',
    'Value is the p50 for a latency (ms), the rate for a throughput. Ratio = value / floor: for a latency, how far above what nothing in the agent can go under; for a throughput, the share of the floor reached.',
    '',
    '| Benchmark | Figure | Value | p95 | p99 | Floor | Ratio | Target | Note |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(tableRow),
    '',
    ...(soak !== undefined
      ? [`Soak verdict: **${bool(soak, 'verdict.ok') ? 'stable' : 'not stable'}** (${Object.entries(isObj(soak) && isObj(soak['verdict']) && isObj(soak['verdict']['checks']) ? soak['verdict']['checks'] : {}).map(([k, v]) => `${k} ${v === true ? '✔' : '✘'}`).join(', ')})${bool(soak, 'quick') ? ' — quick run' : ''}.`, '']
      : []),
    '## Charts',
    '',
    ...(chartList.length > 0 ? chartList.flatMap((c) => [`![${c.title}](${c.file})`, '']) : ['No bench recorded a distribution or a curve.', '']),
    '## Sources',
    '',
    '| Benchmark | File | Measured at |',
    '|---|---|---|',
    ...sources.map((s) => `| ${pipeSafe(s.benchmark)}${s.recognised ? '' : ' (generic rows)'} | bench-results/${pipeSafe(s.file)} | ${s.at ?? ''} |`),
    ...(missing.length > 0 ? ['', `Not run: ${missing.join(', ')}.`] : []),
    '',
  ].join('\n');
  return {
    json: { generatedAt: meta.generatedAt.toISOString(), git: meta.git, machine: m, sources, rows, charts: chartList.map((c) => ({ file: c.file, title: c.title })) },
    markdown: md,
    charts: chartList,
  };
}
