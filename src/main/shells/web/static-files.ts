/**
 * Which file of the renderer build a request path names, if any: decoded once, confined to the
 * root (no `..`, no absolute path, no NUL, no backslash, no hidden file), regular files only.
 * Directories are never listed; `/` and `/x/` name their `index.html`.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** Content types of what a Vite build emits; anything else is not served. */
export const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface StaticFile {
  readonly path: string;
  readonly contentType: string;
  readonly size: number;
}

/** The segments of a URL path, or undefined when it may not name a file under the root. */
export function safeSegments(urlPath: string): string[] | undefined {
  if (!urlPath.startsWith('/') || urlPath.length > 512) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').slice(1);
  if (segments.at(-1) === '') segments[segments.length - 1] = 'index.html';
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.startsWith('.')) return undefined;
  }
  return segments;
}

/** Resolves a request path to a regular file inside `root` (symbolic links followed, then re-checked). */
export async function resolveStaticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  const segments = safeSegments(urlPath);
  if (!segments) return undefined;
  const contentType = contentTypes[extname(segments.at(-1) ?? '').toLowerCase()];
  if (!contentType) return undefined;
  try {
    const realRoot = await realpath(resolve(root));
    const real = await realpath(join(realRoot, ...segments));
    if (!real.startsWith(realRoot + sep)) return undefined;
    const st = await stat(real);
    if (!st.isFile()) return undefined;
    return { path: real, contentType, size: st.size };
  } catch {
    return undefined;
  }
}
