/**
 * The enrolment register and revocation list: which badge (enrolment id, UID) is bound to which
 * person, who enrolled it with which two-factor proof, and which enrolment ids are revoked.
 * Behind an interface so a directory-backed store can replace the JSON file later.
 *
 * `JsonEnrolmentRegister` re-reads its file on every query, so a revocation written by
 * `tessera desfire revoke` is honoured by an agent that is already running, and writes
 * atomically (temporary file + rename). The file holds no secret, but a file that group or
 * others can write is refused: whoever edits it could un-revoke a badge.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { BadgeError } from './badge-error.js';

export interface EnrolmentRecord {
  readonly enrolmentId: string;
  readonly personId: string;
  readonly name: string;
  /** Real UID, 14 hex digits. */
  readonly uid: string;
  readonly aid: string;
  readonly keyVersion: number;
  readonly enrolledAt: string;
  /** Subject id of the person whose two-factor event authorised the enrolment. */
  readonly enrolledBy: string;
  /** Means of that two-factor event (`cps`, `fido2`, `desfire`). */
  readonly proofMeans: string;
}

export interface RevocationRecord {
  readonly enrolmentId: string;
  readonly revokedAt: string;
  readonly revokedBy: string;
  readonly reason: string;
}

export interface RevocationList {
  isRevoked(enrolmentId: string): boolean;
  revoke(r: RevocationRecord): void;
}

/** What one tap checks: revocation and the enrolment record, from one read of the register. */
export interface RegisterView {
  isRevoked(enrolmentId: string): boolean;
  find(enrolmentId: string): EnrolmentRecord | undefined;
}

export interface EnrolmentRegister extends RevocationList, RegisterView {
  /** The register as it is now, read once: a tap takes it while the badge's identity is on its way. */
  snapshot(): RegisterView;
  record(r: EnrolmentRecord): void;
  setKeyVersion(enrolmentId: string, keyVersion: number): void;
}

interface RegisterFile {
  readonly version: 1;
  readonly enrolments: EnrolmentRecord[];
  readonly revoked: RevocationRecord[];
}

const HEX_ID = /^[0-9A-F]{32}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') throw new BadgeError('register_invalid', `${where}.${k}: expected a non-empty string`);
  return v;
}

function parseRegister(text: string, path: string): RegisterFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BadgeError('register_invalid', `${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(raw) || raw['version'] !== 1 || !Array.isArray(raw['enrolments']) || !Array.isArray(raw['revoked'])) {
    throw new BadgeError('register_invalid', `${path}: expected {"version":1,"enrolments":[...],"revoked":[...]}`);
  }
  const enrolments = raw['enrolments'].map((e: unknown, i): EnrolmentRecord => {
    const w = `${path}: enrolments[${i}]`;
    if (!isRecord(e)) throw new BadgeError('register_invalid', `${w}: expected an object`);
    const enrolmentId = str(e, 'enrolmentId', w);
    if (!HEX_ID.test(enrolmentId)) throw new BadgeError('register_invalid', `${w}.enrolmentId: expected 32 upper-case hex digits`);
    const keyVersion = e['keyVersion'];
    if (typeof keyVersion !== 'number' || !Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 255) {
      throw new BadgeError('register_invalid', `${w}.keyVersion: expected 0..255`);
    }
    return {
      enrolmentId,
      personId: str(e, 'personId', w),
      name: typeof e['name'] === 'string' ? e['name'] : '',
      uid: str(e, 'uid', w),
      aid: str(e, 'aid', w),
      keyVersion,
      enrolledAt: str(e, 'enrolledAt', w),
      enrolledBy: str(e, 'enrolledBy', w),
      proofMeans: str(e, 'proofMeans', w),
    };
  });
  const revoked = raw['revoked'].map((r: unknown, i): RevocationRecord => {
    const w = `${path}: revoked[${i}]`;
    if (!isRecord(r)) throw new BadgeError('register_invalid', `${w}: expected an object`);
    const enrolmentId = str(r, 'enrolmentId', w);
    if (!HEX_ID.test(enrolmentId)) throw new BadgeError('register_invalid', `${w}.enrolmentId: expected 32 upper-case hex digits`);
    return { enrolmentId, revokedAt: str(r, 'revokedAt', w), revokedBy: str(r, 'revokedBy', w), reason: typeof r['reason'] === 'string' ? r['reason'] : '' };
  });
  return { version: 1, enrolments, revoked };
}

export class JsonEnrolmentRegister implements EnrolmentRegister {
  constructor(readonly path: string) {}

  /** Creates an empty register at `path` if none exists (mode 600). */
  static create(path: string): JsonEnrolmentRegister {
    const reg = new JsonEnrolmentRegister(path);
    try {
      statSync(path);
    } catch {
      reg.write({ version: 1, enrolments: [], revoked: [] });
    }
    return reg;
  }

  /** Parsed content keyed by the file's identity and change time: a tap costs one stat(). */
  private cache: { key: string; file: RegisterFile } | undefined;

  private read(): RegisterFile {
    let text: string;
    try {
      const st = statSync(this.path, { bigint: true });
      if (process.platform !== 'win32' && (st.mode & 0o022n) !== 0n) {
        throw new BadgeError('register_invalid', `${this.path}: writable by group/others (mode ${(st.mode & 0o777n).toString(8)})`);
      }
      const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      if (this.cache?.key === key) return this.cache.file;
      text = readFileSync(this.path, 'utf8');
      const file = parseRegister(text, this.path);
      this.cache = { key, file };
      return file;
    } catch (e) {
      if (e instanceof BadgeError) throw e;
      throw new BadgeError('register_invalid', `${this.path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
  }

  private write(f: RegisterFile): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
    this.cache = undefined;
  }

  find(enrolmentId: string): EnrolmentRecord | undefined {
    return this.snapshot().find(enrolmentId);
  }

  isRevoked(enrolmentId: string): boolean {
    return this.snapshot().isRevoked(enrolmentId);
  }

  snapshot(): RegisterView {
    const f = this.read();
    return {
      isRevoked: (id) => f.revoked.some((r) => r.enrolmentId === id),
      find: (id) => f.enrolments.find((e) => e.enrolmentId === id),
    };
  }

  record(r: EnrolmentRecord): void {
    const f = this.read();
    if (f.enrolments.some((e) => e.enrolmentId === r.enrolmentId)) throw new BadgeError('register_invalid', `enrolment ${r.enrolmentId} already recorded`);
    this.write({ ...f, enrolments: [...f.enrolments, r] });
  }

  setKeyVersion(enrolmentId: string, keyVersion: number): void {
    const f = this.read();
    if (!f.enrolments.some((e) => e.enrolmentId === enrolmentId)) throw new BadgeError('badge_not_enrolled', `enrolment ${enrolmentId} not in the register`);
    this.write({ ...f, enrolments: f.enrolments.map((e) => (e.enrolmentId === enrolmentId ? { ...e, keyVersion } : e)) });
  }

  revoke(r: RevocationRecord): void {
    if (!HEX_ID.test(r.enrolmentId)) throw new BadgeError('register_invalid', 'enrolment id must be 32 upper-case hex digits');
    const f = this.read();
    if (f.revoked.some((x) => x.enrolmentId === r.enrolmentId)) return;
    this.write({ ...f, revoked: [...f.revoked, r] });
  }
}
