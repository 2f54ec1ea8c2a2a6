/**
 * The establishment application on a badge (docs/desfire-badge.md §1-§2): key numbers, file
 * numbers, file layouts, and the codecs of the identity and PIN verifier files. Data read from
 * a badge is untrusted: every length is checked and a malformed file is `card_data_invalid`.
 */
import type { AccessRights, CommMode } from '../../protocols/desfire/constants.js';
import { BadgeError } from './badge-error.js';

export const DEFAULT_BADGE_AID = Buffer.from('F51230', 'hex');

export const KEY = {
  /** Application master key: ChangeKey, file creation, identity writes. */
  appMaster: 0,
  /** Tap authentication and identity read. */
  identity: 1,
  /** PIN verifier read, PIN counter debit/credit. */
  pin: 2,
  /** UID discovery on random-UID badges (diversified with the all-zero UID; no file right). */
  uidDiscovery: 3,
} as const;
export const APP_KEY_COUNT = 4;
/** Keys changed only with key 0; configuration changeable; create/delete and listing need key 0; key 0 changeable. */
export const APP_KEY_SETTINGS = 0x09;
/** The UID fed to AN10922 for the UID-discovery key: the same key on every badge. */
export const UID_DISCOVERY_UID = Buffer.alloc(7);

export const FILE = { identity: 0x01, pinVerifier: 0x02, pinCounter: 0x03 } as const;
export const FILE_MODE: CommMode = 'full';
/**
 * 44 bytes: the whole file travels in ONE response frame in full mode, EV1 (44 + CRC32 → 48
 * enciphered) and EV2 (44 padded → 48 + 8-byte MAC = 56 ≤ 59), so the tap stays at 7 APDUs.
 */
export const IDENTITY_FILE_SIZE = 44;
export const PIN_FILE_SIZE = 64;
export const DEFAULT_PIN_TRIES = 5;

export const IDENTITY_ACCESS: AccessRights = { read: KEY.identity, write: KEY.appMaster, readWrite: KEY.appMaster, change: KEY.appMaster };
export const PIN_FILE_ACCESS: AccessRights = { read: KEY.pin, write: KEY.appMaster, readWrite: KEY.appMaster, change: KEY.appMaster };
export const PIN_COUNTER_ACCESS: AccessRights = { read: KEY.pin, write: KEY.pin, readWrite: KEY.pin, change: KEY.appMaster };

const IDENTITY_VERSION = 0x01;
const PIN_FILE_VERSION = 0x01;
export const MAX_PERSON_ID_BYTES = 22;
export const ENROLMENT_ID_BYTES = 16;

export interface BadgeIdentity {
  /** Session subject id, e.g. `rpps:10001234567`. */
  readonly personId: string;
  /** 32 hex digits, upper case. */
  readonly enrolmentId: string;
  readonly issuedAt: Date;
}

const PERSON_ID = /^[A-Za-z0-9:._@-]+$/;
const invalid = (what: string): BadgeError => new BadgeError('card_data_invalid', `identity file: ${what}`);

/** Serialises the identity file (exactly IDENTITY_FILE_SIZE bytes). */
export function encodeIdentity(id: BadgeIdentity): Buffer {
  const person = Buffer.from(id.personId, 'utf8');
  if (person.length < 1 || person.length > MAX_PERSON_ID_BYTES) throw new BadgeError('enrolment_refused', `person id must be 1..${MAX_PERSON_ID_BYTES} bytes`);
  if (!PERSON_ID.test(id.personId)) throw new BadgeError('enrolment_refused', 'person id has characters outside [A-Za-z0-9:._@-]');
  if (!/^[0-9A-F]{32}$/.test(id.enrolmentId)) throw new BadgeError('enrolment_refused', 'enrolment id must be 32 upper-case hex digits');
  const seconds = Math.floor(id.issuedAt.getTime() / 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 0xffffffff) throw new BadgeError('enrolment_refused', 'issue date out of range');
  const out = Buffer.alloc(IDENTITY_FILE_SIZE);
  let o = 0;
  out[o++] = IDENTITY_VERSION;
  out[o++] = person.length;
  o += person.copy(out, o);
  o += Buffer.from(id.enrolmentId, 'hex').copy(out, o);
  out.writeUInt32BE(seconds, o);
  return out;
}

/** Stateless between calls (no `stream` option): one for the module. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function strictUtf8(b: Buffer, what: string): string {
  try {
    return UTF8.decode(b);
  } catch {
    throw invalid(`${what} is not valid UTF-8`);
  }
}

/** Parses an identity file read from a badge (untrusted). */
export function decodeIdentity(data: Buffer): BadgeIdentity {
  if (data.length < 1 + 1 + 1 + ENROLMENT_ID_BYTES + 4) throw invalid(`too short (${data.length} bytes)`);
  let o = 0;
  const version = data[o++];
  if (version !== IDENTITY_VERSION) throw invalid(`unknown format version ${String(version)}`);
  const p = data[o++] ?? 0;
  if (p < 1 || p > MAX_PERSON_ID_BYTES) throw invalid(`person id length ${p}`);
  if (o + p + ENROLMENT_ID_BYTES + 4 > data.length) throw invalid('person id overruns the file');
  const personId = strictUtf8(data.subarray(o, o + p), 'person id');
  o += p;
  const enrolmentId = data.subarray(o, o + ENROLMENT_ID_BYTES).toString('hex').toUpperCase();
  o += ENROLMENT_ID_BYTES;
  const seconds = data.readUInt32BE(o);
  if (/^0+$/.test(enrolmentId)) throw invalid('empty enrolment id');
  if (!PERSON_ID.test(personId)) throw invalid('person id has characters outside the allowed set');
  return { personId, enrolmentId, issuedAt: new Date(seconds * 1000) };
}

export interface PinVerifierRecord {
  /** Tries the counter is reset to after a correct PIN (the value file's upper limit). */
  readonly maxTries: number;
  readonly iterations: number;
  readonly salt: Buffer;
  readonly verifier: Buffer;
}

export const PIN_ITERATIONS = 20_000;
const MIN_ITERATIONS = 1000;
const MAX_ITERATIONS = 1_000_000;
const SALT_BYTES = 16;
const VERIFIER_BYTES = 32;
const PIN_RECORD_BYTES = 1 + 1 + 4 + SALT_BYTES + VERIFIER_BYTES;

export function encodePinFile(r: PinVerifierRecord): Buffer {
  if (r.verifier.length !== VERIFIER_BYTES || r.salt.length !== SALT_BYTES) throw new RangeError('PIN verifier 32 bytes, salt 16 bytes');
  if (!Number.isInteger(r.maxTries) || r.maxTries < 1 || r.maxTries > 15) throw new BadgeError('enrolment_refused', 'PIN tries must be 1..15');
  const out = Buffer.alloc(PIN_FILE_SIZE);
  out[0] = PIN_FILE_VERSION;
  out[1] = r.maxTries;
  out.writeUInt32BE(r.iterations, 2);
  r.salt.copy(out, 6);
  r.verifier.copy(out, 6 + SALT_BYTES);
  return out;
}

export function decodePinFile(data: Buffer): PinVerifierRecord {
  if (data.length < PIN_RECORD_BYTES) throw new BadgeError('card_data_invalid', `PIN file too short (${data.length} bytes)`);
  if (data[0] !== PIN_FILE_VERSION) throw new BadgeError('card_data_invalid', `PIN file: unknown format version ${String(data[0])}`);
  const maxTries = data[1] ?? 0;
  if (maxTries < 1 || maxTries > 15) throw new BadgeError('card_data_invalid', `PIN file: max tries ${maxTries} out of range`);
  const iterations = data.readUInt32BE(2);
  // Bounded so a forged file cannot make the agent spin.
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) throw new BadgeError('card_data_invalid', `PIN file: iteration count ${iterations} out of range`);
  return {
    maxTries,
    iterations,
    salt: Buffer.from(data.subarray(6, 6 + SALT_BYTES)),
    verifier: Buffer.from(data.subarray(6 + SALT_BYTES, PIN_RECORD_BYTES)),
  };
}
