/**
 * Turns the raw measurements of the CPS login benchmark into its JSON report and its short
 * human summary. Pure: no I/O, so it is unit-tested with made-up numbers.
 */
import type { CpsStep } from '../../src/main/means/cps/cps-login.js';
import { quantiles, SLOW_RTT_MS, summarize, type BenchArgs, type Summary } from './stats.js';

export const TARGET_OVERHEAD_PCT = 50;
export const NOOP_APDU_HEX = '00200001';

export const CPS_STEPS: readonly CpsStep[] = ['select', 'readCertificate', 'checkCertificate', 'pinStatus', 'pinProvider', 'verifyPin', 'sign', 'verifySignature'];

const INS_NAMES: Readonly<Record<number, string>> = {
  0xa4: 'SELECT',
  0xb0: 'READ BINARY',
  0x20: 'VERIFY',
  0x22: 'MSE SET',
  0x88: 'INTERNAL AUTHENTICATE',
  0xc0: 'GET RESPONSE',
};

export interface LoginSample {
  readonly totalMs: number;
  readonly connectMs: number;
  readonly recognitionMs: number;
  readonly loginMs: number;
  readonly disconnectMs: number;
  readonly steps: Readonly<Record<CpsStep, number>>;
  readonly apduCount: number;
  readonly cardComputeMs: number;
  readonly resets: number;
  readonly atrReads: number;
}

export interface Measurements {
  readonly args: BenchArgs;
  readonly startedAt: Date;
  /** From `ip route show table local`; undefined when `ip` could not be run. */
  readonly routeSaysQuickack: boolean | undefined;
  readonly samples: readonly LoginSample[];
  /** The APDUs of the last headline login, as the card received them. */
  readonly lastLoginApdus: readonly Buffer[];
  readonly rtts: readonly number[];
  /** The APDUs of one login replayed raw through the addon (no agent code), one per round. */
  readonly replays: readonly number[];
  readonly rttPerRound: number;
  readonly signSamples: readonly number[];
  readonly privateEncryptSamples: readonly number[];
  readonly idleAtrPerSecond: number;
  readonly layers: { readonly channel: readonly number[]; readonly exchange: readonly number[] };
  readonly bareWithCard: { readonly connect: readonly number[]; readonly release: readonly number[] };
  readonly inProcess: Readonly<Record<string, readonly number[]>>;
  readonly environment: { readonly cpus: number; readonly cpuModel: string; readonly loadavg1m: number; readonly kernel: string };
}

export function describeApdus(apdus: readonly Buffer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of apdus) {
    const ins = a[1] ?? -1;
    const name = INS_NAMES[ins] ?? `INS ${ins.toString(16).padStart(2, '0')}`;
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

const pick = (s: Summary): { p50: number; p95: number } => ({ p50: s.p50, p95: s.p95 });

/** Most frequent value (ties: the larger); the APDU count of a login should not vary. */
function mode(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = 0;
  let bestCount = -1;
  for (const [v, c] of counts) {
    if (c > bestCount || (c === bestCount && v > best)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

export function buildReport(m: Measurements) {
  const { samples } = m;
  const apduCounts = samples.map((s) => s.apduCount);
  const apdusPerLogin = mode(apduCounts);
  const lastApdus = m.lastLoginApdus;

  const latency = summarize(samples.map((s) => s.totalMs));
  const rtt = summarize(m.rtts);
  const cardSign = summarize(m.signSamples);
  const floorMs = rtt.p50 * apdusPerLogin;
  const floorWithCardCompute = floorMs + cardSign.p50;
  const agentOverheadPct = ((latency.p50 - floorWithCardCompute) / floorWithCardCompute) * 100;
  const replay = summarize(m.replays);
  const quickack = m.routeSaysQuickack ?? rtt.p50 <= SLOW_RTT_MS;

  const outsideSteps = (s: LoginSample): number => s.loginMs - CPS_STEPS.reduce((acc, k) => acc + s.steps[k], 0);
  const steps: Record<string, { p50: number; p95: number; mean: number }> = {};
  const addStep = (name: string, values: number[]): void => {
    const s = summarize(values);
    steps[name] = { p50: s.p50, p95: s.p95, mean: s.mean };
  };
  addStep('connect', samples.map((s) => s.connectMs));
  addStep('recognition', samples.map((s) => s.recognitionMs));
  for (const step of CPS_STEPS) addStep(step, samples.map((s) => s.steps[step]));
  addStep('cpsLoginOther', samples.map(outsideSteps));
  addStep('disconnect', samples.map((s) => s.disconnectMs));

  // Where the mean login goes above the floor; the parts add up to mean − floorWithCardCompute.
  const meanOf = (f: (s: LoginSample) => number): number => samples.reduce((a, s) => a + f(s), 0) / samples.length;
  const apduSteps = meanOf((s) => s.recognitionMs + s.steps.select + s.steps.readCertificate + s.steps.pinStatus + s.steps.verifyPin + s.steps.sign);
  const excessOverFloorMean = {
    total: latency.mean - floorWithCardCompute,
    connectAndResetOnRelease: meanOf((s) => s.connectMs + s.disconnectMs),
    checkCertificate: meanOf((s) => s.steps.checkCertificate),
    verifySignature: meanOf((s) => s.steps.verifySignature),
    otherJs: meanOf((s) => s.steps.pinProvider + outsideSteps(s)),
    apduStepsAboveFloor: apduSteps - floorWithCardCompute,
  };

  return {
    benchmark: 'cps-login',
    description:
      'CPS login latency, card present → authenticated, PIN supplied programmatically, as the agent runs it: ' +
      'monitor.withCard(reader, ch => recognizeCard(ch) then cpsLogin(ch, { trust, applicationSelected: true, pin })), as `tessera cps login` does, ' +
      'through the isolated pcscd + vpcd and the CPS simulator.',
    config: {
      runs: m.args.runs,
      warmup: m.args.warmup,
      rttRuns: rtt.n,
      rttPerRound: m.rttPerRound,
      signRuns: m.args.signRuns,
      out: m.args.out,
      pin: 'programmatic',
      cardThread: m.args.cardThread,
      schedule: 'rounds of [raw round trips, raw replay of the login APDUs, one headline login]',
    },
    environment: {
      node: process.version,
      platform: `${process.platform} ${m.environment.kernel} ${process.arch}`,
      cpus: m.environment.cpus,
      cpuModel: m.environment.cpuModel,
      loadavg1m: m.environment.loadavg1m,
      quickackNamespace: quickack,
      quickackDetection: m.routeSaysQuickack === undefined ? `raw round trip p50 <= ${SLOW_RTT_MS} ms (ip not available)` : 'ip route show table local',
      date: m.startedAt.toISOString(),
    },
    latency: { unit: 'ms', ...latency },
    /** q0..q100 of the login latency, for the benchmark report's CDF. */
    latencyQuantilesMs: quantiles(samples.map((s) => s.totalMs)),
    steps: {
      unit: 'ms',
      note:
        'connect = withCard up to the channel (waits for the previous release reset, if still running, then SCardConnect exclusive); ' +
        'recognition = recognizeCard (one SELECT); select..verifySignature = cpsLogin result.steps (select is 0: applicationSelected, as the CLI); ' +
        'cpsLoginOther = cpsLogin time outside its steps; disconnect = withCard after the login (the SCardDisconnect(RESET_CARD) completes off the clock).',
      ...steps,
    },
    floor: {
      unit: 'ms',
      noopApdu: NOOP_APDU_HEX,
      rttP50: rtt.p50,
      rttP95: rtt.p95,
      rttMin: rtt.min,
      rttSamples: rtt.n,
      apdusPerLogin,
      apdusPerLoginVaried: new Set(apduCounts).size > 1,
      apduBreakdown: describeApdus(lastApdus),
      loginApduHeaders: lastApdus.map((a) => a.subarray(0, 4).toString('hex').toUpperCase()),
      floorMs,
      cardSignMs: cardSign.p50,
      cardSignMethod: "crypto.sign('sha256', 32 bytes, the card's RSA-2048 key), p50 in-process",
      cardPrivateEncryptMs: summarize(m.privateEncryptSamples).p50,
      cardComputeInSituP50: summarize(samples.map((s) => s.cardComputeMs)).p50,
      floorWithCardCompute,
      rawReplay: {
        ...pick(replay),
        note: "the login's own APDUs (same data sizes, the card's real signature) sent raw through the addon in one exclusive connection; connect and release not included",
      },
      notInFloor: {
        resetsPerLogin: mode(samples.map((s) => s.resets)),
        atrRequestsPerLoginP50: summarize(samples.map((s) => s.atrReads)).p50,
        idleAtrRequestsPerSecond: m.idleAtrPerSecond,
        note: 'vpcd control exchanges, not APDUs: the reset of the reset-on-release, and ATR requests (after the reset, and pcscd polling presence)',
      },
    },
    ratio: {
      loginP50OverFloor: latency.p50 / floorMs,
      loginP50OverFloorWithCardCompute: latency.p50 / floorWithCardCompute,
      agentOverheadPct,
      target: `< ${TARGET_OVERHEAD_PCT}%`,
      meetsTarget: agentOverheadPct < TARGET_OVERHEAD_PCT,
      loginP50OverRawReplay: latency.p50 / replay.p50,
      overheadVsRawReplayPct: ((latency.p50 - replay.p50) / replay.p50) * 100,
    },
    profile: {
      unit: 'ms',
      note: 'diagnostics, not part of the headline figures',
      excessOverFloorMean,
      perApduRttP50: {
        addon: rtt.p50,
        pcscCardChannel: summarize(m.layers.channel).p50,
        exchange: summarize(m.layers.exchange).p50,
      },
      bareWithCard: { connect: pick(summarize(m.bareWithCard.connect)), releaseWithReset: pick(summarize(m.bareWithCard.release)) },
      inProcess: Object.fromEntries(Object.entries(m.inProcess).map(([k, v]) => [k, pick(summarize(v))])),
    },
  };
}

export type BenchReport = ReturnType<typeof buildReport>;

export function formatSummary(r: BenchReport, outPath: string): string {
  const f = (x: number): string => x.toFixed(2);
  const { latency, floor, ratio } = r;
  const stepEntries = Object.entries(r.steps as Record<string, unknown>).filter((e): e is [string, { p50: number; p95: number; mean: number }] => typeof e[1] === 'object');
  const lines = [
    `login      p50 ${f(latency.p50)} ms  p95 ${f(latency.p95)} ms  mean ${f(latency.mean)}  min ${f(latency.min)}  max ${f(latency.max)}  (${latency.n} runs)`,
    `floor      rtt p50 ${f(floor.rttP50)} ms × ${floor.apdusPerLogin} APDUs = ${f(floor.floorMs)} ms  + card RSA sign ${f(floor.cardSignMs)} ms = ${f(floor.floorWithCardCompute)} ms`,
    `replay     the login's ${floor.apdusPerLogin} APDUs sent raw: p50 ${f(floor.rawReplay.p50)} ms (login is ${ratio.overheadVsRawReplayPct.toFixed(0)}% above it)`,
    `ratio      login/floor ${f(ratio.loginP50OverFloor)}  login/(floor+card) ${f(ratio.loginP50OverFloorWithCardCompute)}  ` +
      `agent overhead ${ratio.agentOverheadPct.toFixed(1)}% (target ${ratio.target}: ${ratio.meetsTarget ? 'met' : 'NOT met'})`,
    `steps p50  ${stepEntries.map(([k, v]) => `${k} ${f(v.p50)}`).join(', ')}`,
    `written    ${outPath}`,
  ];
  if (!r.environment.quickackNamespace || floor.rttP50 > SLOW_RTT_MS) {
    lines.push(
      `WARNING: not in a quickack network namespace (raw round trip p50 ${f(floor.rttP50)} ms): every APDU pays the loopback's delayed ACK; ` +
        'run it under ./scripts/testnet.sh for meaningful figures.',
    );
  }
  return lines.join('\n') + '\n';
}
