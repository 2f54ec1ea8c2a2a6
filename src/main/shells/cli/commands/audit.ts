/**
 * `tessera audit verify`: checks an audit log's hash chain (one file, several rotated files in
 * chain order, or a whole folder) and names the first bad record.
 * Exit: 0 intact; 10 altered / removed / reordered / inserted / malformed / truncated; 1 other.
 */
import { verifyAuditFile } from '../../../integrations/audit/verify.js';
import { DEFAULT_BASE_NAME, listAuditFiles } from '../../../integrations/audit/files.js';
import { message } from '../../../i18n/messages.js';
import { printJson, UsageError, type CliContext, groupContext, parseGroupArgs } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';

export const AUDIT_EXIT = { ok: 0, tampered: 10 } as const;

const USAGE = '  tessera audit verify (--file <path>... | --dir <folder> [--base audit]) [--allow-pruned-start] [--json]   (exit 0 intact, 10 tampered with)';

export async function auditVerifyCommand(ctx: CliContext, files: readonly string[], allowPrunedStart: boolean): Promise<number> {
  const r = await verifyAuditFile(files, { allowPrunedStart });
  if (r.ok) {
    if (ctx.json) printJson(ctx, { ok: true, records: r.records, lastSeq: r.lastSeq, lastHash: r.lastHash, files: r.files });
    else ctx.stdout.write(`${message('audit_intact', ctx.lang, { count: r.records, hash: r.lastHash })}\n`);
    return AUDIT_EXIT.ok;
  }
  const bad = r.firstBadRecord;
  ctx.stderr.write(`tessera: ${message('audit_tampered', ctx.lang, { problem: r.problem, file: bad.file, line: bad.line, seq: bad.seq })}\n`);
  if (ctx.json) printJson(ctx, { ok: false, error: 'audit_tampered', problem: r.problem, file: bad.file, line: bad.line, seq: bad.seq, detail: r.detail, recordsBefore: r.records });
  return AUDIT_EXIT.tampered;
}

export const auditCommandGroup: CommandGroup = {
  name: 'audit',
  usage: USAGE,
  async run(preCtx: CliContext, argv: readonly string[]): Promise<number> {
    const parsed = parseGroupArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string', multiple: true },
        dir: { type: 'string' },
        base: { type: 'string' },
        'allow-pruned-start': { type: 'boolean' },
        json: { type: 'boolean' },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const { values, positionals } = parsed;
    const ctx = groupContext(preCtx, values);
    if (values.help) {
      ctx.stdout.write(`Usage:\n${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] !== 'verify') throw new UsageError(`unknown command: audit ${positionals.join(' ')}\nUsage:\n${USAGE}`);
    const fileArgs = values.file ?? [];
    if (fileArgs.length > 0 && values.dir !== undefined) throw new UsageError('give --file or --dir, not both');
    let files: readonly string[] = fileArgs;
    if (values.dir !== undefined) {
      files = await listAuditFiles(values.dir, values.base ?? DEFAULT_BASE_NAME);
      if (files.length === 0) throw new UsageError(`no ${values.base ?? DEFAULT_BASE_NAME}-NNNNNN.jsonl file in ${values.dir}`);
    }
    if (files.length === 0) throw new UsageError('--file <path> or --dir <folder> is required');
    return auditVerifyCommand(ctx, files, values['allow-pruned-start'] === true);
  },
};
