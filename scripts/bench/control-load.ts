/**
 * The local control channel under load: 200 concurrent clients (the real `ControlClient`, in a
 * worker thread) send `status` requests back to back for a minute to a real agent runtime
 * (`startAgentRuntime` on the test bed's pcscd, a CPS session open then locked), while badge
 * taps keep unlocking and locking the session so decisions stream to 20 subscribed clients.
 * Reports errors (failed requests, decision events lost by a subscriber), latency p50/p95/p99
 * and throughput. Benchmark only: nothing asserts a time.
 *
 *   ./scripts/testnet.sh node --enable-source-maps build/scripts/bench/control-load.js [--quick] [--duration S] [--clients N] [--out FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { openTestBed, type TestBed } from '../../test/testbed/bed.js';
import { getSharedTestPki } from '../../test/testbed/pki/test-pki.js';
import { kmsFor, newMasters, tempRegister } from '../../test/means/desfire/badge-fixture.js';
import type { ClientsJob, ClientsResult } from './control-load-clients.js';
import { gitCommit, machineInfo } from './machine.js';
import { Station } from './station.js';
import { percentile, quantiles, roundDeep, summarize, wholeNumberOption } from './stats.js';

const USAGE = 'usage: control-load.js [--quick] [--duration SECONDS (default 60, quick 10)] [--clients N (default 200)] [--subscribers N (default 20)] [--out FILE]';

interface LoadArgs {
  readonly durationS: number;
  readonly clients: number;
  readonly subscribers: number;
  readonly quick: boolean;
  readonly out: string;
}

function loadArgs(argv: string[]): LoadArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      clients: { type: 'string', default: '200' },
      subscribers: { type: 'string', default: '20' },
      out: { type: 'string', default: 'bench-results/control-load.json' },
    },
    strict: true,
  });
  const int = wholeNumberOption;
  const clients = int('clients', values.clients, 200, 1);
  const subscribers = int('subscribers', values.subscribers, 20, 0);
  if (subscribers > clients) throw new RangeError('--subscribers cannot exceed --clients');
  return { quick: values.quick, durationS: int('duration', values.duration, values.quick ? 10 : 60, 1), clients, subscribers, out: values.out };
}

type WorkerMessage = { type: 'ready' } | { type: 'done'; result: ClientsResult } | { type: 'failed'; error: string };

async function main(args: LoadArgs): Promise<void> {
  const startedAt = new Date();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-control-load-'));
  const reg = tempRegister();
  const kms = kmsFor(newMasters());
  let bed: TestBed | undefined;
  let station: Station | undefined;
  try {
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    const trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    const s = await Station.open(0, { bed, pki, trust, kms, register: reg.register, dir });
    station = s;
    await s.cpsLogin();
    process.stdout.write(`control channel load: ${args.clients} clients (${args.subscribers} subscribed to decisions) for ${args.durationS} s on ${s.runtime.socketPath}\n`);

    const job: ClientsJob = { socketPath: s.runtime.socketPath, clients: args.clients, subscribers: args.subscribers, durationMs: args.durationS * 1000 };
    const worker = new Worker(new URL('./control-load-clients.js', import.meta.url), { workerData: job });
    let driving = false;
    let decisionsStreamed = 0;
    let taps = 0;
    let driverErrors = 0;
    const offRecorded = s.runtime.engine.onRecorded(() => {
      if (driving) decisionsStreamed++;
    });
    let drive: Promise<void> = Promise.resolve();
    const result = await new Promise<ClientsResult>((resolveResult, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          driving = true;
          // Badge taps during the load: each unlocks then locks, and those decisions stream to the subscribers.
          drive = (async () => {
            while (driving) {
              try {
                await s.tapUnlockLock();
                taps++;
              } catch {
                driverErrors++;
                await s.recover();
              }
            }
          })();
        } else if (m.type === 'done') {
          resolveResult(m.result);
        } else {
          reject(new Error(`control load clients failed: ${m.error}`));
        }
      });
    });
    driving = false;
    await drive;
    offRecorded();
    await worker.terminate();

    const lat = Array.from(result.latenciesMs).sort((a, b) => a - b);
    const summary = summarize(lat);
    const lost = result.eventsPerSubscriber.filter((n) => n !== decisionsStreamed).length;
    const errors = result.errors + lost;
    const report = {
      benchmark: 'control-load',
      at: startedAt.toISOString(),
      machine: machineInfo(),
      git: gitCommit(),
      quick: args.quick,
      config: {
        clients: args.clients,
        subscribers: args.subscribers,
        durationS: args.durationS,
        method: 'status, back to back per client (closed loop), clients in a worker thread, agent runtime in the main thread',
        background: 'badge tap → unlock → lock cycles on the agent during the load; every decision streamed to the subscribers',
      },
      requests: result.requests,
      errors,
      failedRequests: result.errors,
      errorSamples: result.errorSamples,
      throughputPerS: lat.length / (result.elapsedMs / 1000),
      latencyMs: { ...summary, p99: percentile(lat, 99), p999: percentile(lat, 99.9) },
      latencyQuantilesMs: quantiles(lat),
      connectAllMs: result.connectMs,
      events: { decisionsDuringLoad: decisionsStreamed, subscribersMissingSome: lost, perSubscriber: result.eventsPerSubscriber, taps, driverErrors },
      histogramMs: histogram(lat, 40),
      verdict: { ok: errors === 0 && driverErrors === 0, noErrors: errors === 0, p99Ms: percentile(lat, 99) },
    };
    const outPath = resolve(args.out);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(roundDeep(report), null, 2)}\n`);
    const f = (n: number): string => n.toFixed(2);
    process.stdout.write(
      [
        `control load: ${report.requests} requests in ${(result.elapsedMs / 1000).toFixed(1)} s = ${report.throughputPerS.toFixed(0)}/s, ${errors} errors (${result.errors} failed requests, ${lost} subscribers missing decisions)`,
        `  latency p50 ${f(summary.p50)} ms, p95 ${f(summary.p95)} ms, p99 ${f(report.latencyMs.p99)} ms, max ${f(summary.max)} ms; ${decisionsStreamed} decisions streamed during ${taps} taps`,
        `  written to ${outPath}`,
        '',
      ].join('\n'),
    );
  } finally {
    await station?.stop().catch(() => undefined);
    await kms.close();
    await bed?.close();
    reg.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Equal-width buckets between the smallest and the p99.9 value (the rest in the last bucket). */
function histogram(sorted: readonly number[], buckets: number): { fromMs: number; widthMs: number; counts: number[] } {
  const from = sorted[0] ?? 0;
  const to = sorted.length > 0 ? percentile(sorted, 99.9) : 1;
  const width = Math.max((to - from) / buckets, 1e-6);
  const counts = new Array<number>(buckets).fill(0);
  for (const v of sorted) {
    const i = Math.min(buckets - 1, Math.floor((v - from) / width));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return { fromMs: from, widthMs: width, counts };
}

let parsed: LoadArgs;
try {
  parsed = loadArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
  process.exit(2);
}
const t0 = performance.now();
main(parsed)
  .then(() => process.stdout.write(`  (${((performance.now() - t0) / 1000).toFixed(1)} s in all)\n`))
  .catch((e: unknown) => {
    process.stderr.write(`control load failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
