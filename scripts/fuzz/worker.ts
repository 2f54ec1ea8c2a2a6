/**
 * One batch of one fuzz target, in a worker thread so the runner can stop a batch stuck in a
 * synchronous loop (`worker.terminate()`). The input being executed is mirrored in shared
 * memory, so even a hang leaves the runner the input that caused it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget } from '../../test/fuzz/harness.js';
import { targetNamed } from '../../test/fuzz/targets/index.js';
import { fromHex, hex } from '../../src/main/protocols/iso7816/index.js';

export interface BatchRequest {
  readonly target: string;
  /** Replay this one input (hex) instead of a batch: confirms a suspected hang. */
  readonly replay?: string;
  readonly seed: number;
  readonly numRuns: number;
  readonly timeLimitMs: number;
  /** Int32 length header (4 bytes) then the input bytes. */
  readonly current: SharedArrayBuffer;
}

export interface BatchResult {
  readonly executions: number;
  readonly failed: boolean;
  readonly seed: number;
  readonly path: string | undefined;
  readonly inputHex: string | undefined;
  readonly error: string | undefined;
}

async function replay(req: BatchRequest & { replay: string }): Promise<BatchResult> {
  const target = targetNamed(req.target);
  if (!target) throw new Error(`no target ${req.target}`);
  await target.setup?.();
  try {
    await target.check(fromHex(req.replay));
    return { executions: 1, failed: false, seed: req.seed, path: undefined, inputHex: req.replay, error: undefined };
  } catch (e) {
    return { executions: 1, failed: true, seed: req.seed, path: undefined, inputHex: req.replay, error: e instanceof Error ? e.message : String(e) };
  } finally {
    await target.teardown?.();
  }
}

async function run(req: BatchRequest): Promise<BatchResult> {
  if (req.replay !== undefined) return replay({ ...req, replay: req.replay });
  const target = targetNamed(req.target);
  if (!target) throw new Error(`no target ${req.target}`);
  const header = new Int32Array(req.current, 0, 1);
  const bytes = new Uint8Array(req.current, 4);
  const check = target.check.bind(target);
  const mirrored = {
    ...target,
    check(input: Buffer) {
      const n = Math.min(input.length, bytes.length);
      bytes.set(input.subarray(0, n));
      Atomics.store(header, 0, n);
      return check(input);
    },
  };
  const details = await runTarget(mirrored, { numRuns: req.numRuns, seed: req.seed, timeLimitMs: req.timeLimitMs });
  const input = details.counterexample?.[0];
  return {
    executions: details.numRuns,
    failed: details.failed,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    inputHex: input ? hex(input) : undefined,
    error: details.failed ? (details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)) : undefined,
  };
}

if (parentPort) {
  const port = parentPort;
  run(workerData as BatchRequest).then(
    (r) => port.postMessage({ ok: true, result: r }),
    (e: unknown) => port.postMessage({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
  );
}
