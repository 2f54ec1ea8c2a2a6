/**
 * Private key files of the SSO side (the agent's workstation key, the provider's signing keys):
 * kept in a folder only the owner can enter (0700) as files only the owner can read (0600).
 * A folder or file that others could read, a symbolic link, or one owned by another user is
 * refused, never repaired silently: someone may already have copied the key.
 */
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SsoError } from '../sso-error.js';

const insecure = (path: string, what: string): SsoError =>
  new SsoError('sso_key_storage_insecure', `${path}: ${what}`, { reason: what });

function checkOwner(path: string, uid: number): void {
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) throw insecure(path, 'owned by another user');
}

/** Creates the folder (0700) when absent; an existing one must be a real folder of ours closed to others. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw insecure(dir, 'not a folder');
  checkOwner(dir, st.uid);
  if ((st.mode & 0o077) !== 0) throw insecure(dir, `folder open to others (mode ${(st.mode & 0o777).toString(8)})`);
}

/** The file's bytes, or undefined when it does not exist; refused when others could read it. */
export async function readPrivateFile(path: string): Promise<Buffer | undefined> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (st.isSymbolicLink() || !st.isFile()) throw insecure(path, 'not a regular file');
  checkOwner(path, st.uid);
  if ((st.mode & 0o077) !== 0) throw insecure(path, `file readable by others (mode ${(st.mode & 0o777).toString(8)})`);
  return readFile(path, { flag: constants.O_RDONLY | constants.O_NOFOLLOW });
}

/**
 * Writes the file with 0600 through a fresh temporary file in the same folder, fsync'd, then
 * hard-linked into place: the link fails if the file exists, so a concurrent first start keeps
 * the first key and never replaces one. Returns false when the file already existed.
 */
export async function writePrivateFileOnce(path: string, data: Buffer): Promise<boolean> {
  const tmp = `${dirname(path)}/.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
