/**
 * The clients of the control channel load bench, run in a worker thread (the agent keeps the
 * main thread, as it keeps its own process in production): `clients` connections to the agent's
 * socket through the real `ControlClient`, each sending `status` requests back to back until the
 * deadline; the first `subscribers` of them also subscribe to decisions and count what arrives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ControlClient } from '../../src/main/integrations/control/index.js';

export interface ClientsJob {
  readonly socketPath: string;
  readonly clients: number;
  readonly subscribers: number;
  readonly durationMs: number;
}

export interface ClientsResult {
  /** Latency of every `status` request answered, ms. */
  readonly latenciesMs: Float64Array;
  readonly requests: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly connectMs: number;
  /** Decision events received by each subscriber. */
  readonly eventsPerSubscriber: readonly number[];
  readonly elapsedMs: number;
}

async function run(job: ClientsJob): Promise<ClientsResult> {
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (e: unknown): void => {
    errors++;
    if (errorSamples.length < 10) errorSamples.push(e instanceof Error ? e.message : String(e));
  };
  const t0 = performance.now();
  const clients = await Promise.all(Array.from({ length: job.clients }, () => ControlClient.connect(job.socketPath, { timeoutMs: 10_000 })));
  const connectMs = performance.now() - t0;
  const eventsPerSubscriber = clients.slice(0, job.subscribers).map(() => 0);
  await Promise.all(
    clients.slice(0, job.subscribers).map((c, i) =>
      c.subscribe((e) => {
        if (e.event === 'decision') eventsPerSubscriber[i] = (eventsPerSubscriber[i] ?? 0) + 1;
      }, ['decision']),
    ),
  );
  parentPort?.postMessage({ type: 'ready' });
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const record = (ms: number): void => {
    if (n === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[n++] = ms;
  };
  const start = performance.now();
  const deadline = start + job.durationMs;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const r0 = performance.now();
        try {
          await c.status();
          record(performance.now() - r0);
        } catch (e) {
          fail(e);
          return;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  // Decisions made at the very end still reach the subscribers before they hang up.
  await new Promise((r) => setTimeout(r, 200));
  for (const c of clients) c.close();
  return { latenciesMs: latencies.slice(0, n), requests: n + errors, errors, errorSamples, connectMs, eventsPerSubscriber, elapsedMs };
}

if (parentPort && workerData) {
  const port = parentPort;
  run(workerData as ClientsJob).then(
    (r) => port.postMessage({ type: 'done', result: r }),
    (e: unknown) => port.postMessage({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}
