/**
 * `tessera kms ...`: KMS diagnostics.
 *
 *   kms diversify --master <hex> --uid <hex> --aid <hex> --sysid <hex>   → 32 hex digits (AN10922 AES-128)
 *   kms check --kms <file> [--json]                                       → backend and configured (AID, key number) pairs
 *
 * `diversify` takes a master key on the command line: for test vectors and diagnostics on a
 * development machine only (production masters live in the HSM, never typed).
 */
import { parseArgs } from 'node:util';
import { diversifyAes128 } from '../../../protocols/desfire/an10922.js';
import { openKmsFile } from '../../../integrations/kms/index.js';
import { printJson, reportFailure, UsageError, type CliContext } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';

const USAGE = `  tessera kms diversify --master <32 hex> --uid <14 hex> --aid <6 hex> --sysid <hex>   (AN10922 AES-128 key, 32 hex digits)
  tessera kms check --kms <file> [--json]`;

function hexArg(v: string | undefined, name: string, min: number, max: number): Buffer {
  if (v === undefined) throw new UsageError(`--${name} <hex> is required`);
  const s = v.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(s)) throw new UsageError(`--${name}: expected hex digits`);
  const n = s.length / 2;
  if (n < min || n > max) throw new UsageError(`--${name}: expected ${min === max ? `${min}` : `${min}..${max}`} bytes, got ${n}`);
  return Buffer.from(s, 'hex');
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      master: { type: 'string' },
      uid: { type: 'string' },
      aid: { type: 'string' },
      sysid: { type: 'string' },
      kms: { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

async function run(ctx: CliContext, values: Values, positionals: readonly string[]): Promise<number> {
  const [sub, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest.join(' ')}`);
  if (sub === 'diversify') {
    const master = hexArg(values.master, 'master', 16, 16);
    try {
      const key = diversifyAes128(master, hexArg(values.uid, 'uid', 7, 7), hexArg(values.aid, 'aid', 3, 3), hexArg(values.sysid, 'sysid', 1, 21));
      const out = key.toString('hex').toUpperCase();
      key.fill(0);
      if (ctx.json) printJson(ctx, { ok: true, key: out });
      else ctx.stdout.write(`${out}\n`);
    } finally {
      master.fill(0);
    }
    return 0;
  }
  if (sub === 'check') {
    if (!values.kms) throw new UsageError('--kms <file> is required');
    const kms = openKmsFile(values.kms);
    try {
      const keys = kms.keys();
      if (ctx.json) printJson(ctx, { ok: true, backend: kms.backend, keys });
      else ctx.stdout.write(`${kms.backend}: ${keys.map((k) => `${k.aid}/${k.keyNo}`).join(', ')}\n`);
    } finally {
      await kms.close();
    }
    return 0;
  }
  throw new UsageError(`unknown kms command: ${sub ?? '(none)'}\n${USAGE}`);
}

export const kmsCommandGroup: CommandGroup = {
  name: 'kms',
  usage: USAGE,
  async run(preCtx, argv) {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (e) {
      return reportFailure(preCtx, new UsageError(e instanceof Error ? e.message : String(e)));
    }
    const ctx: CliContext = { ...preCtx, json: parsed.values.json === true };
    if (parsed.values.help) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    try {
      return await run(ctx, parsed.values, parsed.positionals);
    } catch (e) {
      return reportFailure(ctx, e);
    }
  },
};
