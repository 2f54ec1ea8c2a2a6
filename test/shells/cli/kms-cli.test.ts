/**
 * `tessera kms ...` as a child process: the AN10922 vector, argument errors, and `kms check`
 * refusing a master-key file readable by others.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');
const dir = mkdtempSync(join(tmpdir(), 'tessera-kms-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tessera(args: string[]): { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> | undefined } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LANG: 'en' }, encoding: 'utf8' });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

const VECTOR = ['--master', '00112233445566778899AABBCCDDEEFF', '--uid', '04782E21801D80', '--aid', '3042F5', '--sysid', '4E585020416275'];

describe('tessera kms', () => {
  it('diversify prints the NXP AN10922 example key as 32 hex digits', () => {
    const r = tessera(['kms', 'diversify', ...VECTOR]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'A8DD63A3B89D54B37CA802473FDA9175\n');
    const j = tessera(['kms', 'diversify', ...VECTOR, '--json']);
    assert.deepEqual(j.json, { ok: true, key: 'A8DD63A3B89D54B37CA802473FDA9175' });
  });

  for (const [name, args, pattern] of [
    ['a short master key', ['--master', '0011', '--uid', '04782E21801D80', '--aid', '3042F5', '--sysid', '4E'], /--master: expected 16 bytes/],
    ['a 4-byte UID', ['--master', '00112233445566778899AABBCCDDEEFF', '--uid', '04782E21', '--aid', '3042F5', '--sysid', '4E'], /--uid: expected 7 bytes/],
    ['non-hex AID', ['--master', '00112233445566778899AABBCCDDEEFF', '--uid', '04782E21801D80', '--aid', 'XYZXYZ', '--sysid', '4E'], /--aid: expected hex/],
    ['a missing system identifier', ['--master', '00112233445566778899AABBCCDDEEFF', '--uid', '04782E21801D80', '--aid', '3042F5'], /--sysid <hex> is required/],
    ['an unknown option', [...VECTOR, '--bogus'], /bogus/],
  ] as const) {
    it(`diversify refuses ${name} (exit 1, usage)`, () => {
      const r = tessera(['kms', 'diversify', ...args, '--json']);
      assert.equal(r.code, 1);
      assert.equal(r.json?.['error'], 'usage');
      assert.match(String(r.json?.['message']), pattern);
      assert.match(r.stderr, /Incorrect usage/);
    });
  }

  it('check lists the configured keys, and refuses a key file readable by others', () => {
    const cfg = join(dir, 'kms.json');
    writeFileSync(cfg, JSON.stringify({ backend: 'file', masterKeys: [{ aid: 'F51230', keyNo: 1, key: '00'.repeat(16), systemIdentifier: '54455353' }] }));
    chmodSync(cfg, 0o600);
    const ok = tessera(['kms', 'check', '--kms', cfg, '--json']);
    assert.deepEqual(ok.json, { ok: true, backend: 'file', keys: [{ aid: 'F51230', keyNo: 1 }] });
    chmodSync(cfg, 0o644);
    const bad = tessera(['kms', 'check', '--kms', cfg, '--json']);
    assert.equal(bad.code, 1);
    assert.equal(bad.json?.['error'], 'kms_insecure_file');
    assert.match(bad.stderr, /Master key file too permissive.*chmod 600/);
    assert.ok(!bad.stdout.includes('00000000000000000000000000000000') && !bad.stderr.includes('0000000000000000'), 'the key is never printed');
  });
});
