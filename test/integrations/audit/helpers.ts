/** Shared helpers of the audit tests: temporary folders, a log filled with sample records. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditInput, type AuditLogOptions } from '../../../src/main/integrations/audit/index.js';

export function tempDir(prefix = 'tessera-audit-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sampleInput(i: number): AuditInput {
  const kinds: AuditInput[] = [
    { event: 'auth_succeeded', decision: 'allow', reason: 'two_factor_ok', means: 'cps', factors: ['possession', 'knowledge'], person: 'rpps:10001234567', details: { reader: 'Tessera Virtual PCD 00 00' } },
    { event: 'session_locked', decision: 'lock', reason: 'card_removed', means: 'cps', person: 'rpps:10001234567' },
    { event: 'reidentification', decision: 'unlock', reason: 'exi14_tap', means: 'desfire', factors: ['possession'], person: 'rpps:10001234567', details: { badgeUid: '04782E21801D80', windowEndsAt: '2026-11-23T12:00:00.000Z' } },
    { event: 'auth_failed', decision: 'deny', reason: 'wrong_pin', means: 'cps', details: { errorCode: 'wrong_pin', retriesLeft: 2 } },
  ];
  return kinds[i % kinds.length] as AuditInput;
}

export async function fillLog(opts: AuditLogOptions, n: number): Promise<AuditLog> {
  const log = await AuditLog.open(opts);
  for (let i = 0; i < n; i++) await log.append(sampleInput(i));
  return log;
}

export function readLinesOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

export function writeLines(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
}
