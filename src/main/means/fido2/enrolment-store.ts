/**
 * Where FIDO2 enrolments live. The embedded default is one JSON file (written atomically,
 * mode 0600); a directory- or IdP-backed store implements the same interface. A record holds
 * only public material: the credential id, the COSE public key, never a secret.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { FidoError } from './fido-error.js';

export interface FidoEnrolment {
  /** base64url. */
  readonly credentialId: string;
  /** base64url of the COSE_Key bytes exactly as the key sent them. */
  readonly publicKeyCose: string;
  /** COSE algorithm: −7 ES256, −8 EdDSA. */
  readonly alg: number;
  /** AAGUID as a UUID string. */
  readonly aaguid: string;
  readonly personId: string;
  readonly displayName?: string;
  readonly rpId: string;
  /** ISO 8601. */
  readonly enrolledAt: string;
  readonly signCount: number;
  readonly revoked: boolean;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
  /** Set when an assertion's counter went backwards (kept for the audit; the key is refused). */
  readonly cloneSuspectedAt?: string;
  readonly attestation: { readonly fmt: string; readonly type: string };
  /** The two-factor event that allowed the enrolment. */
  readonly enrolledWith: { readonly means: string; readonly at: string; readonly proof: string };
}

export type EnrolmentPatch = Partial<Pick<FidoEnrolment, 'signCount' | 'revoked' | 'revokedAt' | 'lastUsedAt' | 'cloneSuspectedAt'>>;

export interface FidoEnrolmentStore {
  list(filter?: { personId?: string; rpId?: string }): Promise<FidoEnrolment[]>;
  get(credentialId: string): Promise<FidoEnrolment | undefined>;
  add(record: FidoEnrolment): Promise<void>;
  update(credentialId: string, patch: EnrolmentPatch): Promise<FidoEnrolment>;
}

const FILE_VERSION = 1;

/**
 * JSON file store. Each call reads the file again (another process, e.g. the CLI, may have
 * changed it); writes go to a temporary file renamed over the old one. Not meant for concurrent
 * writers: the agent is the only writer on a workstation.
 */
export class JsonFileEnrolmentStore implements FidoEnrolmentStore {
  constructor(readonly path: string) {}

  private async load(): Promise<FidoEnrolment[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new FidoError('store_invalid', `cannot read enrolment store ${this.path}`, { cause: e });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new FidoError('store_invalid', `enrolment store ${this.path} is not JSON`, { cause: e });
    }
    if (!isObject(doc) || doc['version'] !== FILE_VERSION || !Array.isArray(doc['enrolments'])) {
      throw new FidoError('store_invalid', `enrolment store ${this.path}: expected {"version":1,"enrolments":[...]}`);
    }
    return doc['enrolments'].map((r, i) => validateRecord(r, `${this.path} enrolments[${i}]`));
  }

  private async save(records: readonly FidoEnrolment[]): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ version: FILE_VERSION, enrolments: records }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }

  async list(filter: { personId?: string; rpId?: string } = {}): Promise<FidoEnrolment[]> {
    return (await this.load()).filter((r) => (filter.personId === undefined || r.personId === filter.personId) && (filter.rpId === undefined || r.rpId === filter.rpId));
  }

  async get(credentialId: string): Promise<FidoEnrolment | undefined> {
    return (await this.load()).find((r) => r.credentialId === credentialId);
  }

  async add(record: FidoEnrolment): Promise<void> {
    const all = await this.load();
    if (all.some((r) => r.credentialId === record.credentialId)) throw new FidoError('already_enrolled', 'this credential is already enrolled');
    await this.save([...all, validateRecord(record, 'new enrolment')]);
  }

  async update(credentialId: string, patch: EnrolmentPatch): Promise<FidoEnrolment> {
    const all = await this.load();
    const i = all.findIndex((r) => r.credentialId === credentialId);
    if (i < 0) throw new FidoError('not_enrolled', `no enrolment with credential id ${credentialId}`);
    const updated = validateRecord({ ...all[i]!, ...patch }, 'updated enrolment');
    all[i] = updated;
    await this.save(all);
    return updated;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateRecord(v: unknown, where: string): FidoEnrolment {
  const bad = (why: string): never => {
    throw new FidoError('store_invalid', `${where}: ${why}`);
  };
  if (!isObject(v)) return bad('not an object');
  const str = (k: string, optional = false): void => {
    if (v[k] === undefined && optional) return;
    if (typeof v[k] !== 'string' || v[k] === '') bad(`${k} must be a non-empty string`);
  };
  for (const k of ['credentialId', 'publicKeyCose', 'aaguid', 'personId', 'rpId', 'enrolledAt']) str(k);
  for (const k of ['displayName', 'revokedAt', 'lastUsedAt', 'cloneSuspectedAt']) str(k, true);
  if (!/^[A-Za-z0-9_-]+$/.test(v['credentialId'] as string)) bad('credentialId must be base64url');
  if (v['alg'] !== -7 && v['alg'] !== -8) bad('alg must be -7 or -8');
  if (typeof v['signCount'] !== 'number' || !Number.isInteger(v['signCount']) || v['signCount'] < 0 || v['signCount'] > 0xffffffff) bad('signCount must be a 32-bit unsigned integer');
  if (typeof v['revoked'] !== 'boolean') bad('revoked must be a boolean');
  const att = v['attestation'];
  if (!isObject(att) || typeof att['fmt'] !== 'string' || typeof att['type'] !== 'string') bad('attestation must be {fmt, type}');
  const w = v['enrolledWith'];
  if (!isObject(w) || typeof w['means'] !== 'string' || typeof w['at'] !== 'string' || typeof w['proof'] !== 'string') bad('enrolledWith must be {means, at, proof}');
  return v as unknown as FidoEnrolment;
}
