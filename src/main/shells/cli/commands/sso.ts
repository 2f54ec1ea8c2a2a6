/**
 * `tessera sso ...`: the web SSO from the command line.
 *
 * `tessera sso login --issuer <url> --client-id <id> [--scope <s>]... [--acr <v>]... [--amr <v>]...
 * [--port <n>] [--browser system|print] [--timeout <s>] [--config <file>] [--client-secret-env <VAR>]
 * [--json] [--insecure-loopback-issuer]` runs one native sign-in (RFC 8252: loopback redirect, PKCE S256,
 * state and nonce, ID token validated) and prints what the validated ID token says — never a
 * token. Values not given on the command line come from `sso.*` of the configuration. A
 * confidential client's secret is read from the environment variable named by
 * `--client-secret-env` (never from the command line, where other users can read it).
 * With `--browser print`, one line `Open: <authorization URL>` on stderr.
 *
 * Exit: 0 signed in; 12 the provider refused or failed (`sso_provider_error`,
 * `sso_provider_unreachable`, `sso_provider_slow`); 13 not finished in time (`sso_timeout`);
 * 14 state, nonce or ID token validation failed (`sso_state_mismatch`, `sso_id_token_invalid`);
 * 11 invalid configuration file; 1 anything else (usage, `sso_port_in_use`, `sso_browser_failed`,
 * `sso_config_invalid`, `sso_cancelled`) — always one line on stderr.
 *
 * `tessera sso provider ...` runs the embedded provider (`./sso-provider.ts`).
 */
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../../config/config.js';
import { message } from '../../../i18n/messages.js';
import { OidcClient, printBrowserOpener, systemBrowserOpener, type BrowserOpener, type OidcClientOptions } from '../../../integrations/sso/client/index.js';
import { groupContext, parseGroupArgs, printJson, reportFailure, UsageError, type CliContext } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';
import { runSsoProvider, SSO_PROVIDER_USAGE } from './sso-provider.js';

const LOGIN_USAGE =
  '  tessera sso login --issuer <url> --client-id <id> [--scope <s>]... [--acr <v>]... [--port <n>] [--browser system|print] [--timeout <s>] [--config <file>] [--client-secret-env <VAR>] [--json] [--insecure-loopback-issuer]   (exit 0 signed in, 12 provider error, 13 timeout, 14 state/nonce/ID token invalid)';

export const SSO_EXIT = { ok: 0, other: 1, invalidConfig: 11, providerError: 12, timeout: 13, validation: 14 } as const;

export const SSO_EXIT_CODES: Readonly<Record<string, number>> = {
  sso_provider_error: SSO_EXIT.providerError,
  sso_provider_unreachable: SSO_EXIT.providerError,
  sso_provider_slow: SSO_EXIT.providerError,
  sso_timeout: SSO_EXIT.timeout,
  sso_state_mismatch: SSO_EXIT.validation,
  sso_id_token_invalid: SSO_EXIT.validation,
  config_invalid: SSO_EXIT.invalidConfig,
};

const DEFAULT_TIMEOUT_S = 300;

/** Repeated options and space-separated lists both work: `--scope openid --scope profile` or `--scope "openid profile"`. */
function words(values: readonly string[] | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  return values.flatMap((v) => v.split(/\s+/)).filter((v) => v.length > 0);
}

function integerOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function parseLogin(argv: readonly string[]) {
  return parseGroupArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string', multiple: true },
      acr: { type: 'string', multiple: true },
      amr: { type: 'string', multiple: true },
      port: { type: 'string' },
      browser: { type: 'string' },
      timeout: { type: 'string' },
      config: { type: 'string' },
      'insecure-loopback-issuer': { type: 'boolean' },
      'client-secret-env': { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type LoginValues = ReturnType<typeof parseLogin>['values'];

/** Command line first, then `sso.*` of the configuration (`--config`, `TESSERA_CONFIG`, or the installed file). */
function clientOptions(values: LoginValues): OidcClientOptions {
  const configPath = values.config ?? (process.env['TESSERA_CONFIG'] || undefined) ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  const sso = configPath !== undefined ? loadConfigFile(configPath).sso : undefined;
  const issuer = values.issuer ?? sso?.issuerUrl;
  const clientId = values['client-id'] ?? sso?.clientId;
  if (issuer === undefined) throw new UsageError(`--issuer <url> is required (or sso.issuerUrl in the configuration)\n${LOGIN_USAGE}`);
  if (clientId === undefined || clientId === '') throw new UsageError(`--client-id <id> is required (or sso.clientId in the configuration)\n${LOGIN_USAGE}`);
  const secretVar = values['client-secret-env'];
  const secret = secretVar !== undefined ? process.env[secretVar] : undefined;
  if (secretVar !== undefined && !secret) throw new UsageError(`--client-secret-env: the environment variable ${secretVar} is not set`);
  return {
    issuer,
    clientId,
    ...(secret ? { clientSecret: { secret } } : {}),
    scopes: words(values.scope) ?? sso?.scopes ?? ['openid'],
    acrValues: words(values.acr) ?? sso?.acrValues ?? [],
    requiredAmr: words(values.amr) ?? [],
    loopbackPort: integerOption('port', values.port, 1024, 65535) ?? sso?.loopbackPort,
    insecureLoopbackIssuer: values['insecure-loopback-issuer'] === true,
  };
}

function opener(ctx: CliContext, browser: string | undefined): BrowserOpener {
  switch (browser ?? 'system') {
    case 'system':
      return systemBrowserOpener();
    case 'print':
      return printBrowserOpener(ctx.stderr);
    default:
      throw new UsageError(`--browser must be system or print\n${LOGIN_USAGE}`);
  }
}

export async function ssoLoginCommand(ctx: CliContext, values: LoginValues): Promise<number> {
  const options = clientOptions(values);
  const browser = opener(ctx, values.browser);
  const timeoutS = integerOption('timeout', values.timeout, 1, 3600) ?? DEFAULT_TIMEOUT_S;
  const client = await OidcClient.discover(options);
  // Ctrl-C ends the attempt cleanly (the loopback listener closes) instead of killing the process mid-exchange.
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    if (!ctx.json && values.browser !== 'print') ctx.stderr.write(`${message('sso_waiting', ctx.lang)}\n`);
    const { claims, tokens, redirectUri } = await client.signIn({ opener: browser, timeoutMs: timeoutS * 1000, signal: abort.signal, lang: ctx.lang });
    if (ctx.json) {
      printJson(ctx, {
        ok: true,
        issuer: client.issuer,
        idTokenValid: true,
        claims,
        redirectUri,
        scope: tokens.scope ?? null,
        accessTokenExpiresAt: tokens.expiresAt !== undefined ? new Date(tokens.expiresAt).toISOString() : null,
        refreshToken: tokens.refreshToken !== undefined,
      });
    } else {
      const context = [typeof claims.acr === 'string' ? claims.acr : undefined, Array.isArray(claims.amr) ? claims.amr.join('+') : undefined].filter((v) => v !== undefined).join(', ');
      ctx.stdout.write(`${message('sso_signed_in', ctx.lang, { file: client.issuer, person: claims.sub, reason: context })}\n`);
    }
    return SSO_EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export const ssoCommandGroup: CommandGroup = {
  name: 'sso',
  usage: `${LOGIN_USAGE}\n${SSO_PROVIDER_USAGE}`,
  async run(preCtx: CliContext, argv: readonly string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'provider') return runSsoProvider(preCtx, rest);
    if (sub !== 'login') return reportFailure(preCtx, new UsageError(`unknown sso command: ${sub ?? '(none)'}\n${LOGIN_USAGE}\n${SSO_PROVIDER_USAGE}`));
    let values: LoginValues;
    try {
      values = parseLogin(rest).values;
    } catch (e) {
      return reportFailure(preCtx, e);
    }
    const ctx = groupContext(preCtx, values);
    if (values.help) {
      ctx.stdout.write(`Usage:\n${LOGIN_USAGE}\n`);
      return SSO_EXIT.ok;
    }
    try {
      return await ssoLoginCommand(ctx, values);
    } catch (e) {
      return reportFailure(ctx, e, {}, SSO_EXIT_CODES);
    }
  },
};
