/**
 * Names of the files of one audit log: `<base>-<6-digit number>.jsonl` in one folder, numbered
 * from 1 in chain order (rotation opens the next number; files are never renamed).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from './audit-error.js';

export const DEFAULT_BASE_NAME = 'audit';

export function auditFileName(base: string, n: number): string {
  return `${base}-${String(n).padStart(6, '0')}.jsonl`;
}

export function auditFileNumber(base: string, name: string): number | undefined {
  const m = /^(.*)-(\d{6,})\.jsonl$/.exec(name);
  return m && m[1] === base && m[2] !== undefined ? Number(m[2]) : undefined;
}

/** The log's files in `dir`, in chain order (full paths). */
export async function listAuditFiles(dir: string, base = DEFAULT_BASE_NAME): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new AuditError('audit_io', `cannot list ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
  }
  return names
    .map((name) => ({ name, n: auditFileNumber(base, name) }))
    .filter((x): x is { name: string; n: number } => x.n !== undefined)
    .sort((a, b) => a.n - b.n)
    .map((x) => join(dir, x.name));
}
