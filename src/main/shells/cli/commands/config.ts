/**
 * `tessera config check`: loads the configuration exactly as the agent would (built-in
 * defaults < machine policy < the user's settings for what policy allows) and says whether it
 * is valid. Exit: 0 valid (prints the effective configuration with each value's source in
 * --json or with --explain); 11 invalid, one line on stderr naming the field and the allowed
 * values (JSON: error "config_invalid", field, allowed); 1 usage.
 */
import { ConfigError } from '../../../config/config-error.js';
import { explainConfig, loadAgentConfig, type ConfigWarning } from '../../../config/layered.js';
import { configAllowed, message, type Lang } from '../../../i18n/messages.js';
import { printJson, UsageError, type CliContext, groupContext, parseGroupArgs } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';

export const CONFIG_EXIT = { ok: 0, invalid: 11 } as const;

const USAGE =
  '  tessera config check [--config <file>] [--user-settings <file> | --no-user-settings] [--explain] [--json]   (exit 0 valid, 11 invalid)';

/** The sentence a person reads for a configuration problem. */
export function configErrorText(e: ConfigError, lang: Lang): string {
  const leaf = (e.field ?? '').replace(/\[\d+\]/g, '');
  const allowed = e.problem !== 'config.unknown_key' && e.problem !== 'config.insecure_file' ? (configAllowed(leaf, lang) ?? e.allowed) : e.allowed;
  const detail = e.problem
    ? message(e.problem, lang, { field: e.field ?? '', allowed: allowed ?? '', file: e.file ?? e.source ?? '', reason: e.message })
    : e.message;
  const where = e.source && e.problem !== 'config.unreadable' && e.problem !== 'config.not_json' && e.problem !== 'config.bad_source' ? `${e.source}${lang === 'fr' ? ' : ' : ': '}` : '';
  return message('config_invalid', lang, { reason: `${where}${detail}` });
}

export function warningText(w: ConfigWarning, lang: Lang): string {
  return message('config.user_setting_ignored', lang, { field: w.field, reason: w.reason === 'user_settings_disabled' ? 'user_settings_disabled' : 'locked' });
}

export interface ConfigCheckInput {
  readonly configPath?: string;
  readonly userSettings?: string | false;
  readonly explain: boolean;
}

export function configCheckCommand(ctx: CliContext, input: ConfigCheckInput): number {
  try {
    const eff = loadAgentConfig({
      ...(input.configPath !== undefined ? { configPath: input.configPath } : {}),
      ...(input.userSettings !== undefined ? { userSettingsPath: input.userSettings } : {}),
    });
    const policySources = eff.policySources;
    for (const w of eff.warnings) ctx.stderr.write(`tessera: ${warningText(w, ctx.lang)}\n`);
    const rows = explainConfig(eff);
    const set = rows.filter((r) => r.source !== 'default').length;
    if (ctx.json) {
      printJson(ctx, {
        ok: true,
        config: eff.config,
        sources: Object.fromEntries(rows.map((r) => [r.key, { source: r.source, from: r.from }])),
        warnings: eff.warnings,
      });
    } else {
      ctx.stdout.write(`${message('config_valid', ctx.lang, { file: policySources.map((s) => s.name).join(', '), count: set })}\n`);
      if (input.explain) for (const r of rows) ctx.stdout.write(`  ${r.key} = ${r.value === undefined ? '(unset)' : JSON.stringify(r.value)}   [${r.source}${r.source === 'default' ? '' : `: ${r.from}`}]\n`);
    }
    return CONFIG_EXIT.ok;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    ctx.stderr.write(`tessera: ${configErrorText(e, ctx.lang)}\n`);
    if (ctx.json) {
      printJson(ctx, {
        ok: false,
        error: 'config_invalid',
        problem: e.problem ?? null,
        field: e.field ?? null,
        allowed: e.allowed ?? null,
        source: e.source ?? null,
        message: e.message,
      });
    }
    return CONFIG_EXIT.invalid;
  }
}

export const configCommandGroup: CommandGroup = {
  name: 'config',
  usage: USAGE,
  run(preCtx: CliContext, argv: readonly string[]): Promise<number> {
    const parsed = parseGroupArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'user-settings': { type: 'string' },
        'no-user-settings': { type: 'boolean' },
        explain: { type: 'boolean' },
        json: { type: 'boolean' },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const { values, positionals } = parsed;
    const ctx = groupContext(preCtx, values);
    if (values.help) {
      ctx.stdout.write(`Usage:\n${USAGE}\n`);
      return Promise.resolve(0);
    }
    if (positionals.length !== 1 || positionals[0] !== 'check') throw new UsageError(`unknown command: config ${positionals.join(' ')}\nUsage:\n${USAGE}`);
    if (values['user-settings'] !== undefined && values['no-user-settings']) throw new UsageError('give --user-settings or --no-user-settings, not both');
    const configPath = values.config ?? process.env['TESSERA_CONFIG'];
    return Promise.resolve(
      configCheckCommand(ctx, {
        ...(configPath !== undefined && configPath !== '' ? { configPath } : {}),
        ...(values['no-user-settings'] ? { userSettings: false as const } : values['user-settings'] !== undefined ? { userSettings: values['user-settings'] } : {}),
        explain: values.explain === true,
      }),
    );
  },
};
