/**
 * The single benchmark report (scripts/bench/bench-report.ts, svg-charts.ts, soak-verdict.ts)
 * on small fixture JSONs: the table rows with floors and ratios, the generic rows of a bench the
 * report does not know, the Markdown, and well-formed SVG charts (parsed with fast-xml-parser).
 * Nothing is timed here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildBenchReport, genericRows, tableRow, type BenchInput, type ReportMeta, type Row } from '../../../scripts/bench/bench-report.js';
import { escapeXml, formatTick, histogram, lineChart, niceTicks } from '../../../scripts/bench/svg-charts.js';
import { slope, soakVerdict, SOAK_LIMITS, type SoakSample } from '../../../scripts/bench/soak-verdict.js';
import { quantiles } from '../../../scripts/bench/stats.js';

const META: ReportMeta = {
  generatedAt: new Date('2026-11-23T19:00:00Z'),
  machine: { cpuModel: 'Test CPU @ 2.0GHz', cores: 2, ramBytes: 8 * 1024 ** 3, kernel: '6.1.0-test', node: 'v20.19.0', pcscd: '1.9.9', loadavg1m: 0.5, quickack: true },
  git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
};

const q = (lo: number, hi: number): number[] => Array.from({ length: 101 }, (_, i) => lo + ((hi - lo) * i) / 100);

const soakCurves = (n: number, rss: (c: number) => number, handles = (): number => 20, lag = (): number => 3): SoakSample[] =>
  Array.from({ length: n }, (_, i) => ({ cycles: i * 100, elapsedMs: i * 1000, rssBytes: rss(i * 100), heapUsedBytes: 20e6, handles: handles(), lagP50Ms: 1, lagP99Ms: lag(), lagMaxMs: 10 }));

const FIXTURES: BenchInput[] = [
  {
    file: 'cps-login.json',
    data: {
      benchmark: 'cps-login',
      environment: { date: '2026-11-23T18:00:00.000Z' },
      latency: { unit: 'ms', n: 60, p50: 120, p95: 150, mean: 125, min: 100, max: 200 },
      latencyQuantilesMs: q(100, 200),
      floor: { floorWithCardCompute: 80, rawReplay: { p50: 100, p95: 110 } },
      ratio: { target: '< 50%', meetsTarget: true },
    },
  },
  {
    file: 'tap-unlock.json',
    data: { benchmark: 'tap-unlock', at: '2026-11-23T18:01:00.000Z', tapMs: { p50: 30, p95: 40 }, tapQuantilesMs: q(20, 60), floor: { floorMs: 15 }, target: { ratio: 1.5, met: false } },
  },
  {
    file: 'soak.json',
    data: {
      benchmark: 'soak',
      at: '2026-11-23T18:02:00.000Z',
      quick: false,
      config: { stations: 8 },
      cycles: { taps: 10000, logins: 1000, failed: 0 },
      durationMs: { soak: 1_200_000 },
      auditChainsVerified: true,
      latencyMs: { tapUnlock: { p50: 400, p95: 600 }, cpsLogin: { p50: 420, p95: 650 } },
      curves: { cycles: [0, 100, 200, 300], rssMB: [80, 81, 81, 81], heapUsedMB: [16, 16.1, 16.1, 16.1], handles: [20, 20, 20, 20], lagP50Ms: [0, 1, 1, 1], lagP99Ms: [0, 3, 3, 3] },
      verdict: soakVerdict(soakCurves(20, () => 80e6), 0),
    },
  },
  {
    file: 'control-load.json',
    data: {
      benchmark: 'control-load',
      at: '2026-11-23T18:03:00.000Z',
      config: { clients: 200 },
      requests: 600000,
      errors: 0,
      throughputPerS: 10000,
      latencyMs: { p50: 5, p95: 20, p99: 50 },
      latencyQuantilesMs: q(1, 80),
      histogramMs: { fromMs: 1, widthMs: 2, counts: [5, 50, 500, 50, 5] },
    },
  },
  { file: 'sso-signin.json', data: { benchmark: 'sso-signin', at: '2026-11-23T18:04:00.000Z', signInMs: { p50: 25, p95: 35 }, quantilesMs: q(15, 50), steps: { codeExchangeMs: { p50: 5, p95: 6 } }, hopsPerSignIn: 4 } },
  { file: 'new-bench.json', data: { benchmark: 'new-bench', at: '2026-11-23T18:05:00.000Z', floorMs: 10, thingMs: { p50: 25, p95: 35, p99: 45 }, floor: { p50: 1 } } },
  { file: 'extra-thing.json', data: { note: 'no summary in here' } },
];

const find = (rows: readonly Row[], benchmark: string, figure: string): Row => rows.find((r) => r.benchmark === benchmark && r.figure === figure) ?? assert.fail(`no row ${benchmark} / ${figure}: ${JSON.stringify(rows.map((r) => r.figure))}`);

describe('benchmark report', () => {
  const report = buildBenchReport(FIXTURES, META);

  it('puts every figure beside its floor with the ratio computed from both', () => {
    const cps = find(report.json.rows, 'cps-login', 'CPS login, card present → authenticated');
    assert.deepEqual([cps.value, cps.p95, cps.floor, cps.ratio, cps.target, cps.met], [120, 150, 80, 1.5, 'agent overhead < 50%', true]);
    const tap = find(report.json.rows, 'tap-unlock', 'Badge tap, present → unlocked');
    assert.deepEqual([tap.value, tap.floor, tap.ratio, tap.target, tap.met], [30, 15, 2, '< 1.5 × floor', false]);
    const load = find(report.json.rows, 'control-load', 'Control channel status, 200 concurrent clients');
    assert.deepEqual([load.value, load.p95, load.p99, load.floor, load.met], [5, 20, 50, undefined, true]);
    const failed = find(report.json.rows, 'soak', 'Soak: 10000 taps + 1000 CPS logins, failed cycles');
    assert.deepEqual([failed.value, failed.met], [0, true]);
  });

  it('formats a table row with units, floor, ratio and the target mark', () => {
    assert.equal(
      tableRow(find(report.json.rows, 'tap-unlock', 'Badge tap, present → unlocked')),
      "| tap-unlock | Badge tap, present → unlocked | 30.0 ms | 40.0 |  | 15.0 | 2.00× | < 1.5 × floor ✘ | floor: the tap's APDUs replayed raw right after a fresh insert + connect, plus the card's compute |",
    );
    assert.equal(tableRow({ benchmark: 'a|b', figure: 'x', unit: 'records/s', value: 25848.9 }), '| a\\|b | x | 25,849 records/s |  |  |  |  |  |  |');
  });

  it('reads a bench it does not know through its { p50 } summaries and its floorMs', () => {
    const rows = report.json.rows.filter((r) => r.benchmark === 'new-bench');
    assert.deepEqual(rows, [{ benchmark: 'new-bench', figure: 'thingMs', unit: 'ms', value: 25, p95: 35, p99: 45, floor: 10, ratio: 2.5 }]);
    assert.deepEqual(genericRows('x', { a: { b: { c: { d: { p50: 1 } } } } }), [], 'deeper than three levels is not read');
    assert.equal(report.json.sources.find((s) => s.benchmark === 'new-bench')?.recognised, false);
    assert.ok(report.markdown.includes('| new-bench (generic rows) | bench-results/new-bench.json |'));
  });

  it('reads the SSO sign-in bench: the sign-in and the steps it recorded, without a floor', () => {
    const sso = report.json.rows.filter((r) => r.benchmark === 'sso-signin');
    assert.deepEqual(sso.map((r) => [r.figure, r.value, r.p95, r.floor]), [
      ['Web SSO sign-in, 2FA done → tokens (HTTP client)', 25, 35, undefined],
      ['Web SSO sign-in: code exchange', 5, 6, undefined],
    ]);
  });

  it('writes the Markdown: machine, commit, every row, the charts linked, what was not run', () => {
    const md = report.markdown;
    assert.match(md, /^# Tessera benchmark report$/m);
    assert.match(md, /commit `0123456789ab`/);
    assert.ok(md.includes('| Test CPU @ 2.0GHz | 2 | 8.0 GiB | 6.1.0-test | v20.19.0 | 1.9.9 | 0.50 | yes |'));
    for (const r of report.json.rows) assert.ok(md.includes(tableRow(r)), `row ${r.figure} in the Markdown`);
    for (const c of report.charts) assert.ok(md.includes(`](${c.file})`), `${c.file} linked`);
    assert.match(md, /Not run: fido-assertion, policy, audit\./);
    assert.match(md, /Soak verdict: \*\*stable\*\*/);
  });

  it('draws well-formed SVG charts: one CDF line per recorded distribution, the soak curves, the load histogram', () => {
    assert.deepEqual(report.charts.map((c) => c.file), ['latency-cdf.svg', 'soak-memory.svg', 'soak-loop.svg', 'control-load-histogram.svg']);
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });
    for (const c of report.charts) {
      assert.equal(XMLValidator.validate(c.svg), true, `${c.file} is well-formed XML`);
      const doc = parser.parse(c.svg) as { svg?: { xmlns?: string; polyline?: unknown; g?: unknown } };
      assert.equal(doc.svg?.xmlns, 'http://www.w3.org/2000/svg', `${c.file} is an SVG document`);
    }
    const lines = (svg: string): number => (svg.match(/<polyline /g) ?? []).length;
    const svgOf = (file: string): string => report.charts.find((c) => c.file === file)?.svg ?? assert.fail(file);
    assert.equal(lines(svgOf('latency-cdf.svg')), 4, 'CPS, tap, control load, SSO');
    assert.equal(lines(svgOf('soak-memory.svg')), 2);
    assert.equal((svgOf('control-load-histogram.svg').match(/<\/rect>/g) ?? []).length, 5, 'a bar (with its tooltip) per bucket');
  });

  it('escapes labels so any text stays well-formed', () => {
    const svg = lineChart({ title: 'a < b & "c"', xLabel: "d's > e", yLabel: 'y', series: [{ name: '<script>', points: [[1, 1], [2, 4]] }] });
    assert.equal(XMLValidator.validate(svg), true);
    assert.ok(!svg.includes('<script>'));
    assert.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;');
    assert.equal(XMLValidator.validate(histogram({ title: 'h', xLabel: 'x', yLabel: 'y', fromX: 0, width: 1, counts: [] })), true, 'an empty histogram is still a document');
  });

  it('picks round ticks that cover the range', () => {
    assert.deepEqual(niceTicks(0, 91, 5), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(0.3, 0.95, 6), [0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(quantiles([5, 1, 3], 3), [1, 3, 5]);
    assert.deepEqual([400_000, 2e6, 12_000, 100, 1.5, 3, 0.2, 0.05].map(formatTick), ['400k', '2M', '12k', '100', '1.5', '3', '0.2', '0.05']);
  });
});

describe('soak verdict', () => {
  it('fits the slope of a straight line exactly', () => {
    assert.equal(slope([[0, 1], [1, 3], [2, 5]]), 2);
    assert.equal(slope([[1, 1]]), 0);
  });

  it('is stable on flat curves', () => {
    const v = soakVerdict(soakCurves(50, () => 80e6), 0);
    assert.equal(v.ok, true);
    assert.equal(v.rssSlopeBytesPerCycle, 0);
  });

  it('flags a leak of 2 KiB per cycle in the second half, even after a flat start', () => {
    const v = soakVerdict(soakCurves(50, (c) => 80e6 + Math.max(0, c - 2500) * 2048), 0);
    assert.equal(v.checks.rss, false);
    assert.ok(Math.abs(v.rssSlopeBytesPerCycle - 2048) < 1e-6);
    assert.ok(v.rssSlopeBytesPerCycle > SOAK_LIMITS.rssBytesPerCycle);
  });

  it('flags growing handles, a slower event loop, and failed cycles', () => {
    let h = 20;
    assert.equal(soakVerdict(soakCurves(50, () => 80e6, () => h++), 0).checks.handles, false);
    let lag = 2;
    const slower = soakVerdict(soakCurves(50, () => 80e6, undefined, () => (lag += 1)), 0);
    assert.equal(slower.checks.lag, false);
    assert.ok(slower.lagP99LastDecileMs > slower.lagP99FirstDecileMs);
    const failed = soakVerdict(soakCurves(50, () => 80e6), 3);
    assert.deepEqual([failed.ok, failed.checks.noFailures], [false, false]);
    assert.throws(() => soakVerdict(soakCurves(3, () => 1), 0), RangeError);
  });
});
