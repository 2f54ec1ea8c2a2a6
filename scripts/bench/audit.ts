/**
 * Audit trail benchmark (standalone): records per second with fsync, append latency, and the
 * speed of `verifyAuditFile`. Writes bench-results/audit.json and prints a summary.
 *
 *   npm run build && node build/scripts/bench/audit.js [--appends 2000] [--burst 20000]
 *        [--in-flight 64] [--dir <folder on the disk to measure>] [--out bench-results/audit.json]
 *
 * - sequential: one append at a time, each awaited (one write + one fsync per record): the
 *   latency a decision waits for its record;
 * - burst: many appends in flight (a busy shared workstation or the agent replaying events):
 *   concurrent appends share one write + one fsync (group commit);
 * - floor: a bare appendFile-sized write + fdatasync/fsync of the same size, without Tessera;
 * - verify: the burst's files verified end to end.
 * Benchmark only: nothing here asserts a timing.
 */
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { AuditLog, listAuditFiles, recordLine, verifyAuditFile, type AuditInput } from '../../src/main/integrations/audit/index.js';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '2000' },
    burst: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '64' },
    dir: { type: 'string' },
    out: { type: 'string', default: 'bench-results/audit.json' },
  },
});
const APPENDS = Number(values.appends);
const BURST = Number(values.burst);
const IN_FLIGHT = Number(values['in-flight']);

const INPUT: AuditInput = {
  event: 'auth_succeeded',
  decision: 'allow',
  reason: 'two_factor_ok',
  means: 'cps',
  factors: ['possession', 'knowledge'],
  person: 'rpps:10001234567',
  details: { reader: 'Tessera Virtual PCD 00 00', certificateSha256: 'ab'.repeat(32) },
};

function stats(samples: number[]): { n: number; p50: number; p95: number; p99: number; mean: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number): number => {
    const rank = (p / 100) * (s.length - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (rank - lo);
  };
  return { n: s.length, p50: q(50), p95: q(95), p99: q(99), mean: s.reduce((a, b) => a + b, 0) / s.length, max: s.at(-1) as number };
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

async function countSyncs<T>(fn: () => Promise<T>): Promise<{ value: T; syncs: number }> {
  const probe = await open(join(tmpdir(), `tessera-bench-probe-${process.pid}`), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const original = proto.sync;
  let syncs = 0;
  proto.sync = function (this: unknown) {
    syncs += 1;
    return original.call(this);
  };
  try {
    return { value: await fn(), syncs };
  } finally {
    proto.sync = original;
  }
}

const root = values.dir ? resolve(values.dir) : mkdtempSync(join(tmpdir(), 'tessera-bench-audit-'));
mkdirSync(root, { recursive: true });
let fsType = 'unknown';
try {
  fsType = execFileSync('stat', ['-f', '-c', '%T', root], { encoding: 'utf8' }).trim();
} catch {
  // not Linux coreutils
}

try {
  // Floor: the same line appended with a bare write + fsync, no Tessera code.
  const line = Buffer.from(recordLine((await (async () => {
    const l = await AuditLog.open({ dir: join(root, 'probe'), workstation: 'PC-BENCH-01' });
    const r = await l.append(INPUT);
    await l.close();
    return r;
  })())));
  const floorPath = join(root, 'floor.jsonl');
  writeFileSync(floorPath, '');
  const fd = openSync(floorPath, 'a');
  const floor: number[] = [];
  for (let i = 0; i < Math.min(APPENDS, 1000); i++) {
    const t = performance.now();
    writeSync(fd, line);
    fsyncSync(fd);
    floor.push(performance.now() - t);
  }
  closeSync(fd);

  // Sequential appends, each awaited.
  const seqLog = await AuditLog.open({ dir: join(root, 'sequential'), workstation: 'PC-BENCH-01' });
  const lat: number[] = [];
  const seqStart = performance.now();
  const seqRun = await countSyncs(async () => {
    for (let i = 0; i < APPENDS; i++) {
      const t = performance.now();
      await seqLog.append(INPUT);
      lat.push(performance.now() - t);
    }
  });
  const seqSeconds = (performance.now() - seqStart) / 1000;
  await seqLog.close();

  // Burst: IN_FLIGHT appends outstanding at any time.
  const burstLog = await AuditLog.open({ dir: join(root, 'burst'), workstation: 'PC-BENCH-01', maxFileBytes: 4 * 1024 * 1024 });
  const burstLat: number[] = [];
  const burstStart = performance.now();
  const burstRun = await countSyncs(async () => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < BURST) {
        next += 1;
        const t = performance.now();
        await burstLog.append(INPUT);
        burstLat.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  });
  const burstSeconds = (performance.now() - burstStart) / 1000;
  await burstLog.close();

  // Verify the burst's files.
  const files = await listAuditFiles(join(root, 'burst'));
  const vStart = performance.now();
  const v = await verifyAuditFile(files);
  const vSeconds = (performance.now() - vStart) / 1000;
  if (!v.ok) throw new Error(`bench log does not verify: ${JSON.stringify(v)}`);

  const seqStats = stats(lat);
  const burstStats = stats(burstLat);
  const floorStats = stats(floor);
  const report = {
    bench: 'audit',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', kernel: release(), node: process.version, filesystem: fsType, dir: root },
    recordBytes: line.length,
    floor: { what: 'bare write + fsync of one record line, no Tessera code', latencyMs: floorStats, perSecond: 1000 / floorStats.mean },
    sequential: { appends: APPENDS, recordsPerSecond: APPENDS / seqSeconds, latencyMs: seqStats, fsyncs: seqRun.syncs },
    burst: { appends: BURST, inFlight: IN_FLIGHT, recordsPerSecond: BURST / burstSeconds, latencyMs: burstStats, fsyncs: burstRun.syncs, recordsPerFsync: BURST / Math.max(1, burstRun.syncs), files: files.length },
    verify: { records: v.records, files: files.length, seconds: vSeconds, recordsPerSecond: v.records / vSeconds },
  };
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  const rounded = JSON.parse(JSON.stringify(report, (_k, x: unknown) => (typeof x === 'number' ? round(x) : x))) as typeof report;
  writeFileSync(out, `${JSON.stringify(rounded, null, 2)}\n`);
  process.stdout.write(
    [
      `audit bench (${fsType}, ${cpus().length} CPU, Node ${process.version}), record ${line.length} bytes`,
      `  floor (write+fsync, no Tessera): p50 ${round(floorStats.p50)} ms, p95 ${round(floorStats.p95)} ms`,
      `  sequential appends: ${Math.round(report.sequential.recordsPerSecond)} records/s, p50 ${round(seqStats.p50)} ms, p95 ${round(seqStats.p95)} ms (${seqRun.syncs} fsyncs for ${APPENDS} records)`,
      `  burst (${IN_FLIGHT} in flight): ${Math.round(report.burst.recordsPerSecond)} records/s, p50 ${round(burstStats.p50)} ms, p95 ${round(burstStats.p95)} ms, ${round(report.burst.recordsPerFsync, 1)} records per fsync`,
      `  verify: ${Math.round(report.verify.recordsPerSecond)} records/s (${v.records} records, ${files.length} files)`,
      `  → ${out}`,
      '',
    ].join('\n'),
  );
} finally {
  if (!values.dir) rmSync(root, { recursive: true, force: true });
}
