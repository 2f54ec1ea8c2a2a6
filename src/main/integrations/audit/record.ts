/**
 * The audit record: a closed, typed set of fields, built only from typed inputs, sealed into a
 * SHA-256 hash chain and written as one canonical JSON line.
 *
 * Nothing here accepts a free object: every field of the input and of `details` is listed below
 * with its own check, a field named like a secret (pin, key, token, secret, password) is refused
 * at the type level and at run time, and free-text values that look like a PIN, a key or a token
 * (long hex or base64 runs, JWTs, PEM blocks, bare 4–12 digit strings) are refused too.
 */
import { createHash } from 'node:crypto';
import type { Factor, MeansKind, AuthEvent } from '../../means/auth-event.js';
import { AuditError } from './audit-error.js';
import { canonicalJson } from './canonical-json.js';

/** Version of the record format (field `v`). */
export const AUDIT_FORMAT_VERSION = 1 as const;
/** `prev` of the very first record of a log: 64 zeros (no record precedes it). */
export const GENESIS_HASH = '0'.repeat(64);
/** Longest line a record may take on disk (bytes, newline included); longer lines are malformed. */
export const MAX_RECORD_LINE_BYTES = 8 * 1024;

export const AUDIT_EVENTS = [
  'agent_started',
  'agent_stopped',
  'config_loaded',
  'auth_succeeded',
  'auth_failed',
  'session_opened',
  'session_locked',
  'session_unlocked',
  'session_switched',
  'session_signed_out',
  'session_expired',
  'reidentification',
  'card_removed',
  'means_enrolled',
  'means_revoked',
  /** A badge's keys moved to a new key version (re-keying). */
  'means_rekeyed',
  'fallback_used',
  'degraded_mode_entered',
  'degraded_mode_left',
  'log_rotated',
  'log_repaired',
  // what made the session engine decide (src/main/session/policy/decision.ts, EngineEventKind)
  'authentication',
  'authentication_started',
  'authentication_failed',
  'badge_tap',
  'screen_locked',
  'sleep',
  'resume',
  'os_user_switch',
  'idle_timeout',
  'window_timer',
  'lock_request',
  'sign_out_request',
  // a local application asked the token broker for an access token (allow: handed out, deny: refused)
  'token_request',
] as const;
export type AuditEventKind = (typeof AUDIT_EVENTS)[number];

export const AUDIT_DECISIONS = [
  'allow',
  'deny',
  'lock',
  'unlock',
  'sign_out',
  'expire',
  'info',
  // the session engine's decisions (DecisionKind) not already above
  'open',
  'switch_user',
  'refuse',
  'require_second_factor',
  'ignore',
] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

const MEANS: readonly MeansKind[] = ['cps', 'desfire', 'fido2'];
const FACTORS: readonly Factor[] = ['possession', 'knowledge', 'inherence'];

/** Optional context of a record: a closed set, each field with its own format. */
export interface AuditDetails {
  /** PC/SC reader name. */
  readonly reader?: string;
  /** The means was used as the fallback for a missing card. */
  readonly fallback?: boolean;
  /** End of the EXI 14 window (ISO 8601 UTC). */
  readonly windowEndsAt?: string;
  /** SHA-256 (hex) of the certificate that verified a card signature. */
  readonly certificateSha256?: string;
  /** DESFire badge UID (hex, 4, 7 or 10 bytes). */
  readonly badgeUid?: string;
  /** FIDO2 credential id (base64url; a public identifier). */
  readonly credentialId?: string;
  /** Badge enrolment id (the registered badge, a public identifier). */
  readonly enrolmentId?: string;
  /** What the RIE table made of the authentication. */
  readonly classification?: 'two_factor' | 'single_factor_reidentification_candidate' | 'refused';
  /** The RIE rule applied when `reason` is not itself the rule. */
  readonly rule?: string;
  /** Stable error code of a refusal (e.g. `wrong_pin`). */
  readonly errorCode?: string;
  /** PIN tries left reported by the card (the count, never the PIN). */
  readonly retriesLeft?: number;
  /** Person whose session was locked by a fast user switch. */
  readonly previousPerson?: string;
  /** The identity provider or network was unreachable when the decision was made. */
  readonly offline?: boolean;
  /** `log_rotated`: name of the file that precedes this one in the chain. */
  readonly previousFile?: string;
  /** `log_rotated`: sequence number of the last record of the previous file. */
  readonly previousLastSeq?: number;
  /** `log_repaired`: bytes cut from the torn tail. */
  readonly bytesCut?: number;
  /** `log_repaired`: file that was repaired. */
  readonly repairedFile?: string;
  /** Enrolment, re-key, revocation: the person the means belongs to (the record's `person` is who did it). */
  readonly subjectPerson?: string;
  /** Enrolment, re-key: key version of the means after the operation (a number, never a key). */
  readonly meansVersion?: number;
  /** `means_revoked`: why (`lost`, `stolen`, `damaged`, `left`, `replaced`, `other`). */
  readonly revocationReason?: string;
  /** `token_request`: the audience asked for (an API identifier or URL). */
  readonly audience?: string;
  /** `token_request`: real path of the asking application's executable. */
  readonly application?: string;
  /** `token_request`: SHA-256 (hex) of that executable, when the allow-list pins it. */
  readonly applicationSha256?: string;
  /** `token_request`: process id of the asking application. */
  readonly peerPid?: number;
}

/** What a caller gives: the log adds `v`, `seq`, `workstation`, `prev` and `hash`. */
export interface AuditInput {
  readonly event: AuditEventKind;
  readonly decision: AuditDecision;
  /** Reason code shown by the UI (e.g. `two_factor_ok`, `second_factor_required`). */
  readonly reason: string;
  readonly means?: MeansKind;
  readonly factors?: readonly Factor[];
  /** `rpps:<11 digits>` or `<scheme>:<local id>`. */
  readonly person?: string;
  readonly details?: AuditDetails;
  /** Defaults to the log's clock. */
  readonly time?: Date;
}

export interface AuditRecordBody {
  readonly v: typeof AUDIT_FORMAT_VERSION;
  readonly seq: number;
  readonly time: string;
  readonly workstation: string;
  readonly event: AuditEventKind;
  readonly decision: AuditDecision;
  readonly reason: string;
  readonly means: MeansKind | null;
  readonly factors: readonly Factor[];
  readonly person: string | null;
  readonly details?: AuditDetails;
  /** `hash` of the previous record in the chain, or GENESIS_HASH. */
  readonly prev: string;
}

export interface AuditRecord extends AuditRecordBody {
  /** SHA-256 (hex) of the canonical JSON of every other field. */
  readonly hash: string;
}

type SecretLikeName = `${string}pin${string}` | `${string}key${string}` | `${string}token${string}` | `${string}secret${string}` | `${string}passw${string}`;
/** Keys of T whose lower-cased name looks like a secret; `never` when there is none. */
export type SecretKeysOf<T> = { [K in keyof T]-?: Lowercase<K & string> extends SecretLikeName ? K : never }[keyof T];
/** Compile-time proof that no record, input or details field is named like a secret. */
const _noSecretNames: [SecretKeysOf<AuditRecord>, SecretKeysOf<AuditInput>, SecretKeysOf<AuditDetails>] extends [never, never, never] ? true : false = true;
void _noSecretNames;

/** Run-time twin of SecretKeysOf for inputs that come from untyped code. */
export const SECRET_NAME = /pin|key|token|secret|passw|pwd|credential_?secret/i;

const REASON = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
const PERSON = /^[a-z][a-z0-9]{0,15}:[A-Za-z0-9._@-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const PRINTABLE = /^[\x20-\x7e\u00a0-\u024f]{1,128}$/;

/** True when a free-text value looks like a PIN, key or token (so it is refused). */
export function looksSecret(value: string): boolean {
  return (
    /^\s*\d{4,12}\s*$/.test(value) ||
    /[0-9a-fA-F]{32,}/.test(value) ||
    /[A-Za-z0-9+/_-]{40,}={0,2}/.test(value) ||
    /eyJ[A-Za-z0-9_-]{8,}\./.test(value) ||
    /-----BEGIN/.test(value)
  );
}

function invalid(field: string, why: string): never {
  throw new AuditError('audit_record_invalid', `audit field ${field}: ${why}`);
}

function checkFreeText(field: string, v: unknown): string {
  if (typeof v !== 'string' || !PRINTABLE.test(v)) invalid(field, 'printable text of 1 to 128 characters expected');
  if (looksSecret(v)) invalid(field, 'value looks like a PIN, key or token; refused');
  return v;
}

function checkPattern(field: string, v: unknown, re: RegExp, what: string): string {
  if (typeof v !== 'string' || !re.test(v)) invalid(field, `${what} expected`);
  return v;
}

function checkInt(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) invalid(field, `integer ${min}..${max} expected`);
  return v;
}

function checkBool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') invalid(field, 'boolean expected');
  return v;
}

type DetailCheck = (field: string, v: unknown) => unknown;
const DETAIL_CHECKS: { readonly [K in keyof Required<AuditDetails>]: DetailCheck } = {
  reader: checkFreeText,
  fallback: checkBool,
  windowEndsAt: (f, v) => checkPattern(f, v, ISO_UTC, 'ISO 8601 UTC time'),
  certificateSha256: (f, v) => checkPattern(f, v, HEX64, 'lower-case SHA-256 hex'),
  badgeUid: (f, v) => checkPattern(f, v, /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}|[0-9A-Fa-f]{20})$/, 'UID hex of 4, 7 or 10 bytes'),
  credentialId: (f, v) => checkPattern(f, v, /^[A-Za-z0-9_-]{16,1366}$/, 'base64url credential id'),
  enrolmentId: (f, v) => checkPattern(f, v, /^[A-Za-z0-9._:-]{1,64}$/, 'enrolment id'),
  classification: (f, v) => checkPattern(f, v, /^(two_factor|single_factor_reidentification_candidate|refused)$/, 'RIE classification'),
  rule: (f, v) => checkPattern(f, v, REASON, 'rule code'),
  errorCode: (f, v) => checkPattern(f, v, REASON, 'error code'),
  retriesLeft: (f, v) => checkInt(f, v, 0, 99),
  previousPerson: (f, v) => checkPattern(f, v, PERSON, 'person id'),
  offline: checkBool,
  previousFile: (f, v) => checkPattern(f, v, FILE_NAME, 'file name'),
  previousLastSeq: (f, v) => checkInt(f, v, 0, Number.MAX_SAFE_INTEGER),
  bytesCut: (f, v) => checkInt(f, v, 0, Number.MAX_SAFE_INTEGER),
  repairedFile: (f, v) => checkPattern(f, v, FILE_NAME, 'file name'),
  subjectPerson: (f, v) => checkPerson(f, v),
  meansVersion: (f, v) => checkInt(f, v, 0, 255),
  revocationReason: (f, v) => checkPattern(f, v, /^(lost|stolen|damaged|left|replaced|other)$/, 'revocation reason'),
  audience: (f, v) => {
    const a = checkPattern(f, v, /^[\x21-\x7e]{1,256}$/, 'audience (1–256 visible ASCII characters)');
    if (looksSecret(a)) invalid(f, 'value looks like a PIN, key or token; refused');
    return a;
  },
  application: (f, v) => checkPattern(f, v, /^(\/|[A-Za-z]:\\)[\x20-\x7e\u00a0-\u024f]{0,1023}$/, 'absolute executable path'),
  applicationSha256: (f, v) => checkPattern(f, v, HEX64, 'lower-case SHA-256 hex'),
  peerPid: (f, v) => checkInt(f, v, 1, 2 ** 31 - 1),
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** Checks `details` field by field; unknown or secret-named fields are refused. */
export function checkDetails(details: unknown, where = 'details'): AuditDetails | undefined {
  if (details === undefined) return undefined;
  if (!isPlainObject(details)) invalid(where, 'plain object expected');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_NAME.test(k)) invalid(`${where}.${k}`, 'a field named like a PIN, key or token is never recorded');
    const check = (DETAIL_CHECKS as Record<string, DetailCheck | undefined>)[k];
    if (!check) invalid(`${where}.${k}`, 'unknown field');
    if (v === undefined) continue;
    out[k] = check(`${where}.${k}`, v);
  }
  return Object.keys(out).length > 0 ? (out as AuditDetails) : undefined;
}

const INPUT_FIELDS = new Set(['event', 'decision', 'reason', 'means', 'factors', 'person', 'details', 'time']);

/** Checks an input from typed or untyped code; returns a fresh frozen copy. */
export function checkAuditInput(input: AuditInput): AuditInput {
  if (!isPlainObject(input)) invalid('input', 'plain object expected');
  for (const k of Object.keys(input)) {
    if (SECRET_NAME.test(k)) invalid(k, 'a field named like a PIN, key or token is never recorded');
    if (!INPUT_FIELDS.has(k)) invalid(k, 'unknown field');
  }
  if (!(AUDIT_EVENTS as readonly string[]).includes(input.event)) invalid('event', `one of ${AUDIT_EVENTS.join(', ')}`);
  if (!(AUDIT_DECISIONS as readonly string[]).includes(input.decision)) invalid('decision', `one of ${AUDIT_DECISIONS.join(', ')}`);
  checkPattern('reason', input.reason, REASON, 'reason code');
  if (input.means !== undefined && !MEANS.includes(input.means)) invalid('means', `one of ${MEANS.join(', ')}`);
  if (input.factors !== undefined) {
    if (!Array.isArray(input.factors) || input.factors.some((f) => !FACTORS.includes(f)) || new Set(input.factors).size !== input.factors.length) {
      invalid('factors', `distinct values among ${FACTORS.join(', ')}`);
    }
  }
  if (input.person !== undefined) checkPerson('person', input.person);
  if (input.time !== undefined && (!(input.time instanceof Date) || Number.isNaN(input.time.getTime()))) invalid('time', 'valid Date expected');
  const details = checkDetails(input.details);
  return Object.freeze({
    event: input.event,
    decision: input.decision,
    reason: input.reason,
    ...(input.means !== undefined ? { means: input.means } : {}),
    ...(input.factors !== undefined ? { factors: [...input.factors].sort((a, b) => FACTORS.indexOf(a) - FACTORS.indexOf(b)) } : {}),
    ...(input.person !== undefined ? { person: input.person } : {}),
    ...(details ? { details } : {}),
    ...(input.time !== undefined ? { time: input.time } : {}),
  });
}

function checkPerson(field: string, v: unknown): string {
  const p = checkPattern(field, v, PERSON, '`rpps:<11 digits>` or `<scheme>:<id>`');
  if (p.startsWith('rpps:') && !/^rpps:\d{11}$/.test(p)) invalid(field, 'an RPPS number has 11 digits');
  return p;
}

/** Workstation name as recorded: printable, 1..128 characters, not secret-looking. */
export function checkWorkstation(name: string): string {
  return checkFreeText('workstation', name);
}

/** SHA-256 (hex) of the canonical JSON of a record body. */
export function hashBody(body: AuditRecordBody): string {
  return createHash('sha256').update(canonicalJson(bodyValue(body)), 'utf8').digest('hex');
}

function bodyValue(body: AuditRecordBody): { readonly [k: string]: import('./canonical-json.js').CanonicalValue | undefined } {
  return {
    v: body.v,
    seq: body.seq,
    time: body.time,
    workstation: body.workstation,
    event: body.event,
    decision: body.decision,
    reason: body.reason,
    means: body.means,
    factors: [...body.factors],
    person: body.person,
    details: body.details ? { ...body.details } : undefined,
    prev: body.prev,
  };
}

/** Seals a checked input into the chain: `seq` and `prev` come from the previous record. */
export function sealRecord(input: AuditInput, ctx: { readonly seq: number; readonly prev: string; readonly workstation: string; readonly now: Date }): AuditRecord {
  const checked = checkAuditInput(input);
  const time = (checked.time ?? ctx.now).toISOString();
  const body: AuditRecordBody = {
    v: AUDIT_FORMAT_VERSION,
    seq: ctx.seq,
    time,
    workstation: ctx.workstation,
    event: checked.event,
    decision: checked.decision,
    reason: checked.reason,
    means: checked.means ?? null,
    factors: checked.factors ?? [],
    person: checked.person ?? null,
    ...(checked.details ? { details: checked.details } : {}),
    prev: ctx.prev,
  };
  return Object.freeze({ ...body, hash: hashBody(body) });
}

/** The record's line on disk: canonical JSON (hash included) and a newline. */
export function recordLine(record: AuditRecord): string {
  return `${canonicalJson({ ...bodyValue(record), hash: record.hash })}\n`;
}

export type ParsedLine = { readonly ok: true; readonly record: AuditRecord } | { readonly ok: false; readonly problem: 'malformed' | 'altered'; readonly detail: string };

/**
 * Parses one line (without its newline) and checks it: the schema, the canonical form (the
 * bytes must be exactly what the writer produces) and the record's own hash.
 */
export function parseRecordLine(line: string): ParsedLine {
  if (Buffer.byteLength(line, 'utf8') >= MAX_RECORD_LINE_BYTES) return { ok: false, problem: 'malformed', detail: 'line too long' };
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, problem: 'malformed', detail: 'not JSON' };
  }
  let record: AuditRecord;
  try {
    record = checkParsed(raw);
  } catch (e) {
    return { ok: false, problem: 'malformed', detail: e instanceof Error ? e.message : String(e) };
  }
  if (hashBody(record) !== record.hash) return { ok: false, problem: 'altered', detail: 'hash does not match the content' };
  if (recordLine(record) !== `${line}\n`) return { ok: false, problem: 'altered', detail: 'line is not in canonical form' };
  return { ok: true, record };
}

const RECORD_FIELDS = new Set(['v', 'seq', 'time', 'workstation', 'event', 'decision', 'reason', 'means', 'factors', 'person', 'details', 'prev', 'hash']);

function checkParsed(raw: unknown): AuditRecord {
  if (!isPlainObject(raw)) invalid('record', 'object expected');
  for (const k of Object.keys(raw)) if (!RECORD_FIELDS.has(k)) invalid(k, 'unknown field');
  if (raw['v'] !== AUDIT_FORMAT_VERSION) invalid('v', `format version ${AUDIT_FORMAT_VERSION} expected`);
  const seq = checkInt('seq', raw['seq'], 1, Number.MAX_SAFE_INTEGER);
  const time = checkPattern('time', raw['time'], ISO_UTC, 'ISO 8601 UTC time');
  const workstation = checkWorkstation(raw['workstation'] as string);
  const event = raw['event'];
  if (typeof event !== 'string' || !(AUDIT_EVENTS as readonly string[]).includes(event)) invalid('event', 'known event expected');
  const decision = raw['decision'];
  if (typeof decision !== 'string' || !(AUDIT_DECISIONS as readonly string[]).includes(decision)) invalid('decision', 'known decision expected');
  const reason = checkPattern('reason', raw['reason'], REASON, 'reason code');
  const means = raw['means'];
  if (means !== null && !MEANS.includes(means as MeansKind)) invalid('means', 'known means or null expected');
  const factors = raw['factors'];
  if (!Array.isArray(factors) || factors.some((f) => !FACTORS.includes(f as Factor))) invalid('factors', 'array of factors expected');
  const person = raw['person'] === null ? null : checkPerson('person', raw['person']);
  const details = checkDetails(raw['details']);
  if (raw['details'] !== undefined && details === undefined) invalid('details', 'empty details are never written');
  const prev = checkPattern('prev', raw['prev'], HEX64, 'SHA-256 hex');
  const hash = checkPattern('hash', raw['hash'], HEX64, 'SHA-256 hex');
  return {
    v: AUDIT_FORMAT_VERSION,
    seq,
    time,
    workstation,
    event: event as AuditEventKind,
    decision: decision as AuditDecision,
    reason,
    means: means as MeansKind | null,
    factors: factors as Factor[],
    person,
    ...(details ? { details } : {}),
    prev,
    hash,
  };
}

/**
 * The audit input for a means' AuthEvent: person, means, factors and the public parts of the
 * proof (certificate hash, badge UID, credential id). The challenge and anything secret stay out.
 */
export function auditInputFromAuthEvent(ev: AuthEvent, decision: AuditDecision, reason: string, event: AuditEventKind = 'auth_succeeded'): AuditInput {
  const proof = ev.proof;
  const details: AuditDetails = {
    ...(ev.reader !== undefined ? { reader: ev.reader } : {}),
    ...(ev.fallback ? { fallback: true } : {}),
    ...(proof.kind === 'card-signature' ? { certificateSha256: proof.certificateSha256.toLowerCase() } : {}),
    ...(proof.kind === 'desfire-mutual-auth' ? { badgeUid: proof.uid } : {}),
    ...(proof.kind === 'fido2-assertion' ? { credentialId: proof.credentialId } : {}),
  };
  return {
    event,
    decision,
    reason,
    means: ev.means,
    factors: ev.factors,
    person: ev.subject.id,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    time: ev.at,
  };
}
