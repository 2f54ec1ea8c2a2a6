/**
 * Badge authentication (docs/desfire-badge.md §1, §4): select the establishment application,
 * discover the real UID with the UID-discovery key (random-UID badges), authenticate with the
 * key diversified for that UID, read the identity file over full encryption, check the
 * enrolment register. Only then is an `AuthEvent` with the possession factor produced.
 *
 * Keys come from a `BadgeKeySource` (the KMS, wired by the shell): each diversified key is
 * used for one authentication and wiped.
 */
import type { CardChannel } from '../../transports/card-channel.js';
import { DesfireSession } from '../../protocols/desfire/desfire-session.js';
import { isDesfireError } from '../../protocols/desfire/desfire-error.js';
import type { AuthKey, RandomSource } from '../../protocols/desfire/authenticate.js';
import type { AuthEvent } from '../auth-event.js';
import { BadgeError, toBadgeError } from './badge-error.js';
import { DEFAULT_BADGE_AID, decodeIdentity, FILE, FILE_MODE, IDENTITY_FILE_SIZE, KEY, UID_DISCOVERY_UID, type BadgeIdentity } from './badge-profile.js';
import type { EnrolmentRecord, EnrolmentRegister, RegisterView } from './enrolment-register.js';

/** Where diversified keys come from (the KMS implements it). */
export interface BadgeKeySource {
  diversifiedKey(uid: Buffer, aid: Buffer, keyNo: number): Promise<Buffer>;
}

/** `auto`: AuthenticateEV2First, and AuthenticateAES (EV1) when the badge does not know it. */
export type AuthMode = 'auto' | 'ev1' | 'ev2';

export interface BadgeOptions {
  readonly keys: BadgeKeySource;
  /** Establishment AID, wire order (default F51230). */
  readonly aid?: Buffer;
  readonly authMode?: AuthMode;
  /** RndA source (tests only). */
  readonly random?: RandomSource;
  readonly now?: () => Date;
}

export interface BadgeAuthentication {
  readonly session: DesfireSession;
  /** Real UID returned by the badge under encryption. */
  readonly uid: Buffer;
  readonly aid: Buffer;
  readonly keyNo: number;
  readonly kind: 'ev1' | 'ev2';
}

/**
 * Authenticates `keyNo` with `key`, EV2 first in `auto` mode. `key` is the key's bytes or a
 * function fetching them (called once, after the first frame is sent, so a KMS works while the
 * card answers); either way the key is wiped here.
 */
export async function authenticateKey(session: DesfireSession, keyNo: number, key: AuthKey, mode: AuthMode): Promise<'ev1' | 'ev2'> {
  let fetched: Promise<Buffer> | undefined;
  const source: AuthKey = Buffer.isBuffer(key) ? key : () => (fetched ??= key());
  try {
    if (mode === 'ev1') {
      await session.authenticateAes(keyNo, source);
      return 'ev1';
    }
    try {
      await session.authenticateEv2First(keyNo, source);
      return 'ev2';
    } catch (e) {
      // An EV1 badge does not know AuthenticateEV2First (911C): fall back in auto mode.
      if (mode === 'auto' && isDesfireError(e) && e.code === 'illegal_command') {
        await session.authenticateAes(keyNo, source);
        return 'ev1';
      }
      throw e;
    }
  } finally {
    if (Buffer.isBuffer(key)) key.fill(0);
    else if (fetched) (await fetched.catch(() => undefined))?.fill(0);
  }
}

/**
 * Authenticates with the UID-discovery key and returns the real UID (7 bytes). `pendingKey`:
 * the discovery key already being fetched (the tap starts it while the select is on its way).
 */
export async function discoverUid(session: DesfireSession, keys: BadgeKeySource, aid: Buffer, mode: AuthMode, pendingKey?: Promise<Buffer>): Promise<Buffer> {
  await authenticateKey(session, KEY.uidDiscovery, () => pendingKey ?? keys.diversifiedKey(UID_DISCOVERY_UID, aid, KEY.uidDiscovery), mode);
  const uid = await session.getCardUid();
  if (uid.length !== 7) throw new BadgeError('card_data_invalid', `GetCardUID answered ${uid.length} bytes`);
  return uid;
}

/**
 * Select the application, discover the UID, authenticate `keyNo` with its diversified key.
 * The returned session is authenticated with `keyNo`; the caller closes it. Each key is asked
 * of the KMS while the card is busy with the command before it (the select, the first frame of
 * the authentication), so the diversifications cost no time on the tap's path.
 */
export async function authenticateBadge(channel: CardChannel, keyNo: number, opts: BadgeOptions): Promise<BadgeAuthentication> {
  const aid = opts.aid ?? DEFAULT_BADGE_AID;
  const mode = opts.authMode ?? 'auto';
  const session = new DesfireSession(channel, opts.random ? { random: opts.random } : {});
  let discoveryKey: Promise<Buffer> | undefined;
  try {
    const selected = session.selectApplication(aid);
    selected.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    discoveryKey = opts.keys.diversifiedKey(UID_DISCOVERY_UID, aid, KEY.uidDiscovery);
    discoveryKey.catch(() => undefined); // its failure surfaces in the authentication
    await selected;
    const uid = await discoverUid(session, opts.keys, aid, mode, discoveryKey);
    discoveryKey = undefined; // wiped by the authentication
    if (keyNo === KEY.uidDiscovery) {
      const auth = session.authentication;
      return { session, uid, aid, keyNo, kind: auth?.kind ?? 'ev1' };
    }
    const kind = await authenticateKey(session, keyNo, () => opts.keys.diversifiedKey(uid, aid, keyNo), mode);
    return { session, uid, aid, keyNo, kind };
  } catch (e) {
    // A select that failed leaves the discovery key unused: wiped when it arrives.
    discoveryKey?.then((k) => k.fill(0), () => undefined);
    session.close();
    throw toBadgeError(e);
  }
}

/** Reads and parses the identity file (the session must be authenticated with key 1). */
export async function readIdentity(session: DesfireSession): Promise<BadgeIdentity> {
  return decodeIdentity(await session.readData(FILE.identity, 0, IDENTITY_FILE_SIZE, FILE_MODE));
}

/** Refuses a revoked or unknown enrolment, or one whose register entry names another person or badge. */
export function checkEnrolment(register: RegisterView, identity: BadgeIdentity, uid: Buffer): EnrolmentRecord {
  if (register.isRevoked(identity.enrolmentId)) {
    throw new BadgeError('badge_revoked', `enrolment ${identity.enrolmentId} is revoked`, { reason: 'revoked' });
  }
  const record = register.find(identity.enrolmentId);
  if (!record) throw new BadgeError('badge_not_enrolled', `enrolment ${identity.enrolmentId} is not in the register`, { reason: 'unknown_enrolment' });
  if (record.personId !== identity.personId || record.uid !== uid.toString('hex').toUpperCase()) {
    throw new BadgeError('badge_not_enrolled', `enrolment ${identity.enrolmentId} is registered for another person or badge`, { reason: 'register_mismatch' });
  }
  return record;
}

export interface TapResult {
  readonly event: AuthEvent;
  readonly identity: BadgeIdentity;
  readonly kind: 'ev1' | 'ev2';
}

export interface TapOptions extends BadgeOptions {
  readonly register: EnrolmentRegister;
}

/**
 * The tap: one possession factor from an enrolled, non-revoked badge. 7 APDUs
 * (select, 2 × discovery auth, GetCardUID, 2 × key-1 auth, ReadData).
 */
export async function tapBadge(channel: CardChannel, opts: TapOptions): Promise<TapResult> {
  const auth = await authenticateBadge(channel, KEY.identity, opts);
  try {
    // The register is read while the identity file is on its way (one stat when unchanged);
    // a register that cannot be read fails the tap once the card has answered.
    const reading = readIdentity(auth.session);
    reading.catch(() => undefined);
    let view: RegisterView | undefined;
    let registerError: unknown;
    try {
      view = opts.register.snapshot();
    } catch (e) {
      registerError = e;
    }
    const identity = await reading;
    if (!view) throw registerError;
    const record = checkEnrolment(view, identity, auth.uid);
    return { event: badgeEvent(channel, auth, identity, record, ['possession'], opts), identity, kind: auth.kind };
  } catch (e) {
    throw toBadgeError(e);
  } finally {
    auth.session.close();
  }
}

export function badgeEvent(
  channel: CardChannel,
  auth: BadgeAuthentication,
  identity: BadgeIdentity,
  record: EnrolmentRecord,
  factors: AuthEvent['factors'],
  opts: Pick<BadgeOptions, 'now'>,
): AuthEvent {
  return {
    means: 'desfire',
    factors,
    subject: { id: identity.personId, name: record.name },
    proof: {
      kind: 'desfire-mutual-auth',
      uid: auth.uid.toString('hex').toUpperCase(),
      aid: auth.aid.toString('hex').toUpperCase(),
      keyNo: auth.keyNo,
      keyVersion: record.keyVersion,
      enrolmentId: identity.enrolmentId,
    },
    at: (opts.now ?? (() => new Date()))(),
    reader: channel.readerName,
  };
}
