/**
 * `tessera audit verify` end to end: the real binary in a child process, exit 0 on an intact
 * log (one file, a rotated set, a folder), exit 10 naming the first bad record, 1 on usage.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { listAuditFiles } from '../../../src/main/integrations/audit/index.js';
import { fillLog, readLinesOf, tempDir, writeLines } from '../../integrations/audit/helpers.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

interface Run { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined }

function tessera(args: string[], lang = 'fr'): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LANG: lang }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', fail);
    child.once('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try { json = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>) : undefined; } catch { json = undefined; }
      done({ code, stdout, stderr, json });
    });
  });
}

const tmp = tempDir('tessera-audit-cli-');
let single: string;
let rotatedDir: string;
let rotated: string[];

before(async () => {
  const one = await fillLog({ dir: join(tmp.dir, 'one'), workstation: 'PC-URG-01' }, 10);
  single = one.currentFile;
  await one.close();
  rotatedDir = join(tmp.dir, 'rotated');
  const many = await fillLog({ dir: rotatedDir, workstation: 'PC-URG-01', maxFileBytes: 1500 }, 20);
  await many.close();
  rotated = await listAuditFiles(rotatedDir);
});
after(() => tmp.cleanup());

describe('tessera audit verify', () => {
  it('exit 0 on an intact file, with the count and last hash (JSON and French text)', async () => {
    const r = await tessera(['audit', 'verify', '--file', single, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.['ok'], true);
    assert.equal(r.json?.['records'], 10);
    assert.match(String(r.json?.['lastHash']), /^[0-9a-f]{64}$/);
    const text = await tessera(['audit', 'verify', '--file', single]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`Journal d’audit intact : 10 enregistrements, dernière empreinte ${String(r.json?.['lastHash'])}`));
  });

  it('exit 0 on a rotated set given as several --file in order, and with --dir', async () => {
    const r = await tessera(['audit', 'verify', ...rotated.flatMap((f) => ['--file', f]), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json?.['records'], 20 + rotated.length - 1);
    const d = await tessera(['audit', 'verify', '--dir', rotatedDir, '--json']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(d.json?.['files'], rotated);
  });

  it('exit 10 naming the first altered record (file, line, sequence, problem)', async () => {
    const p = join(tmp.dir, 'altered.jsonl');
    copyFileSync(single, p);
    const lines = readLinesOf(p);
    lines[6] = (lines[6] as string).replace('"rpps:10001234567"', '"rpps:10009999999"');
    writeLines(p, lines);
    const r = await tessera(['audit', 'verify', '--file', p, '--json']);
    assert.equal(r.code, 10);
    assert.deepEqual({ error: r.json?.['error'], problem: r.json?.['problem'], file: r.json?.['file'], line: r.json?.['line'], seq: r.json?.['seq'] }, { error: 'audit_tampered', problem: 'altered', file: p, line: 7, seq: 7 });
    assert.match(r.stderr, /Journal d’audit compromis : enregistrement modifié \(fichier .*altered\.jsonl, ligne 7, séquence 7\)/);
  });

  it('exit 10 for a removed and for a reordered record (English message)', async () => {
    const removed = join(tmp.dir, 'removed.jsonl');
    copyFileSync(single, removed);
    const lines = readLinesOf(removed);
    writeLines(removed, lines.filter((_, i) => i !== 3));
    const r1 = await tessera(['audit', 'verify', '--file', removed], 'en');
    assert.equal(r1.code, 10);
    assert.match(r1.stderr, /Audit log tampered with: record\(s\) or file removed \(file .*removed\.jsonl, line 4, sequence 5\)/);
    const reordered = join(tmp.dir, 'reordered.jsonl');
    writeLines(reordered, [lines[0], lines[2], lines[1], ...lines.slice(3)] as string[]);
    const r2 = await tessera(['audit', 'verify', '--file', reordered, '--json']);
    assert.equal(r2.code, 10);
    assert.equal(r2.json?.['problem'], 'reordered');
    assert.equal(r2.json?.['line'], 2);
  });

  it('exit 10 when a middle file of a rotated folder is missing', async () => {
    const dir = join(tmp.dir, 'hole');
    mkdirSync(dir);
    rotated.forEach((f, i) => { if (i !== 1) copyFileSync(f, join(dir, basename(f))); });
    const r = await tessera(['audit', 'verify', '--dir', dir, '--json']);
    assert.equal(r.code, 10);
    assert.equal(r.json?.['problem'], 'removed');
    assert.equal(r.json?.['file'], join(dir, basename(rotated[2] as string)));
  });

  it('exit 1 on usage errors and unreadable files', async () => {
    const none = await tessera(['audit', 'verify', '--json']);
    assert.equal(none.code, 1);
    assert.equal(none.json?.['error'], 'usage');
    const both = await tessera(['audit', 'verify', '--file', single, '--dir', rotatedDir]);
    assert.equal(both.code, 1);
    const missing = await tessera(['audit', 'verify', '--file', join(tmp.dir, 'nope.jsonl'), '--json']);
    assert.equal(missing.code, 1);
    assert.equal(missing.json?.['error'], 'audit_io');
    assert.match(missing.stderr, /Journal d’audit inaccessible/);
  });
});
