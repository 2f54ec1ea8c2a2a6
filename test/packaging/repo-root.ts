import path from 'node:path';

/** Repository root, from a compiled test in build/test/<dir>/. */
export const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
