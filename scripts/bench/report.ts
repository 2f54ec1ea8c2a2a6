/**
 * Writes the single benchmark report from every bench-results/*.json: bench/report.json,
 * bench/report.md and the SVG charts beside them (scripts/bench/bench-report.ts builds them).
 * `npm run bench` ends with it; it can be re-run alone on existing results.
 *
 *   node build/scripts/bench/report.js [--in bench-results] [--out bench]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBenchReport, type BenchInput } from './bench-report.js';
import { gitCommit, machineInfo } from './machine.js';

/** Every `*.json` of `dir`, parsed; a file that is not JSON is reported and skipped. */
export function readBenchResults(dir: string): BenchInput[] {
  const out: BenchInput[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    try {
      out.push({ file, data: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown });
    } catch (e) {
      process.stderr.write(`report: skipping ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return out;
}

function main(): void {
  const { values } = parseArgs({ options: { in: { type: 'string', default: 'bench-results' }, out: { type: 'string', default: 'bench' } }, strict: true });
  const inputs = readBenchResults(resolve(values.in));
  if (inputs.length === 0) throw new Error(`no bench result in ${values.in}: run npm run bench first`);
  const report = buildBenchReport(inputs, { generatedAt: new Date(), machine: machineInfo(), git: gitCommit() });
  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report.json, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.md'), report.markdown);
  for (const c of report.charts) writeFileSync(join(outDir, c.file), c.svg);
  process.stdout.write(`report: ${report.json.rows.length} figures from ${inputs.length} benches, ${report.charts.length} charts → ${join(outDir, 'report.md')}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`report failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
