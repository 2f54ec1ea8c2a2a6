import { Agent } from '../../agent/agent.js';
import { describeRecord } from '../../agent/agent-text.js';
import { TrustStore } from '../../../means/cps/trust-store.js';
import { ReaderMonitor } from '../../../transports/pcsc/reader-monitor.js';
import { CpsError } from '../../../means/cps/cps-error.js';
import { printJson, type CliContext } from '../cli-output.js';
import { promptPinOnTty } from '../pin-input.js';

/**
 * `tessera agent [--trust <pem>]... [--json]`: runs the headless agent until SIGINT/SIGTERM.
 * The PIN pad is the terminal; without one, CPS logins are refused with a clear message.
 */
export async function agentCommand(ctx: CliContext, trustFiles: readonly string[]): Promise<number> {
  const trust = TrustStore.fromPemFiles(trustFiles);
  let pinQueue: Promise<unknown> = Promise.resolve();
  const agent = new Agent({
    monitor: new ReaderMonitor(),
    trust,
    report: (r) => (ctx.json ? printJson(ctx, { at: new Date().toISOString(), ...r }) : ctx.stdout.write(`${describeRecord(r, ctx.lang)}\n`)),
    pinPad: (reader, req) => {
      if (!process.stdin.isTTY) return Promise.reject(new CpsError('card_error', 'no terminal to type the PIN on'));
      const ask = pinQueue.then(() => promptPinOnTty(ctx.lang === 'fr'
        ? `Code PIN de ${req.holder.name} (${reader}, ${req.retriesLeft} essais) : `
        : `PIN for ${req.holder.name} (${reader}, ${req.retriesLeft} tries): `));
      pinQueue = ask.catch(() => undefined);
      return ask;
    },
  });
  await agent.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  return 0;
}
