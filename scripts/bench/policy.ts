/**
 * Policy and session engine benchmark (standalone):
 *  1. decisions per second of the RIE policy (`classify`) over a mix of every table row,
 *  2. decisions per second of the whole engine (lock → tap → unlock cycles, listener attached),
 *  3. engine memory (RSS, heapUsed) before and after 10,000 simulated tap cycles, after a GC
 *     when `global.gc` is available (run with --expose-gc), and the growth.
 *
 *   node --expose-gc build/scripts/bench/policy.js [--decisions 300000] [--cycles 10000] [--batches 5] [--out bench-results/policy.json]
 *
 * Benchmark only: nothing here asserts a timing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { AuthEvent, Factor, Subject } from '../../src/main/means/auth-event.js';
import { ManualClock } from '../../src/main/session/engine/clock.js';
import { SessionEngine } from '../../src/main/session/engine/session-engine.js';
import { classify } from '../../src/main/session/policy/classify.js';
import { StaticMeansRegistry } from '../../src/main/session/policy/means-ref.js';
import type { Presentation } from '../../src/main/session/policy/presentation.js';

const { values } = parseArgs({
  options: {
    decisions: { type: 'string', default: '300000' },
    cycles: { type: 'string', default: '10000' },
    batches: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench-results/policy.json' },
  },
});
const DECISIONS = Math.max(100_000, Number(values.decisions));
const CYCLES = Math.max(1, Number(values.cycles));
const BATCHES = Math.max(1, Number(values.batches));

const ALICE: Subject = { id: 'rpps:10001234567', rpps: '10001234567', name: 'Alice DURAND' };
const ENROLMENT = 'A'.repeat(32);
const T0 = Date.UTC(2026, 2, 2, 7, 0, 0);

const cps = (at: number): AuthEvent => ({
  means: 'cps', factors: ['possession', 'knowledge'], subject: ALICE,
  proof: { kind: 'card-signature', challenge: '5a'.repeat(32), certificateSha256: 'a1'.repeat(32) }, at: new Date(at), reader: 'CPS',
});
const badge = (at: number, factors: Factor[]): AuthEvent => ({
  means: 'desfire', factors, subject: ALICE,
  proof: { kind: 'desfire-mutual-auth', uid: '04A1B2C3D4E5F6', aid: 'F51230', keyNo: 1, enrolmentId: ENROLMENT }, at: new Date(at), reader: 'NFC',
});
const fido = (at: number, factors: Factor[], uv: boolean): AuthEvent => ({
  means: 'fido2', factors, subject: ALICE,
  proof: { kind: 'fido2-assertion', credentialId: 'YWxpY2U', rpId: 'tessera.local', signCount: 1, userVerified: uv }, at: new Date(at),
});
const uid: Presentation = { means: 'desfire', possession: 'badge_uid_only', verification: 'pin', factors: ['possession', 'knowledge'], subject: ALICE, at: new Date(T0) };

function policyThroughput(): { decisions: number; ms: number; perSecond: number; byReason: Record<string, number> } {
  const mix: (AuthEvent | Presentation)[] = [
    cps(T0), badge(T0, ['possession', 'knowledge']), badge(T0, ['possession']), uid,
    fido(T0, ['possession', 'knowledge'], true), fido(T0, ['possession', 'inherence'], true), fido(T0, ['possession'], false),
  ];
  const byReason: Record<string, number> = {};
  // Warm-up, then the measured run.
  for (let i = 0; i < 20_000; i++) classify(mix[i % mix.length] as AuthEvent | Presentation);
  const t = performance.now();
  for (let i = 0; i < DECISIONS; i++) {
    const r = classify(mix[i % mix.length] as AuthEvent | Presentation);
    byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  }
  const ms = performance.now() - t;
  return { decisions: DECISIONS, ms: round(ms), perSecond: Math.round(DECISIONS / (ms / 1000)), byReason };
}

interface Mem { rss: number; heapUsed: number }
function memory(): Mem {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

const growthOf = (a: Mem, b: Mem): Mem => ({ rss: b.rss - a.rss, heapUsed: b.heapUsed - a.heapUsed });

function engineCycles(): {
  cycles: number; decisions: number; ms: number; decisionsPerSecond: number; before: Mem; after: Mem; growth: Mem;
  afterEachBatch: Mem[]; growthLastBatch: Mem; sessions: number; pendingTimers: number;
} {
  const clock = new ManualClock(T0);
  const registry = new StaticMeansRegistry().enrol({ kind: 'desfire', id: ENROLMENT }, ALICE.id, [{ kind: 'cps' }]);
  const engine = new SessionEngine({ registry, clock, config: { exi14WindowMs: 12 * 3600_000, idleLockMs: 15 * 60_000 } });
  let decisions = 0;
  let last = '';
  engine.onDecision((d) => {
    decisions++;
    last = d.reason; // a subscriber that keeps nothing, as the audit sink after writing
  });
  engine.authenticate(cps(T0));
  const cycle = (): void => {
    engine.lock();
    clock.advance(50);
    if (engine.badgeTapped(badge(clock.now(), ['possession'])).decision !== 'unlock') throw new Error(`tap refused: ${last}`);
    engine.activity();
    clock.advance(50);
  };
  for (let i = 0; i < 1000; i++) cycle(); // warm-up (JIT, maps at their size)
  const before = memory();
  decisions = 0;
  const t = performance.now();
  for (let i = 0; i < CYCLES; i++) cycle();
  const ms = performance.now() - t;
  const measured = decisions;
  const after = memory();
  // More batches: V8's young generation grows to its working size during the first batches
  // (RSS rises by up to its semi-spaces, heapUsed does not); a leak would keep growing after.
  const batches: Mem[] = [after];
  for (let b = 1; b < BATCHES; b++) {
    for (let i = 0; i < CYCLES; i++) cycle();
    batches.push(memory());
  }
  const st = engine.status();
  const out = {
    cycles: CYCLES,
    decisions: measured,
    ms: round(ms),
    decisionsPerSecond: Math.round(measured / (ms / 1000)),
    before,
    after,
    growth: growthOf(before, after),
    afterEachBatch: batches,
    growthLastBatch: growthOf(batches[batches.length - 2] ?? before, batches[batches.length - 1] ?? after),
    sessions: (st.current ? 1 : 0) + st.others.length,
    pendingTimers: clock.pending,
  };
  engine.dispose();
  return out;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const mb = (b: number): string => `${(b / 1048576).toFixed(2)} MB`;

const policy = policyThroughput();
const engine = engineCycles();
const report = {
  bench: 'policy',
  at: new Date().toISOString(),
  machine: { node: process.version, os: release(), cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' },
  gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  policy,
  engine,
};
const out = resolve(values.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`RIE policy: ${policy.perSecond.toLocaleString('en')} decisions/s (${policy.decisions.toLocaleString('en')} in ${policy.ms} ms)`);
console.log(`engine: ${engine.decisionsPerSecond.toLocaleString('en')} decisions/s over ${engine.cycles.toLocaleString('en')} lock → tap → unlock cycles (${engine.decisions} decisions, ${engine.ms} ms)`);
console.log(`memory${report.gcExposed ? ' (after GC)' : ' (no --expose-gc: noisy)'}: RSS ${mb(engine.before.rss)} → ${mb(engine.after.rss)} (${engine.growth.rss >= 0 ? '+' : ''}${mb(engine.growth.rss)}), heapUsed ${mb(engine.before.heapUsed)} → ${mb(engine.after.heapUsed)} (${engine.growth.heapUsed >= 0 ? '+' : ''}${mb(engine.growth.heapUsed)}); sessions ${engine.sessions}, timers ${engine.pendingTimers}`);
console.log(`after each batch of ${engine.cycles.toLocaleString('en')} cycles: RSS ${engine.afterEachBatch.map((m) => mb(m.rss)).join(', ')}; heapUsed ${engine.afterEachBatch.map((m) => mb(m.heapUsed)).join(', ')}`);
console.log(`last batch growth: RSS ${mb(engine.growthLastBatch.rss)}, heapUsed ${mb(engine.growthLastBatch.heapUsed)}`);
console.log(`written: ${out}`);
