/**
 * The login the benchmark times.
 *
 * `cliLogin` is the headline: exactly what `tessera cps login` runs inside its monitor
 * (src/main/shells/cli/commands/cps-login.ts): `recognizeCard`, then `cpsLogin` told the
 * application is already selected, minus process start-up and the PIN prompt (the PIN is
 * supplied programmatically).
 */
import { performance } from 'node:perf_hooks';
import { recognizeCard } from '../../src/main/means/card-recognition.js';
import { CpsError } from '../../src/main/means/cps/cps-error.js';
import { cpsLogin, type CpsLoginResult } from '../../src/main/means/cps/cps-login.js';
import type { TrustStore } from '../../src/main/means/cps/trust-store.js';
import type { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';

export const BENCH_PIN = '1234';

const now = (): number => performance.now();

export interface LoginEnv {
  readonly monitor: ReaderMonitor;
  readonly reader: string;
  readonly trust: TrustStore;
}

export interface CliLoginTiming {
  readonly totalMs: number;
  readonly connectMs: number;
  readonly recognitionMs: number;
  readonly loginMs: number;
  readonly disconnectMs: number;
  readonly result: CpsLoginResult;
}

/**
 * Headline, as the CLI runs it: `monitor.withCard(reader, ch => recognizeCard(ch) then
 * cpsLogin(ch, { trust, applicationSelected: true, pin }))`. `withCard` hands the result back
 * before the reset-on-release completes, so `disconnectMs` is what is left of the release on
 * the caller's path.
 */
export async function cliLogin(env: LoginEnv): Promise<CliLoginTiming> {
  let tConnected = 0;
  let tRecognised = 0;
  let tLoggedIn = 0;
  const t0 = now();
  const result = await env.monitor.withCard(env.reader, async (ch) => {
    tConnected = now();
    const kind = await recognizeCard(ch);
    if (kind.type !== 'cps' || !kind.usable) {
      throw new CpsError('unsupported_card', `card in ${env.reader} is not a usable CPS (${kind.type}: ${kind.detail})`);
    }
    tRecognised = now();
    const r = await cpsLogin(ch, { trust: env.trust, applicationSelected: true, pin: async () => Buffer.from(BENCH_PIN, 'ascii') });
    tLoggedIn = now();
    return r;
  });
  const t1 = now();
  if (result.event.factors.length !== 2) throw new Error('login did not yield two factors');
  return {
    totalMs: t1 - t0,
    connectMs: tConnected - t0,
    recognitionMs: tRecognised - tConnected,
    loginMs: tLoggedIn - tRecognised,
    disconnectMs: t1 - tLoggedIn,
    result,
  };
}
