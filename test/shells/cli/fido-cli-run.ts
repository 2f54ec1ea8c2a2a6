/** Runs the real `tessera` binary in a child process for the fido CLI tests. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

export interface Run { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined }

export function tessera(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LANG: 'fr', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('error', reject);
    child.once('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try { json = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>) : undefined; } catch { json = undefined; }
      resolveRun({ code, stdout, stderr, json });
    });
    child.stdin.end(stdin);
  });
}
