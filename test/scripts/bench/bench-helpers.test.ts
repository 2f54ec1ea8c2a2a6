/**
 * The CPS login benchmark's pure helpers (scripts/bench/stats.ts, scripts/bench/cps-report.ts):
 * statistics, arguments, quickack detection and the report arithmetic, on made-up numbers.
 * No timing is measured or asserted here: the benchmark itself only reports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ARGS, parseArgs, percentile, roundDeep, routesHaveLoopbackQuickack, summarize } from '../../../scripts/bench/stats.js';
import { buildReport, CPS_STEPS, describeApdus, formatSummary, type LoginSample, type Measurements } from '../../../scripts/bench/cps-report.js';

describe('bench statistics', () => {
  it('interpolates percentiles between closest ranks', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile(sorted, 100), 10);
    assert.equal(percentile(sorted, 50), 5.5);
    assert.ok(Math.abs(percentile(sorted, 95) - 9.55) < 1e-9);
    assert.equal(percentile([7], 95), 7);
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });

  it('summarises an unsorted sample', () => {
    const s = summarize([5, 1, 3, 2, 4]);
    assert.deepEqual(s, { n: 5, p50: 3, p95: 4.8, mean: 3, min: 1, max: 5 });
    assert.throws(() => summarize([]), RangeError);
  });

  it('rounds nested numbers and leaves the rest', () => {
    assert.deepEqual(roundDeep({ a: 1.23456, b: [2.00049, 'x'], c: { d: true, e: null } }), { a: 1.235, b: [2, 'x'], c: { d: true, e: null } });
  });
});

describe('bench arguments', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(parseArgs([]), DEFAULT_ARGS);
    assert.equal(DEFAULT_ARGS.runs, 60);
    assert.equal(DEFAULT_ARGS.out, 'bench-results/cps-login.json');
  });

  it('reads both --name value and --name=value', () => {
    const a = parseArgs(['--runs', '80', '--warmup=3', '--out', '/tmp/x.json', '--rtt-runs=400', '--card-thread', 'worker', '--sign-runs=7']);
    assert.equal(a.runs, 80);
    assert.equal(a.warmup, 3);
    assert.equal(a.out, '/tmp/x.json');
    assert.equal(a.rttRuns, 400);
    assert.equal(a.cardThread, 'worker');
    assert.equal(a.signRuns, 7);
  });

  it('refuses fewer than 50 runs, fewer than 200 round trips and unknown flags', () => {
    assert.throws(() => parseArgs(['--runs', '49']), /at least 50/);
    assert.throws(() => parseArgs(['--rtt-runs', '199']), /at least 200/);
    assert.throws(() => parseArgs(['--runs', 'many']), /whole number/);
    assert.throws(() => parseArgs(['--card-thread', 'gpu']), /main or worker/);
    assert.throws(() => parseArgs(['--fast']), /unknown argument/);
    assert.throws(() => parseArgs(['--what-if', 'on']), /unknown argument/);
    assert.throws(() => parseArgs(['--out']), /file path/);
  });
});

describe('quickack detection', () => {
  it('sees the routes scripts/testnet.sh sets', () => {
    const inNamespace = [
      'local 127.0.0.0/8 dev lo scope host quickack 1 ',
      'local 127.0.0.1 dev lo scope host quickack 1 ',
      'broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1 ',
    ].join('\n');
    assert.equal(routesHaveLoopbackQuickack(inNamespace), true);
  });

  it('does not see it on a plain host table', () => {
    const host = [
      'local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 ',
      'local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 ',
      'local 192.0.2.2 dev eth0 proto kernel scope host src 192.0.2.2 quickack 1',
    ].join('\n');
    assert.equal(routesHaveLoopbackQuickack(host), false);
  });
});

describe('bench report arithmetic', () => {
  const apdus = [
    '00A4040400', '00A4020400', '00B00000E7', '00B000E7E7', '00B001CEE7', '00B002B5E7', '00B0039CE7',
    '00200001', '0020000108', '002241A406', '0088000033',
  ].map((h) => Buffer.from(h, 'hex'));
  const steps = Object.fromEntries(CPS_STEPS.map((s) => [s, 0.1])) as LoginSample['steps'];
  const sample = (totalMs: number): LoginSample => ({
    totalMs,
    connectMs: 0.1,
    recognitionMs: 0.2,
    loginMs: 0.9,
    disconnectMs: 0.2,
    steps,
    apduCount: 11,
    cardComputeMs: 0.3,
    resets: 1,
    atrReads: 2,
  });
  const measurements = (loginMs: number): Measurements => ({
    args: { ...DEFAULT_ARGS },
    startedAt: new Date('2026-01-01T00:00:00Z'),
    routeSaysQuickack: true,
    samples: Array.from({ length: 60 }, () => sample(loginMs)),
    lastLoginApdus: apdus,
    rtts: Array.from({ length: 300 }, () => 0.15),
    replays: [2, 2, 2],
    rttPerRound: 5,
    signSamples: [0.35, 0.35, 0.35],
    privateEncryptSamples: [0.2],
    idleAtrPerSecond: 3,
    layers: { channel: [0.16], exchange: [0.17] },
    bareWithCard: { connect: [0.08], release: [0.2] },
    inProcess: { parseCardCertificate: [0.13] },
    environment: { cpus: 2, cpuModel: 'test', loadavg1m: 0, kernel: 'test' },
  });

  it('names the APDUs of a login', () => {
    assert.deepEqual(describeApdus(apdus), { SELECT: 2, 'READ BINARY': 5, VERIFY: 2, 'MSE SET': 1, 'INTERNAL AUTHENTICATE': 1 });
  });

  it('computes floor = rtt × APDUs + card signature, and the overhead against it', () => {
    const r = buildReport(measurements(3));
    assert.equal(r.floor.apdusPerLogin, 11);
    assert.ok(Math.abs(r.floor.floorMs - 1.65) < 1e-9);
    assert.ok(Math.abs(r.floor.floorWithCardCompute - 2.0) < 1e-9);
    assert.ok(Math.abs(r.ratio.agentOverheadPct - 50) < 1e-9);
    assert.equal(r.ratio.meetsTarget, false, '50% is not below the 50% target');
    assert.ok(Math.abs(r.ratio.loginP50OverFloor - 3 / 1.65) < 1e-9);
    assert.ok(Math.abs(r.ratio.loginP50OverRawReplay - 1.5) < 1e-9);
    assert.ok(Math.abs(r.ratio.overheadVsRawReplayPct - 50) < 1e-9);
    assert.equal('whatIf' in r, false, 'no what-if section any more');
  });

  it('meets the target below 50% and warns only without quickack', () => {
    const ok = buildReport(measurements(2.9));
    assert.equal(ok.ratio.meetsTarget, true);
    const summary = formatSummary(ok, '/tmp/x.json');
    assert.doesNotMatch(summary, /WARNING/);
    assert.doesNotMatch(summary, /what-if/);
    assert.match(summary, /^login {6}p50 2\.90 ms/m);
    const slow = buildReport({ ...measurements(2.9), routeSaysQuickack: false });
    assert.equal(slow.environment.quickackNamespace, false);
    assert.match(formatSummary(slow, '/tmp/x.json'), /WARNING: not in a quickack network namespace/);
  });
});
