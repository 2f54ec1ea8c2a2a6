/**
 * `tessera sso provider --config <file> [--json] [--lang fr|en]`: runs the embedded OpenID
 * provider (docs/sso-provider.md) until SIGINT/SIGTERM.
 *
 * Prints one line saying where it listens (with --json: `{"ok":true,"listening":…,"issuer":…}`),
 * then one JSON line per provider event (login, refused proof, agent logout) on stdout with
 * --json, on stderr otherwise. Exit: 0 after a signal; 11 invalid configuration (naming the
 * field); 4 insecure key storage; 1 usage, port in use or anything else.
 */
import { message } from '../../../i18n/messages.js';
import { loadProviderConfig } from '../../../integrations/sso/provider/provider-config.js';
import type { ProviderEvent } from '../../../integrations/sso/provider/embedded-provider.js';
import { SsoError } from '../../../integrations/sso/sso-error.js';
import { groupContext, parseGroupArgs, printJson, reportFailure, UsageError, type CliContext } from '../cli-output.js';

export const SSO_PROVIDER_USAGE = '  tessera sso provider --config <file> [--json]   (runs the embedded OpenID provider until Ctrl-C; exit 11 invalid configuration)';

export const SSO_PROVIDER_EXIT = { ok: 0, keyStorage: 4, invalidConfig: 11 } as const;

const EXIT_CODES: Readonly<Record<string, number>> = {
  sso_config_invalid: SSO_PROVIDER_EXIT.invalidConfig,
  sso_key_storage_insecure: SSO_PROVIDER_EXIT.keyStorage,
};

/** Configuration and key-storage failures: the line names the field or file and what is wrong. */
function reportSetupFailure(ctx: CliContext, e: SsoError): number {
  ctx.stderr.write(`tessera: ${message(e.code, ctx.lang, { reason: e.message })}\n`);
  if (ctx.json) printJson(ctx, { ok: false, error: e.code, ...(e.reason !== undefined ? { field: e.reason } : {}), message: e.message });
  return EXIT_CODES[e.code] ?? 1;
}

/** Resolves on the first SIGINT or SIGTERM (tests may pass their own signal). */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runSsoProvider(preCtx: CliContext, argv: readonly string[], stop: () => Promise<unknown> = untilSignal): Promise<number> {
  const { values, positionals } = parseGroupArgs({
    args: [...argv],
    options: { config: { type: 'string' }, json: { type: 'boolean' }, lang: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const ctx = groupContext(preCtx, values);
  try {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0] ?? ''}\n${SSO_PROVIDER_USAGE}`);
    if (values.config === undefined) throw new UsageError(`--config <file> is required\n${SSO_PROVIDER_USAGE}`);
    const config = loadProviderConfig(values.config);
    const log = (e: ProviderEvent): void => {
      (ctx.json ? ctx.stdout : ctx.stderr).write(`${JSON.stringify(e)}\n`);
    };
    // Loaded here, not at CLI start: oidc-provider is only needed by this command (and on Node 20
    // it writes a runtime warning that every other command would otherwise print).
    const { startEmbeddedProvider } = await import('../../../integrations/sso/provider/embedded-provider.js');
    const provider = await startEmbeddedProvider({ config, log });
    if (ctx.json) printJson(ctx, { ok: true, listening: provider.listening, issuer: provider.issuer });
    else ctx.stdout.write(`${message('sso_provider_listening', ctx.lang, { file: provider.listening, reason: provider.issuer })}\n`);
    await stop();
    await provider.close();
    return SSO_PROVIDER_EXIT.ok;
  } catch (e) {
    if (e instanceof SsoError && EXIT_CODES[e.code] !== undefined) return reportSetupFailure(ctx, e);
    return reportFailure(ctx, e, {}, EXIT_CODES);
  }
}
