/**
 * The web shell's file resolution: only regular files of the renderer build, whatever the path
 * says (dot segments, encoded separators, NUL, symbolic links out of the root, directories).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { resolveStaticFile, safeSegments } from '../../../src/main/shells/web/static-files.js';

describe('web shell static files', () => {
  let dir: string;
  let root: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-static-'));
    root = join(dir, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    mkdirSync(join(root, 'simulator'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'app.js'), 'export {}');
    writeFileSync(join(root, 'simulator', 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'notes.txt'), 'not a build type');
    writeFileSync(join(dir, 'secret.js'), 'outside the root');
    symlinkSync(join(dir, 'secret.js'), join(root, 'assets', 'link.js'));
    mkdirSync(join(root, 'folder.js'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the build files with their type; / and /x/ are their index.html', async () => {
    assert.equal((await resolveStaticFile(root, '/'))?.contentType, 'text/html; charset=utf-8');
    assert.equal((await resolveStaticFile(root, '/simulator/'))?.path.endsWith(join('simulator', 'index.html')), true);
    const js = await resolveStaticFile(root, '/assets/app.js');
    assert.equal(js?.contentType, 'text/javascript; charset=utf-8');
    assert.equal(js?.size, 9);
    assert.equal((await resolveStaticFile(root, '/assets/%61pp.js'))?.contentType, 'text/javascript; charset=utf-8');
  });

  it('refuses traversal, encoded separators, NUL, hidden files, unknown types, directories and links out of the root', async () => {
    for (const p of ['/../secret.js', '/assets/../../secret.js', '/%2e%2e/secret.js', '/assets%2f..%2f..%2fsecret.js', '/..%5csecret.js', '/index.html%00.js', '/.env', '/assets/notes.txt', '/folder.js', '/assets/link.js', '/assets', 'index.html', '/%E0%A4%A', '//etc/passwd.js']) {
      assert.equal(await resolveStaticFile(root, p), undefined, p);
    }
  });

  it('never resolves outside the root, for any path', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('..', '.', '%2e%2e', '%2f', 'assets', 'app.js', 'secret.js', '', '%00', '\\', 'index.html'), { maxLength: 6 }), async (parts) => {
        const p = `/${parts.join('/')}`;
        const f = await resolveStaticFile(root, p);
        if (f) assert.ok(f.path.startsWith(root), `${p} → ${f.path}`);
        const segs = safeSegments(p);
        if (segs) assert.ok(segs.every((s) => s !== '..' && s !== '.' && !s.includes('/')));
      }),
      { numRuns: 200 },
    );
  });
});
