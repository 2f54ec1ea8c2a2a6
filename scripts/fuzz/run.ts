/**
 * Long fuzzing runs, outside `npm test`:
 *
 *   npm run build && node build/scripts/fuzz/run.js --minutes 30 [--target ctap2-cbor]... [--seed N]
 *   node build/scripts/fuzz/run.js --export-seeds     (writes each target's built seeds to the corpus)
 *
 * Round-robin over the targets (test/fuzz/targets), each round a fresh seed and a batch of
 * executions, until the time is up. Records executions per target and every finding (seed,
 * replay path, input in hex, error) to `fuzz-results/<start time>.json`, and each failing input
 * to `fuzz-results/findings/<target>/finding-<sha>.hex`, ready to be moved to
 * `test/fuzz/corpus/<target>/` with its fix.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CORPUS_DIR, PER_RUN_TIMEOUT_MS, writeCorpusFile, type FuzzTarget } from '../../test/fuzz/harness.js';
import { ALL_TARGETS } from '../../test/fuzz/targets/index.js';
import { fromHex, hex } from '../../src/main/protocols/iso7816/index.js';
import { repoRoot } from '../../test/packaging/repo-root.js';
import type { BatchRequest, BatchResult } from './worker.js';

interface Finding {
  readonly target: string;
  readonly seed: number;
  readonly path: string | undefined;
  readonly inputHex: string;
  readonly error: string;
  readonly file: string;
}

interface TargetStats {
  executions: number;
  rounds: number;
  ms: number;
  findings: number;
  /** Batches that could not run (the worker failed to load or crashed: e.g. build/ rewritten meanwhile). */
  batchErrors: number;
}

const BATCH_RUNS = 2000;
const BATCH_TIME_MS = 20_000;
/** Beyond the batch's own time limit: a batch still running is stuck in synchronous code. */
const HANG_GRACE_MS = PER_RUN_TIMEOUT_MS + 15_000;
const MAX_MIRRORED_INPUT = 64 * 1024;

type WorkerOutcome = { kind: 'done'; result: BatchResult } | { kind: 'stuck'; inputHex: string };

/** Runs `req` in a worker; one that outlives `limitMs` is terminated, with the input it was running. */
function inWorker(req: BatchRequest, limitMs: number): Promise<WorkerOutcome> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: req });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(() => {
      const n = Atomics.load(new Int32Array(req.current, 0, 1), 0);
      settle(() => resolve({ kind: 'stuck', inputHex: hex(Buffer.from(new Uint8Array(req.current, 4, n))) }));
    }, limitMs);
    worker.once('message', (m: { ok: true; result: BatchResult } | { ok: false; error: string }) =>
      settle(() => (m.ok ? resolve({ kind: 'done', result: m.result }) : reject(new Error(m.error)))),
    );
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) => settle(() => reject(new Error(`worker exited (code ${code}) without an answer`))));
  });
}

/**
 * One batch. A batch that outlives its time is terminated; the input it was running is then
 * replayed alone in a fresh worker: a hang only when the replay hangs too (else the machine was
 * just busy, counted as a batch error by the caller).
 */
async function runBatch(target: string, seed: number, timeLimitMs: number): Promise<BatchResult> {
  const current = (): SharedArrayBuffer => new SharedArrayBuffer(4 + MAX_MIRRORED_INPUT);
  const out = await inWorker({ target, seed, numRuns: BATCH_RUNS, timeLimitMs, current: current() }, timeLimitMs + HANG_GRACE_MS);
  if (out.kind === 'done') return out.result;
  const again = await inWorker({ target, seed, numRuns: 1, timeLimitMs, current: current(), replay: out.inputHex }, 4 * PER_RUN_TIMEOUT_MS + 10_000);
  if (again.kind === 'stuck') {
    return { executions: 1, failed: true, seed, path: undefined, inputHex: out.inputHex, error: `hang: the input did not finish within ${4 * PER_RUN_TIMEOUT_MS + 10_000} ms when replayed alone` };
  }
  if (again.result.failed) return again.result;
  throw new Error(`batch stopped after ${timeLimitMs + HANG_GRACE_MS} ms; its last input replayed alone finishes: a busy machine, not a hang`);
}

async function exportSeeds(targets: readonly FuzzTarget[]): Promise<void> {
  for (const t of targets) {
    const seeds = t.seeds ? await t.seeds() : [];
    for (const s of seeds) {
      const file = writeCorpusFile(CORPUS_DIR, t.name, s, `representative seed of ${t.name}`, 'seed');
      console.log(path.relative(repoRoot, file));
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '5' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      out: { type: 'string', default: path.join(repoRoot, 'fuzz-results') },
      'export-seeds': { type: 'boolean', default: false },
    },
  });
  const targets = values.target?.length ? ALL_TARGETS.filter((t) => values.target?.includes(t.name)) : ALL_TARGETS;
  if (targets.length === 0) throw new Error(`no such target; known: ${ALL_TARGETS.map((t) => t.name).join(', ')}`);
  if (values['export-seeds']) return exportSeeds(targets);

  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--minutes: a positive number');
  const started = new Date();
  const deadline = Date.now() + minutes * 60_000;
  const out = values.out;
  mkdirSync(out, { recursive: true });
  const stats = new Map<string, TargetStats>(targets.map((t) => [t.name, { executions: 0, rounds: 0, ms: 0, findings: 0, batchErrors: 0 }]));
  const findings: Finding[] = [];
  let seed = values.seed !== undefined ? Number(values.seed) : (Date.now() & 0x7fffffff);
  const resultFile = path.join(out, `${started.toISOString().replace(/[:.]/g, '-')}.json`);

  const save = (finished: boolean): void => {
    const perTarget = Object.fromEntries(stats);
    const total = [...stats.values()].reduce((s, x) => s + x.executions, 0);
    const report = {
      startedAt: started.toISOString(),
      finishedAt: finished ? new Date().toISOString() : undefined,
      minutesRequested: minutes,
      machine: { node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, cpu: cpus()[0]?.model, memoryBytes: totalmem() },
      totalExecutions: total,
      targets: perTarget,
      findings,
    };
    writeFileSync(resultFile, `${JSON.stringify(report, null, 2)}\n`);
  };

  while (Date.now() < deadline) {
    for (const target of targets) {
      if (Date.now() >= deadline) break;
      const s = stats.get(target.name);
      if (!s) continue;
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const t0 = Date.now();
      let r: BatchResult;
      try {
        r = await runBatch(target.name, seed, Math.min(BATCH_TIME_MS, Math.max(1000, deadline - Date.now())));
      } catch (e) {
        s.batchErrors += 1;
        console.log(`batch error ${target.name}: ${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)}`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        continue;
      }
      s.executions += r.executions;
      s.rounds += 1;
      s.ms += Date.now() - t0;
      if (r.failed) {
        const input = fromHex(r.inputHex ?? '');
        const error = r.error ?? 'failed';
        const file = writeCorpusFile(path.join(out, 'findings'), target.name, input, `seed ${r.seed} path ${r.path ?? '-'}: ${error.slice(0, 200)}`);
        s.findings += 1;
        findings.push({ target: target.name, seed: r.seed, path: r.path, inputHex: hex(input), error, file: path.relative(repoRoot, file) });
        console.log(`FINDING ${target.name} seed=${r.seed}: ${error.split('\n')[0] ?? ''}`);
      }
    }
    save(false);
    const total = [...stats.values()].reduce((a, x) => a + x.executions, 0);
    console.log(`${new Date().toISOString()} ${total} executions, ${findings.length} findings`);
  }
  save(true);
  console.log(`results: ${path.relative(repoRoot, resultFile)}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
