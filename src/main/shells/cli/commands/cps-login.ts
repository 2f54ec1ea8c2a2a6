import { recognizeCard } from '../../../means/card-recognition.js';
import { CpsError } from '../../../means/cps/cps-error.js';
import { cpsLogin } from '../../../means/cps/cps-login.js';
import { TrustStore, TrustStoreError } from '../../../means/cps/trust-store.js';
import { ConfigError } from '../../../config/config.js';
import { printJson, type CliContext } from '../cli-output.js';
import { withMonitor } from '../with-monitor.js';

export interface CpsLoginArgs {
  readonly reader: string;
  readonly trustFiles: readonly string[];
  /** Called once the certificate has passed its checks; returns the PIN (wiped by the login). */
  readonly readPin: (holderName: string, retriesLeft: number) => Promise<Buffer>;
}

/** `tessera cps login --reader <name> --pin-stdin [--trust <pem>]... [--json]` */
export async function cpsLoginCommand(ctx: CliContext, args: CpsLoginArgs): Promise<number> {
  let trust: TrustStore;
  try {
    trust = TrustStore.fromPemFiles(args.trustFiles);
  } catch (e) {
    throw e instanceof TrustStoreError ? new ConfigError(e.message) : e;
  }
  const result = await withMonitor((m) =>
    m.withCard(args.reader, async (ch) => {
      const kind = await recognizeCard(ch);
      if (kind.type !== 'cps' || !kind.usable) {
        throw new CpsError('unsupported_card', `card in ${args.reader} is not a usable CPS (${kind.type}: ${kind.detail})`);
      }
      return cpsLogin(ch, { trust, applicationSelected: true, pin: (req) => args.readPin(req.holder.name, req.retriesLeft) });
    }),
  );
  const { event, certificate } = result;
  if (ctx.json) {
    printJson(ctx, {
      ok: true,
      means: event.means,
      factors: event.factors,
      subject: event.subject,
      certificate: { subject: certificate.subject, issuer: certificate.issuer, serial: certificate.serial, notAfter: certificate.notAfter },
      reader: args.reader,
      at: event.at.toISOString(),
    });
  } else {
    const who = `${event.subject.name} (RPPS ${event.subject.rpps ?? '?'})`;
    ctx.stdout.write(ctx.lang === 'fr' ? `Authentifié : ${who} — carte CPS + code PIN\n` : `Authenticated: ${who} — CPS card + PIN\n`);
  }
  return 0;
}
