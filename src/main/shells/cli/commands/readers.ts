import { printJson, type CliContext } from '../cli-output.js';
import { withMonitor } from '../with-monitor.js';

/** `tessera readers [--json]` */
export async function readersCommand(ctx: CliContext): Promise<number> {
  const readers = await withMonitor(async (m) => m.list());
  if (ctx.json) {
    printJson(ctx, { ok: true, readers: readers.map((r) => ({ name: r.name, cardPresent: r.cardPresent, ...(r.atr ? { atr: r.atr.toString('hex').toUpperCase() } : {}) })) });
    return 0;
  }
  if (readers.length === 0) ctx.stdout.write(ctx.lang === 'fr' ? 'Aucun lecteur.\n' : 'No reader.\n');
  for (const r of readers) {
    const state = r.cardPresent ? (ctx.lang === 'fr' ? 'carte présente' : 'card present') : (ctx.lang === 'fr' ? 'vide' : 'empty');
    ctx.stdout.write(`${r.name}\t${state}\n`);
  }
  return 0;
}
