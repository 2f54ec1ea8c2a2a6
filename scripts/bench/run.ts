/**
 * CPS login benchmark: card present → authenticated, PIN supplied programmatically, measured
 * the way the agent runs it (`monitor.withCard(reader, ch => recognizeCard, then cpsLogin with
 * applicationSelected)`, exactly as `tessera cps login` does minus process start-up), through
 * the real pcscd + vpcd and the real `@pokusew/pcsclite` addon, against the CPS simulator of
 * the test bed.
 *
 * Beside the login latency it measures, in the same run, the floor nobody in the agent can go
 * under: the raw APDU round trip through the addon + pcscd + vpcd (a no-op APDU, p50) times the
 * APDUs one login sends, plus the time the card itself spends in its RSA-2048 signature. The
 * agent overhead is what the login costs above that floor.
 *
 * It also replays the login's own APDUs raw (same data sizes, real signature) and profiles the
 * layers (addon vs PcscCardChannel vs exchange(), connect/reset, in-process certificate work).
 * Everything timed runs in rounds (raw round trips, the raw replay, then one login) so floor
 * and logins share the machine's conditions.
 *
 *   npm run bench                       (the dev script wraps it in scripts/testnet.sh)
 *   node build/scripts/bench/run.js --runs 100 --out bench-results/cps-login.json
 *   node build/scripts/bench/run.js --card-thread worker    (card on its own event loop)
 *
 * Benchmark only: nothing here asserts a timing.
 */
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTestBed, type TestBed } from '../../test/testbed/bed.js';
import { getSharedTestPki } from '../../test/testbed/pki/test-pki.js';
import { parseCardCertificate } from '../../src/main/means/cps/certificate.js';
import { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { exchange } from '../../src/main/protocols/iso7816/index.js';
import { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';
import { BENCH_PIN, cliLogin, type LoginEnv } from './login-runners.js';
import { insertCard, type CardSide } from './card-side.js';
import { NOOP_APDU, RawProbe } from './raw-probe.js';
import { buildReport, formatSummary, type LoginSample, type Measurements } from './cps-report.js';
import { parseArgs, roundDeep, routesHaveLoopbackQuickack, USAGE, type BenchArgs } from './stats.js';

const RTT_WARMUP = 20;

const now = (): number => performance.now();

/** Quickack on the loopback routes, as scripts/testnet.sh sets it; undefined when `ip` is missing. */
function routeQuickack(): boolean | undefined {
  const r = spawnSync('ip', ['route', 'show', 'table', 'local'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return routesHaveLoopbackQuickack(r.stdout);
}

function timeSync(runs: number, fn: () => unknown): number[] {
  for (let i = 0; i < Math.min(5, runs); i++) fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    fn();
    out.push(now() - t0);
  }
  return out;
}

/** The no-op through the agent's channel (`PcscCardChannel.transmit`) and through `exchange()`. */
async function agentLayerRtt(monitor: ReaderMonitor, readerName: string, runs: number): Promise<{ channel: number[]; exchange: number[] }> {
  return monitor.withCard(readerName, async (ch) => {
    const channel: number[] = [];
    const viaExchange: number[] = [];
    for (let i = 0; i < RTT_WARMUP; i++) await ch.transmit(NOOP_APDU);
    for (let i = 0; i < runs; i++) {
      let t0 = now();
      await ch.transmit(NOOP_APDU);
      channel.push(now() - t0);
      t0 = now();
      await exchange(ch, { cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x01 });
      viaExchange.push(now() - t0);
    }
    return { channel, exchange: viaExchange };
  });
}

/**
 * Connect + reset-on-release with nothing in between: what `withCard` does around the operation.
 * Timed on the channel itself, since `withCard` returns before its reset completes.
 */
async function emptyWithCard(monitor: ReaderMonitor, readerName: string, runs: number): Promise<{ connect: number[]; release: number[] }> {
  const connect: number[] = [];
  const release: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = now();
    const ch = await monitor.connect(readerName);
    const t1 = now();
    await ch.close('reset');
    const t2 = now();
    if (i >= 3) {
      connect.push(t1 - t0);
      release.push(t2 - t1);
    }
  }
  return { connect, release };
}

/**
 * Waits, off the clock, for the reset-on-release of the last `withCard` on the reader: `withCard`
 * returns before it completes, and the raw probe's own exclusive connection would otherwise meet
 * a sharing violation. `connect` waits for a pending release; this connection leaves the card as is.
 */
async function releaseDone(env: LoginEnv): Promise<void> {
  const ch = await env.monitor.connect(env.reader);
  await ch.close('leave');
}

/** One headline login, with the APDUs the card saw and the card's own time during it (release included). */
async function observedLogin(env: LoginEnv, card: CardSide): Promise<LoginSample> {
  const before = await card.snapshot();
  const t = await cliLogin(env);
  await releaseDone(env);
  const after = await card.snapshot();
  return {
    totalMs: t.totalMs,
    connectMs: t.connectMs,
    recognitionMs: t.recognitionMs,
    loginMs: t.loginMs,
    disconnectMs: t.disconnectMs,
    steps: { ...t.result.steps },
    apduCount: after.apduCount - before.apduCount,
    cardComputeMs: after.computeMs - before.computeMs,
    resets: after.resets - before.resets,
    atrReads: after.atrReads - before.atrReads,
  };
}

async function main(args: BenchArgs): Promise<void> {
  const startedAt = new Date();
  const routeSaysQuickack = routeQuickack();
  const workDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  let bed: TestBed | undefined;
  let monitor: ReaderMonitor | undefined;
  let probe: RawProbe | undefined;
  let card: CardSide | undefined;
  try {
    process.stdout.write(
      `CPS login benchmark: ${args.runs} runs (+${args.warmup} warm-up), ≥ ${args.rttRuns} raw round trips, card in the ${args.cardThread} thread\n`,
    );
    const pki = await getSharedTestPki();
    const issued = await pki.issueCardCertificate();
    const trustFile = join(workDir, 'trust.pem');
    writeFileSync(trustFile, pki.caBundlePem);
    // The CLI loads the trust store once per command, before touching the reader; a resident
    // agent loads it once. Either way it is outside "card present → authenticated".
    const trustLoad = timeSync(20, () => TrustStore.fromPemFiles([trustFile]));
    const trust = TrustStore.fromPemFiles([trustFile]);

    const theBed = await openTestBed();
    bed = theBed;
    const reader = theBed.readerNames[0];

    // Card compute: the simulator signs in-process (privateEncrypt of a SHA-256 DigestInfo)
    // with this very key, RSA-2048 PKCS#1 v1.5; crypto.sign is the same operation plus a hash.
    const message = crypto.randomBytes(32);
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), crypto.createHash('sha256').update(message).digest()]);
    const signSamples = timeSync(args.signRuns, () => crypto.sign('sha256', message, issued.privateKey));
    const privateEncryptSamples = timeSync(args.signRuns, () =>
      crypto.privateEncrypt({ key: issued.privateKey, padding: crypto.constants.RSA_PKCS1_PADDING }, digestInfo),
    );

    const rawProbe = await RawProbe.open(reader, 2);
    probe = rawProbe;
    const theMonitor = new ReaderMonitor();
    monitor = theMonitor;
    await theMonitor.start();
    if (!theMonitor.daemonUp) throw new Error('the test bed pcscd is not reachable');
    await theMonitor.settled(3000);
    const theCard = await insertCard(args.cardThread, theBed, theMonitor, { certificateDer: issued.der, privateKey: issued.privateKey, pin: BENCH_PIN });
    card = theCard;
    await theMonitor.waitForCard(reader, 5000);
    const env: LoginEnv = { monitor: theMonitor, reader, trust };

    // pcscd checks a vpcd card's presence by asking its ATR; count those while idle.
    const idle0 = await theCard.snapshot();
    const idleT0 = now();
    await sleep(1000);
    const idleAtrPerSecond = ((await theCard.snapshot()).atrReads - idle0.atrReads) / ((now() - idleT0) / 1000);

    await rawProbe.measure(RTT_WARMUP);
    for (let i = 0; i < args.warmup; i++) await observedLogin(env, theCard);
    // The APDUs of one login, replayed raw through the addon in every round.
    const beforeLogged = await theCard.snapshot();
    await observedLogin(env, theCard);
    const loginApdus = await theCard.apdusSince(beforeLogged.apduCount);
    await rawProbe.replay(loginApdus);

    // Everything timed below runs in rounds: a block of raw round trips, the raw replay, then
    // one headline login, so the floor and the logins share the same conditions.
    const rttPerRound = Math.ceil(args.rttRuns / args.runs);
    const rtts: number[] = [];
    const replays: number[] = [];
    const samples: LoginSample[] = [];
    for (let i = 0; i < args.runs; i++) {
      rtts.push(...(await rawProbe.measure(rttPerRound)));
      replays.push(await rawProbe.replay(loginApdus));
      samples.push(await observedLogin(env, theCard));
    }

    // Diagnostics, after the timed rounds.
    const layers = await agentLayerRtt(theMonitor, reader, 200);
    const bareWithCard = await emptyWithCard(theMonitor, reader, 50);
    const der = issued.der;
    const parsed = parseCardCertificate(der);
    const signature = crypto.sign('sha256', message, issued.privateKey);
    const inProcess = {
      parseCardCertificate: timeSync(200, () => parseCardCertificate(der)),
      x509ConstructorOnly: timeSync(200, () => new crypto.X509Certificate(der)),
      trustVerifyChain: timeSync(200, () => trust.verify(parsed.x509, new Date())),
      verifyCardSignature: timeSync(200, () => crypto.verify('sha256', message, parsed.x509.publicKey, signature)),
      trustStoreLoad: trustLoad,
    };

    const m: Measurements = {
      args,
      startedAt,
      routeSaysQuickack,
      samples,
      lastLoginApdus: loginApdus,
      rtts,
      replays,
      rttPerRound,
      signSamples,
      privateEncryptSamples,
      idleAtrPerSecond,
      layers,
      bareWithCard,
      inProcess,
      environment: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadavg1m: loadavg()[0] ?? 0, kernel: release() },
    };
    const report = buildReport(m);
    const outPath = resolve(args.out);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, JSON.stringify(roundDeep(report), null, 2) + '\n');
    process.stdout.write(formatSummary(report, outPath));
  } finally {
    probe?.close();
    if (card) await card.eject().catch(() => undefined);
    await monitor?.stop();
    await card?.dispose();
    await bed?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

let parsedArgs: BenchArgs;
try {
  parsedArgs = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
main(parsedArgs).catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n${USAGE}\n`);
  process.exitCode = 1;
});
