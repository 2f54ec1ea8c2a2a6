import { recognizeCard } from '../../../means/card-recognition.js';
import { printJson, type CliContext } from '../cli-output.js';
import { withMonitor } from '../with-monitor.js';

/** `tessera card info --reader <name> [--json]`: ATR and detected type. */
export async function cardInfoCommand(ctx: CliContext, reader: string): Promise<number> {
  const info = await withMonitor((m) => m.withCard(reader, (ch) => recognizeCard(ch)));
  if (ctx.json) {
    printJson(ctx, { ok: true, reader, atr: info.atr.toUpperCase(), type: info.type, detail: info.detail, usable: info.usable });
  } else {
    ctx.stdout.write(`${reader}\nATR: ${info.atr.toUpperCase()}\ntype: ${info.type} (${info.detail})\n`);
  }
  return 0;
}
