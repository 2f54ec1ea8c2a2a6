/**
 * A configuration file (or a file it points to) that another user could change is refused: the
 * agent would otherwise take its trust anchors or its key store from anyone on the machine.
 * POSIX only (mode bits and owner); on Windows the installer sets the ACLs.
 */
import { statSync, type Stats } from 'node:fs';
import { configError } from './issues.js';

export const INSECURE_ALLOWED = 'owned by root or the agent’s user, not writable by group or others (chmod go-w)';

export interface FileSecurityOptions {
  readonly platform?: NodeJS.Platform;
  readonly uid?: number;
  readonly stat?: (path: string) => Stats;
  /** Parsing text only (no files involved): no checks. */
  readonly skip?: boolean;
}

/**
 * Throws `ConfigError('config.insecure_file')` when `path` is writable by group or others, or
 * owned by a user other than root and the current user. `missingOk`: a file that does not
 * exist is left to whoever opens it later (it reports its own error).
 */
export function checkFileNotWritableByOthers(path: string, field: string, source: string | undefined, opts: FileSecurityOptions & { missingOk?: boolean } = {}): void {
  if (opts.skip || (opts.platform ?? process.platform) === 'win32') return;
  let st: Stats;
  try {
    st = (opts.stat ?? statSync)(path);
  } catch (e) {
    if (opts.missingOk && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw configError('config.unreadable', field, 'a readable file', source, path);
  }
  const uid = opts.uid ?? (typeof process.getuid === 'function' ? process.getuid() : 0);
  if ((st.mode & 0o022) !== 0 || (st.uid !== 0 && st.uid !== uid)) {
    throw configError('config.insecure_file', field, INSECURE_ALLOWED, source, path);
  }
}
