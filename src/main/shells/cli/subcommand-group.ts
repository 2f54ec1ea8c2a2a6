/**
 * A command group made of sub-commands (`tessera fido verify ...`): one argument parse, one
 * dispatch, one place where failures become messages and exit codes.
 */
import { reportFailure, UsageError, type CliContext } from './cli-output.js';
import type { CommandGroup } from './command-groups.js';

/** What a group made of sub-commands (`tessera fido verify ...`) declares. */
export interface SubcommandGroupSpec<V extends { readonly json?: boolean; readonly help?: boolean }> {
  readonly name: string;
  readonly usage: string;
  /** `node:util` parseArgs over the arguments after the group name; throws on bad options. */
  parse(argv: readonly string[]): { values: V; positionals: string[] };
  readonly subcommands: Readonly<Record<string, (ctx: CliContext, values: V) => Promise<number> | number>>;
  /** Turns any failure into the group's error family before it is reported (usage errors pass as they are). */
  translate?(e: unknown): unknown;
  /** Details the failure message may name (e.g. the reader). */
  params?(values: V): { reader?: string };
  readonly exitCodes: Readonly<Record<string, number>>;
}

/** A command group that dispatches on its first word, with one parse and one error report. */
export function subcommandGroup<V extends { readonly json?: boolean; readonly help?: boolean }>(spec: SubcommandGroupSpec<V>): CommandGroup {
  return {
    name: spec.name,
    usage: spec.usage,
    async run(preCtx, argv) {
      let parsed: { values: V; positionals: string[] };
      try {
        parsed = spec.parse(argv);
      } catch (e) {
        return reportFailure(preCtx, new UsageError(e instanceof Error ? e.message : String(e)));
      }
      const { values, positionals } = parsed;
      const ctx: CliContext = { ...preCtx, json: values.json === true };
      if (values.help) {
        ctx.stdout.write(`${spec.usage}\n`);
        return 0;
      }
      try {
        const [sub, ...rest] = positionals;
        if (rest.length) throw new UsageError(`unexpected argument: ${rest.join(' ')}`);
        const run = sub === undefined ? undefined : spec.subcommands[sub];
        if (!run) throw new UsageError(`unknown ${spec.name} command: ${sub ?? '(none)'}\n${spec.usage}`);
        return await run(ctx, values);
      } catch (e) {
        const err = e instanceof UsageError || !spec.translate ? e : spec.translate(e);
        return reportFailure(ctx, err, spec.params?.(values) ?? {}, spec.exitCodes);
      }
    },
  };
}
