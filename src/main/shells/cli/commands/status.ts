/**
 * `tessera status`: asks the running agent, over its local control channel, for the session
 * (person, means, factors, window left), degraded mode and readers.
 * Exit: 0 answered; 1 no agent running ("aucun agent Tessera en cours d'exécution"), access
 * refused, or an unreadable answer — always one line on stderr.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../../config/config.js';
import { ControlClient } from '../../../integrations/control/client.js';
import { ControlError } from '../../../integrations/control/control-error.js';
import type { AgentStatus } from '../../../integrations/control/protocol.js';
import { defaultControlPath } from '../../../integrations/control/socket-path.js';
import { message } from '../../../i18n/messages.js';
import { EXIT, printJson, type CliContext, groupContext, parseGroupArgs } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';
import { degradedReasonText } from '../../../../shared/status-text.js';

const USAGE = '  tessera status [--socket <path>] [--config <file>] [--json]   (exit 0 agent answered, 1 no agent)';

/** `--socket`, else `control.socketPath` of the configuration (when one is given or installed), else the per-user default. */
export function resolveSocketPath(socket: string | undefined, configPath: string | undefined): string {
  if (socket !== undefined) return socket;
  const path = configPath ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  const fromConfig = path !== undefined ? loadConfigFile(path).control.socketPath : undefined;
  return fromConfig ?? defaultControlPath();
}

export function formatStatus(s: AgentStatus, ctx: CliContext): string {
  const lines: string[] = [];
  if (s.session) {
    lines.push(
      message('status_session', ctx.lang, {
        state: s.session.locked ? 'locked' : s.state,
        person: s.session.person,
        means: s.session.means,
        reason: s.session.factors.join(' + '),
        minutes: Math.max(0, Math.floor(s.session.windowLeftMs / 60_000)),
      }),
    );
  } else lines.push(message('status_no_session', ctx.lang, { state: s.state }));
  lines.push(message('status_degraded', ctx.lang, { reason: s.degraded ? 'yes' : 'no' }));
  // Agents that report why (degradedMode) get one line per reason, in the person's language.
  for (const r of s.degradedMode?.reasons ?? []) lines.push(`  - ${degradedReasonText(r.code, ctx.lang)}`);
  if (s.sso) lines.push(message('status_sso', ctx.lang, { file: s.sso.provider, reason: s.sso.signedIn ? 'signed_in' : 'signed_out' }));
  for (const r of s.readers) lines.push(message('status_reader', ctx.lang, { reader: r.name, reason: r.card ? 'card' : 'empty' }));
  return `${lines.join('\n')}\n`;
}

export async function statusCommand(ctx: CliContext, socketPath: string, timeoutMs = 5000): Promise<number> {
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(socketPath, { timeoutMs });
    const s = await client.status();
    if (ctx.json) printJson(ctx, { ok: true, socket: socketPath, status: s });
    else ctx.stdout.write(formatStatus(s, ctx));
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    const text = message(e.code, ctx.lang, { file: socketPath, reason: e.remoteCode ?? e.message });
    ctx.stderr.write(`tessera: ${text}\n`);
    if (ctx.json) printJson(ctx, { ok: false, error: e.code, socket: socketPath, message: e.message, ...(e.remoteCode ? { remoteCode: e.remoteCode } : {}) });
    return EXIT.other;
  } finally {
    client?.close();
  }
}

export const statusCommandGroup: CommandGroup = {
  name: 'status',
  usage: USAGE,
  async run(preCtx: CliContext, argv: readonly string[]): Promise<number> {
    const parsed = parseGroupArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        socket: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const { values } = parsed;
    const ctx = groupContext(preCtx, values);
    if (values.help) {
      ctx.stdout.write(`Usage:\n${USAGE}\n`);
      return 0;
    }
    const configPath = values.config ?? (process.env['TESSERA_CONFIG'] || undefined);
    return statusCommand(ctx, resolveSocketPath(values.socket, configPath));
  },
};
