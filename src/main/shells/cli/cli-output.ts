/**
 * CLI output and exit codes (stable: IT scripts and tests depend on them).
 * Exit: 0 success; 2 wrong PIN; 3 PIN blocked; 4 untrusted certificate; 5 bad signature;
 * 6 no card or unsupported card; 1 anything else — always with one line on stderr.
 */
import { isTesseraError } from '../../errors.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { message, resolveLang, type Lang } from '../../i18n/messages.js';

export const EXIT = { ok: 0, other: 1, wrongPin: 2, pinBlocked: 3, untrusted: 4, badSignature: 5, noCard: 6 } as const;

const EXIT_BY_CODE: Readonly<Record<string, number>> = {
  wrong_pin: EXIT.wrongPin,
  pin_blocked: EXIT.pinBlocked,
  untrusted_certificate: EXIT.untrusted,
  bad_signature: EXIT.badSignature,
  no_card: EXIT.noCard,
  unsupported_card: EXIT.noCard,
};

export class UsageError extends Error {}

/** Codes whose message names what to fix (a field, a folder): shown to the person as it is. */
const DETAIL_SHOWN = new Set(['internal', 'config_invalid', 'audit_unavailable']);

export interface CliContext {
  readonly json: boolean;
  readonly lang: Lang;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * Reports a failure and returns the exit code. Only the error's code and safe fields are shown.
 * `exitCodes` lets a command group give its own codes (e.g. `fido verify`: bad_signature → 8).
 */
export function reportFailure(ctx: CliContext, e: unknown, params: { reader?: string } = {}, exitCodes: Readonly<Record<string, number>> = {}): number {
  if (e instanceof UsageError) {
    ctx.stderr.write(`tessera: ${message('usage', ctx.lang, { reason: e.message })}\n`);
    if (ctx.json) printJson(ctx, { ok: false, error: 'usage', message: e.message });
    return EXIT.other;
  }
  const code = isTesseraError(e) ? e.code : 'internal';
  const retriesLeft = typeof (e as { retriesLeft?: unknown }).retriesLeft === 'number' ? (e as { retriesLeft: number }).retriesLeft : undefined;
  const reason = typeof (e as { reason?: unknown }).reason === 'string' ? (e as { reason: string }).reason : undefined;
  const detail = e instanceof Error ? e.message : String(e);
  const text = message(code, ctx.lang, {
    ...params,
    ...(retriesLeft !== undefined ? { retriesLeft } : {}),
    reason: reason ?? (DETAIL_SHOWN.has(code) ? detail : code),
  });
  ctx.stderr.write(`tessera: ${text}\n`);
  if (ctx.json) {
    printJson(ctx, { ok: false, error: code, message: detail, ...(retriesLeft !== undefined ? { retriesLeft } : {}), ...(reason ? { reason } : {}) });
  }
  return exitCodes[code] ?? EXIT_BY_CODE[code] ?? EXIT.other;
}

/** `node:util` parseArgs with the group's own options; a bad option is a `UsageError`. */
export function parseGroupArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** The group's context: its own `--json` / `--lang` on top of what `main.ts` already read. */
export function groupContext(preCtx: CliContext, values: { readonly json?: boolean | undefined; readonly lang?: string | undefined }): CliContext {
  return { ...preCtx, json: values.json === true || preCtx.json, lang: values.lang !== undefined ? resolveLang(values.lang) : preCtx.lang };
}
