/**
 * Web SSO sign-in benchmark: from "2FA done" (the session engine recorded the card + PIN login)
 * to "tokens in hand" (the RP holds an ID token whose signature, nonce and claims openid-client
 * validated), with the embedded provider and the agent-asserted login:
 *   RP authorization request (code + PKCE S256) → provider → agent's loopback endpoint (proof
 *   signed) → provider (proof checked: signature, nonce, chain against the test PKI) → consent
 *   granted → RP callback → code exchanged.
 * Driven over HTTP with a small cookie-jar client (a fresh one per sign-in: a browser with no
 * provider session), and a few sign-ins in Debian Chromium for comparison.
 *
 *   node build/scripts/bench/sso-signin.js [--runs 60] [--chromium 5] [--out bench-results/sso-signin.json]
 *
 * Benchmark only: nothing here asserts a timing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CHROMIUM_MISSING, launchChromium } from '../../test/integrations/sso/client/fixtures/openers.js';
import { JarClient } from '../../test/integrations/sso/provider/fixtures/jar-client.js';
import { startSsoWorld, type SsoWorld } from '../../test/integrations/sso/provider/fixtures/sso-world.js';
import { machineInfo } from './machine.js';
import { quantiles, roundDeep, summarize, type Summary } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '60' },
    chromium: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench-results/sso-signin.json' },
  },
});
const RUNS = Math.max(50, Number(values.runs));
const CHROMIUM_RUNS = Math.max(0, Number(values.chromium));
const WARMUP = Math.max(0, Number(values.warmup));

/** Ends the session (and waits for the provider to have ended its own), then opens a new one: "2FA done". */
async function freshSession(world: SsoWorld): Promise<void> {
  if (world.engine.status().current) {
    const before = world.events.filter((e) => e.event === 'agent_logout').length;
    await world.engine.signOut();
    for (let i = 0; i < 500 && world.events.filter((e) => e.event === 'agent_logout').length === before; i++) await new Promise((r) => setTimeout(r, 2));
  }
  await world.signIn();
}

interface HttpSample {
  total: number;
  /** Provider and agent hops until the callback URL is known. */
  browserHops: number;
  /** The code exchange and ID token validation. */
  exchange: number;
  hops: number;
}

async function httpSignIn(world: SsoWorld): Promise<HttpSample> {
  await freshSession(world);
  const t0 = performance.now();
  const attempt = await world.authorize();
  const jar = new JarClient();
  const cbPort = new URL(world.callbackBase).port;
  const r = await jar.follow(attempt.url, (u) => u.port === cbPort);
  if (!r.next) throw new Error(`sign-in did not reach the callback (status ${r.last.status})`);
  const t1 = performance.now();
  const tokens = await attempt.finish(r.next);
  const t2 = performance.now();
  if (tokens.claims.sub !== '10001234567') throw new Error('unexpected subject');
  return { total: t2 - t0, browserHops: t1 - t0, exchange: t2 - t1, hops: r.hops.length };
}

async function chromiumSignIns(world: SsoWorld, runs: number): Promise<number[] | string> {
  if (CHROMIUM_MISSING) return CHROMIUM_MISSING;
  const browser = await launchChromium();
  const out: number[] = [];
  try {
    for (let i = -1; i < runs; i++) {
      await freshSession(world);
      const context = await browser.newContext({ locale: 'fr-FR' });
      const page = await context.newPage();
      const t0 = performance.now();
      const attempt = await world.authorize();
      const callback = world.nextCallback();
      void page.goto(attempt.url).catch(() => undefined);
      await attempt.finish(await callback);
      if (i >= 0) out.push(performance.now() - t0);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

async function main(): Promise<void> {
  const world = await startSsoWorld();
  try {
    for (let i = 0; i < WARMUP; i++) await httpSignIn(world);
    const samples: HttpSample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await httpSignIn(world));
    const chromium = await chromiumSignIns(world, CHROMIUM_RUNS);
    const totals = samples.map((s) => s.total);
    const refused = world.events.filter((e) => e.event === 'proof_refused').length;
    const report = {
      benchmark: 'sso-signin',
      at: new Date().toISOString(),
      machine: machineInfo(),
      config: { runs: RUNS, warmup: WARMUP, chromiumRuns: typeof chromium === 'string' ? 0 : chromium.length, evidence: 'CPS chain (leaf + CA) checked against the test PKI', client: 'openid-client 6, code + PKCE S256' },
      /** 2FA done → tokens in hand, cookie-jar HTTP client (fresh browser state each time). */
      signInMs: summarize(totals),
      /** q0..q100 of signInMs, for the report's CDF. */
      quantilesMs: quantiles(totals),
      steps: { browserHopsMs: summarize(samples.map((s) => s.browserHops)), codeExchangeMs: summarize(samples.map((s) => s.exchange)) },
      hopsPerSignIn: samples[0]?.hops ?? 0,
      chromium: typeof chromium === 'string' ? { skipped: chromium } : { signInMs: summarize(chromium) as Summary },
      refusedProofs: refused,
    };
    const outPath = resolve(values.out ?? 'bench-results/sso-signin.json');
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(roundDeep(report), null, 2)}\n`);
    const f = (n: number): string => n.toFixed(1);
    const c = typeof chromium === 'string' ? `chromium skipped (${chromium})` : `chromium p50 ${f(summarize(chromium).p50)} ms over ${chromium.length}`;
    process.stdout.write(`sso-signin: ${RUNS} sign-ins, p50 ${f(report.signInMs.p50)} ms, p95 ${f(report.signInMs.p95)} ms (${report.hopsPerSignIn} hops + code exchange); ${c}\n`);
  } finally {
    await world.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`sso-signin: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
