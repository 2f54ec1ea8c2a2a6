/**
 * Generates every icon under assets/ from the designs in ./icons/design.ts:
 *   node build/scripts/packaging/make-icons.js [--check]
 * Without arguments it (re)writes the files; with --check it only reports files whose pixels
 * differ from what the designs produce (exit code 1), which is what the packaging test does.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { iconFiles } from './icons/icon-set.js';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = iconFiles();
  const stale: string[] = [];
  for (const [relative, content] of files) {
    const target = path.join(repoRoot, relative);
    if (check) {
      const existing = await readFile(target).catch(() => null);
      if (!existing?.equals(content)) stale.push(relative);
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    console.log(`wrote ${relative} (${content.length} bytes)`);
  }
  if (check) {
    if (stale.length > 0) {
      console.error(`icons differ from their designs (run make-icons): ${stale.join(', ')}`);
      process.exitCode = 1;
    } else console.log(`${files.size} icon files match their designs`);
  }
}

await main();
