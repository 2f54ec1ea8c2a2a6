/**
 * Soak: 10,000 badge tap cycles (DESFire tap → unlocked → locked) and 1,000 full CPS logins
 * (card + PIN → session; card out → locked) in one run, through real agent runtimes (audit log
 * fsync'd per decision, recorded session engine, reader-driven agent, control socket), the
 * isolated pcscd and vpcd, and the card simulators.
 *
 * pcscd polls a vpcd reader every 400 ms, so one reader gives about one cycle per 0.8 s (the
 * insertion and the removal each wait for a poll): 10,000 cycles would take over two hours. The
 * soak therefore runs eight stations (eight agent runtimes, one per virtual reader of one
 * pcscd: a ward on one host) in this process; the cycles are spread over them, and everything
 * sampled (RSS, heap, handles, event-loop lag) is this process's, i.e. all eight runtimes.
 *
 * Every `--sample-every` cycles: RSS, heap used (after a full GC when run with --expose-gc),
 * open handles (`process.getActiveResourcesInfo()`), event-loop delay since the last sample
 * (`monitorEventLoopDelay`). The verdict (scripts/bench/soak-verdict.ts) is computed from those
 * curves. Benchmark only: nothing asserts a time.
 *
 *   ./scripts/testnet.sh node --expose-gc --enable-source-maps build/scripts/bench/soak.js [--quick] [--taps N] [--logins N] [--stations 2..8] [--out FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { listAuditFiles, verifyAuditFile } from '../../src/main/integrations/audit/index.js';
import { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { openTestBed, type TestBed } from '../../test/testbed/bed.js';
import { getSharedTestPki } from '../../test/testbed/pki/test-pki.js';
import { kmsFor, newMasters, tempRegister } from '../../test/means/desfire/badge-fixture.js';
import { gitCommit, machineInfo } from './machine.js';
import { soakVerdict, type SoakSample } from './soak-verdict.js';
import { Station } from './station.js';
import { roundDeep, summarize, wholeNumberOption } from './stats.js';

const USAGE = 'usage: soak.js [--quick] [--hurried] [--taps N] [--logins N] [--stations 2|4|6|8] [--samples N] [--out FILE]';

interface SoakArgs {
  readonly taps: number;
  readonly logins: number;
  readonly stations: number;
  readonly samples: number;
  readonly out: string;
  readonly quick: boolean;
  /** Cards pulled without waiting for the agent's reset-on-release (see Station.settleRelease). */
  readonly hurried: boolean;
}

function soakArgs(argv: string[]): SoakArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      taps: { type: 'string' },
      logins: { type: 'string' },
      stations: { type: 'string', default: '8' },
      samples: { type: 'string', default: '100' },
      hurried: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-results/soak.json' },
    },
    strict: true,
  });
  const int = wholeNumberOption;
  const quick = values.quick;
  const stations = int('stations', values.stations, 8, 2, 8);
  if (stations % 2 !== 0) throw new RangeError('--stations must be even (readers come in pairs)');
  const logins = int('logins', values.logins, quick ? 50 : 1000, stations);
  return { quick, hurried: values.hurried, stations, logins, taps: int('taps', values.taps, quick ? 500 : 10_000, 0), samples: int('samples', values.samples, 100, 10), out: values.out };
}

type CycleKind = 'tap' | 'login';

/** Cycle `c` of `total`: logins spread evenly among the taps. */
function kindOf(c: number, total: number, logins: number): CycleKind {
  return Math.floor(((c + 1) * logins) / total) > Math.floor((c * logins) / total) ? 'login' : 'tap';
}

const MB = 1024 * 1024;

async function main(args: SoakArgs): Promise<void> {
  const startedAt = new Date();
  const wallT0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-soak-'));
  const reg = tempRegister();
  const kms = kmsFor(newMasters());
  let bed: TestBed | undefined;
  const stations: Station[] = [];
  try {
    bed = await openTestBed({ readers: args.stations });
    const pki = await getSharedTestPki();
    const trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    for (let i = 0; i < args.stations; i++) stations.push(await Station.open(i, { bed, pki, trust, kms, register: reg.register, dir }));
    for (const s of stations) s.settleRelease = !args.hurried;
    process.stdout.write(`soak: ${args.taps} taps + ${args.logins} CPS logins over ${args.stations} stations (one pcscd, ${args.stations} vpcd readers)${args.quick ? ' [quick]' : ''}\n`);

    // The morning's first login on every station (counted among the logins): the badges re-identify inside its window.
    const firstLogins = await Promise.all(stations.map((s) => s.cpsLogin()));
    const total = args.taps + args.logins - args.stations;
    const loginsLeft = args.logins - args.stations;
    const sampleEvery = Math.max(1, Math.floor(total / args.samples));
    const gc = (globalThis as { gc?: () => void }).gc;
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const samples: SoakSample[] = [];
    const soakT0 = performance.now();
    const sample = async (cycles: number): Promise<void> => {
      // The lag of the interval is read before the GC, and the histogram reset only after the
      // loop has come back from it: the sampling's own pause is in no interval.
      const lagP50Ms = lag.count > 0 ? lag.percentile(50) / 1e6 : 0;
      const lagP99Ms = lag.count > 0 ? lag.percentile(99) / 1e6 : 0;
      const lagMaxMs = lag.count > 0 ? lag.max / 1e6 : 0;
      gc?.();
      const m = process.memoryUsage();
      samples.push({ cycles, elapsedMs: performance.now() - soakT0, rssBytes: m.rss, heapUsedBytes: m.heapUsed, handles: process.getActiveResourcesInfo().length, lagP50Ms, lagP99Ms, lagMaxMs });
      await new Promise((r) => setTimeout(r, 20));
      lag.reset();
    };
    await sample(0);
    const handleKinds0 = countKinds(process.getActiveResourcesInfo());

    let next = 0;
    let done = 0;
    const tapMs: number[] = [];
    const loginMs: number[] = [...firstLogins];
    const failures: { cycle: number; station: number; kind: CycleKind; error: string }[] = [];
    let failureCount = 0;
    const runStation = async (s: Station): Promise<void> => {
      for (let c = next++; c < total; c = next++) {
        const kind = kindOf(c, total, loginsLeft);
        try {
          if (kind === 'login') loginMs.push(await s.cpsLogin());
          else tapMs.push(await s.tapUnlockLock());
        } catch (e) {
          failureCount++;
          if (failures.length < 20) failures.push({ cycle: c, station: s.index, kind, error: e instanceof Error ? e.message : String(e) });
          await s.recover();
        }
        s.dropDecisions();
        done++;
        if (done % sampleEvery === 0) await sample(done);
        if (done % 1000 === 0) process.stdout.write(`  ${done}/${total} cycles, ${((performance.now() - soakT0) / 1000).toFixed(0)} s, rss ${(process.memoryUsage().rss / MB).toFixed(1)} MB\n`);
      }
    };
    await Promise.all(stations.map((s) => runStation(s)));
    if (done % sampleEvery !== 0) await sample(done);
    lag.disable();
    const soakMs = performance.now() - soakT0;
    const handleKindsEnd = countKinds(process.getActiveResourcesInfo());

    await Promise.all(stations.map((s) => s.stop()));
    const chains = await Promise.all(stations.map(async (s) => (await verifyAuditFile(await listAuditFiles(s.auditDir))).ok));

    const verdict = soakVerdict(samples, failureCount);
    const report = {
      benchmark: 'soak',
      at: startedAt.toISOString(),
      machine: machineInfo(),
      git: gitCommit(),
      quick: args.quick,
      config: {
        taps: args.taps,
        logins: args.logins,
        stations: args.stations,
        sampleEvery,
        gcBeforeSample: gc !== undefined,
        cardsPulledDuringReset: args.hurried,
        note: 'one pcscd with one vpcd reader per station; one agent runtime per station in this process; cycles spread over the stations',
      },
      cycles: { taps: tapMs.length, logins: loginMs.length, failed: failureCount, total: total + args.stations },
      durationMs: { soak: soakMs, wall: performance.now() - wallT0, perCycleWall: soakMs / total },
      latencyMs: {
        note: 'insertion on the vpcd socket → the agent\'s recorded decision; includes pcscd\'s 0-400 ms presence poll',
        tapUnlock: tapMs.length > 0 ? summarize(tapMs) : null,
        cpsLogin: summarize(loginMs),
      },
      curves: {
        cycles: samples.map((s) => s.cycles),
        elapsedS: samples.map((s) => s.elapsedMs / 1000),
        rssMB: samples.map((s) => s.rssBytes / MB),
        heapUsedMB: samples.map((s) => s.heapUsedBytes / MB),
        handles: samples.map((s) => s.handles),
        lagP50Ms: samples.map((s) => s.lagP50Ms),
        lagP99Ms: samples.map((s) => s.lagP99Ms),
        lagMaxMs: samples.map((s) => s.lagMaxMs),
      },
      handlesByKind: { start: handleKinds0, end: handleKindsEnd },
      auditChainsVerified: chains.every(Boolean),
      failures,
      verdict,
    };
    const outPath = resolve(args.out);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(roundDeep(report), null, 2)}\n`);
    const v = verdict;
    process.stdout.write(
      [
        `soak: ${tapMs.length} taps + ${loginMs.length} logins in ${(soakMs / 1000).toFixed(0)} s (${failureCount} failed); audit chains ${report.auditChainsVerified ? 'verify' : 'DO NOT verify'}`,
        `  rss slope (2nd half) ${v.rssSlopeBytesPerCycle.toFixed(0)} B/cycle, heap slope ${v.heapSlopeBytesPerCycle.toFixed(0)} B/cycle, handles ${v.handlesFirstDecile} → ${v.handlesLastDecile}, lag p99 ${v.lagP99FirstDecileMs.toFixed(1)} → ${v.lagP99LastDecileMs.toFixed(1)} ms`,
        `  verdict: ${v.ok ? 'stable' : `NOT stable (${Object.entries(v.checks).filter(([, ok]) => !ok).map(([k]) => k).join(', ')})`}`,
        `  written to ${outPath}`,
        '',
      ].join('\n'),
    );
    if (!report.auditChainsVerified) process.exitCode = 1;
  } finally {
    await Promise.all(stations.map((s) => s.stop().catch(() => undefined)));
    await kms.close();
    await bed?.close();
    reg.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

function countKinds(kinds: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kinds) out[k] = (out[k] ?? 0) + 1;
  return out;
}

let parsed: SoakArgs;
try {
  parsed = soakArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
  process.exit(2);
}
main(parsed).catch((e: unknown) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
