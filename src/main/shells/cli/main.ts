/**
 * `tessera` command line: diagnostics and admin operations for IT, and the tests' way in.
 * Runs the same core code as the desktop app. Commands and JSON outputs are stable.
 */
import { parseArgs } from 'node:util';
import { resolveLang } from '../../i18n/messages.js';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../config/config.js';
import { existsSync } from 'node:fs';
import { EXIT, reportFailure, UsageError, type CliContext } from './cli-output.js';
import { readersCommand } from './commands/readers.js';
import { cardInfoCommand } from './commands/card-info.js';
import { cpsLoginCommand } from './commands/cps-login.js';
import { COMMAND_GROUPS } from './command-groups.js';
import { promptPinOnTty, readPinFromStream } from './pin-input.js';

const USAGE = `Usage:
  tessera readers [--json]
  tessera card info --reader <name> [--json]
  tessera cps login --reader <name> (--pin-stdin | interactive prompt) [--trust <pem>]... [--config <file>] [--json]
Options: --lang fr|en (default: TESSERA_LANG, then fr)
Environment: PCSCLITE_CSOCK_NAME (pcscd socket), TESSERA_CONFIG (configuration file), TESSERA_LANG`;

export async function runCli(argv: readonly string[], io: Pick<CliContext, 'stdout' | 'stderr'> = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const loose = argv.includes('--json');
  const langArg = argv.indexOf('--lang');
  const preCtx: CliContext = { json: loose, lang: resolveLang(langArg >= 0 ? argv[langArg + 1] : undefined), ...io };
  const group = COMMAND_GROUPS.find((g) => g.name === argv[0]);
  if (group) {
    try {
      return await group.run(preCtx, argv.slice(1));
    } catch (e) {
      return reportFailure(preCtx, e);
    }
  }
  try {
    parsed = parse(argv);
  } catch (e) {
    return reportFailure(preCtx, new UsageError(e instanceof Error ? e.message : String(e)));
  }
  const { values, positionals } = parsed;
  const ctx: CliContext = { json: values.json === true, lang: resolveLang(values.lang), ...io };
  const [cmd, sub] = positionals;
  try {
    if (values.help || !cmd) {
      ctx.stdout.write(`${[USAGE, ...COMMAND_GROUPS.map((g) => g.usage)].join('\n')}\n`);
      return cmd || values.help ? EXIT.ok : EXIT.other;
    }
    if (cmd === 'readers' && positionals.length === 1) return await readersCommand(ctx);
    if (cmd === 'card' && sub === 'info' && positionals.length === 2) return await cardInfoCommand(ctx, requireReader(values.reader));
    if (cmd === 'cps' && sub === 'login' && positionals.length === 2) {
      const reader = requireReader(values.reader);
      const trustFiles = values.trust?.length ? values.trust : configuredAnchors(values.config);
      if (!values['pin-stdin'] && !process.stdin.isTTY) throw new UsageError('give the PIN with --pin-stdin (no terminal to prompt on)');
      return await cpsLoginCommand(ctx, {
        reader,
        trustFiles,
        readPin: (name, retriesLeft) =>
          values['pin-stdin']
            ? readPinFromStream(process.stdin)
            : promptPinOnTty(ctx.lang === 'fr' ? `Code PIN de ${name} (${retriesLeft} essais) : ` : `PIN for ${name} (${retriesLeft} tries): `),
      });
    }
    throw new UsageError(`unknown command: ${positionals.join(' ')}\n${USAGE}`);
  } catch (e) {
    return reportFailure(ctx, e, values.reader ? { reader: values.reader } : {});
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      reader: { type: 'string' },
      trust: { type: 'string', multiple: true },
      config: { type: 'string' },
      'pin-stdin': { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function requireReader(reader: string | undefined): string {
  if (!reader) throw new UsageError('--reader <name> is required (see `tessera readers`)');
  return reader;
}

function configuredAnchors(configPath: string | undefined): readonly string[] {
  const path = configPath ?? process.env['TESSERA_CONFIG'] ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  return path ? loadConfigFile(path).cps.trustAnchors : [];
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain || process.env['TESSERA_CLI_MAIN'] === '1') {
  runCli(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`tessera: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT.other;
    },
  );
}
