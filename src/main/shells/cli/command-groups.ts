/**
 * Command groups that parse their own arguments (`tessera fido ...`, `tessera desfire ...`,
 * `tessera kms ...`). Each group lives in its own file under `commands/` and is listed here
 * once; `main.ts` hands it the arguments after the group name. A group throws `UsageError` for
 * bad arguments and lets other errors through: `main.ts` reports them (stable exit codes).
 */
import type { CliContext } from './cli-output.js';
import { auditCommandGroup } from './commands/audit.js';
import { fidoCommandGroup } from './commands/fido.js';
import { desfireCommandGroup } from './commands/desfire.js';
import { kmsCommandGroup } from './commands/kms.js';
import { configCommandGroup } from './commands/config.js';
import { statusCommandGroup } from './commands/status.js';
import { agentCommandGroup } from './commands/agent.js';
import { ssoCommandGroup } from './commands/sso.js';

export interface CommandGroup {
  /** First word on the command line. */
  readonly name: string;
  /** Lines added to `tessera --help`. */
  readonly usage: string;
  run(ctx: CliContext, argv: readonly string[]): Promise<number>;
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [fidoCommandGroup, desfireCommandGroup, kmsCommandGroup, auditCommandGroup, configCommandGroup, statusCommandGroup, agentCommandGroup, ssoCommandGroup];

