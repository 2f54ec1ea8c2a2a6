/**
 * Enrolment of a blank badge and re-keying (docs/desfire-badge.md §6). Enrolment runs only with
 * a fresh two-factor `AuthEvent` of the person being enrolled or of a listed operator; it
 * creates the application, sets the four keys to their diversified values, writes the identity
 * and PIN verifier, credits the PIN counter, reads everything back through the tap path, then
 * records the enrolment (the audited event).
 */
import { randomBytes } from 'node:crypto';
import type { CardChannel } from '../../transports/card-channel.js';
import { DesfireSession } from '../../protocols/desfire/desfire-session.js';
import { isDesfireError } from '../../protocols/desfire/desfire-error.js';
import { PICC_AID } from '../../protocols/desfire/constants.js';
import type { AuthEvent } from '../auth-event.js';
import { authenticateBadge, authenticateKey, discoverUid, readIdentity, type BadgeKeySource, type BadgeOptions } from './badge-auth.js';
import { BadgeError, toBadgeError } from './badge-error.js';
import { newPinRecord } from './badge-pin.js';
import {
  APP_KEY_COUNT,
  APP_KEY_SETTINGS,
  DEFAULT_BADGE_AID,
  DEFAULT_PIN_TRIES,
  encodeIdentity,
  encodePinFile,
  FILE,
  FILE_MODE,
  IDENTITY_ACCESS,
  IDENTITY_FILE_SIZE,
  KEY,
  PIN_COUNTER_ACCESS,
  PIN_FILE_ACCESS,
  PIN_FILE_SIZE,
  UID_DISCOVERY_UID,
} from './badge-profile.js';
import type { EnrolmentRecord, EnrolmentRegister } from './enrolment-register.js';
import { operatorOf, recordBeforeEffect, type EnrolmentAudit, type RevocationReason } from './enrolment-audit.js';

/** How old the two-factor proof of an enrolment may be. */
export const ENROLMENT_PROOF_MAX_AGE_MS = 5 * 60_000;

export interface EnrolmentOptions extends BadgeOptions {
  /** The two-factor event that authorises this enrolment. */
  readonly proof: AuthEvent;
  /** Subject ids allowed to enrol someone else (badge office operators). */
  readonly operators?: readonly string[];
  readonly person: { readonly id: string; readonly name: string };
  /** The badge PIN chosen by the person (wiped here). */
  readonly pin: Buffer;
  readonly maxTries?: number;
  readonly register: EnrolmentRegister;
  /** PICC master key of the blank badge (default: the factory AES zero key). Not wiped. */
  readonly piccKey?: Buffer;
  /** Current (factory) value of the application keys right after CreateApplication: AES zero. */
  readonly keyVersion?: number;
  /** Records the enrolment (durably) before the register binds the badge; a failure leaves it unbound. */
  readonly audit?: EnrolmentAudit;
  /** Reader the badge is on (for the audit record). */
  readonly reader?: string;
  /** Called once the badge is written and read back, just before the enrolment is audited and registered. */
  readonly onRegistering?: () => void;
}

/** Checks the enrolment is authorised: a fresh 2FA of the person or of an operator. */
export function checkEnrolmentProof(proof: AuthEvent, personId: string, operators: readonly string[], now: Date): void {
  const f = new Set(proof.factors);
  if (!(f.has('possession') && (f.has('knowledge') || f.has('inherence')))) {
    throw new BadgeError('enrolment_refused', 'enrolment needs a two-factor authentication', { reason: 'not_two_factor' });
  }
  const age = now.getTime() - proof.at.getTime();
  if (!(age >= -60_000 && age <= ENROLMENT_PROOF_MAX_AGE_MS)) {
    throw new BadgeError('enrolment_refused', 'the two-factor authentication is older than 5 minutes', { reason: 'proof_expired' });
  }
  if (proof.subject.id !== personId && !operators.includes(proof.subject.id)) {
    throw new BadgeError('enrolment_refused', `${proof.subject.id} is neither the person enrolled nor an operator`, { reason: 'not_operator' });
  }
}

async function withKeys<T>(keys: BadgeKeySource, uid: Buffer, aid: Buffer, fn: (k: Buffer[]) => Promise<T>): Promise<T> {
  const k: Buffer[] = [];
  try {
    for (let n = 0; n < APP_KEY_COUNT; n++) k.push(await keys.diversifiedKey(n === KEY.uidDiscovery ? UID_DISCOVERY_UID : uid, aid, n));
    return await fn(k);
  } finally {
    for (const b of k) b.fill(0);
  }
}

/** Enrols a blank badge. Returns the register record. */
export async function enrolBlankBadge(channel: CardChannel, opts: EnrolmentOptions): Promise<EnrolmentRecord> {
  const now = (opts.now ?? (() => new Date()))();
  const aid = opts.aid ?? DEFAULT_BADGE_AID;
  const mode = opts.authMode ?? 'auto';
  const maxTries = opts.maxTries ?? DEFAULT_PIN_TRIES;
  const keyVersion = opts.keyVersion ?? 1;
  const enrolmentId = randomBytes(16).toString('hex').toUpperCase();
  const session = new DesfireSession(channel, opts.random ? { random: opts.random } : {});
  let pinRecord: Awaited<ReturnType<typeof newPinRecord>> | undefined;
  try {
    checkEnrolmentProof(opts.proof, opts.person.id, opts.operators ?? [], now);
    pinRecord = await newPinRecord(opts.pin, enrolmentId, maxTries);
    const identity = encodeIdentity({ personId: opts.person.id, enrolmentId, issuedAt: now });

    // PICC level: factory key, create the application, read the real UID.
    await session.selectApplication(PICC_AID);
    await authenticateKey(session, 0, Buffer.from(opts.piccKey ?? Buffer.alloc(16)), mode);
    const uid = await session.getCardUid();
    try {
      await session.createApplication(aid, { keySettings: APP_KEY_SETTINGS, numberOfKeys: APP_KEY_COUNT });
    } catch (e) {
      if (isDesfireError(e) && e.code === 'duplicate_error') {
        throw new BadgeError('badge_not_blank', 'the badge already holds the establishment application (not blank)', { reason: 'not_blank' });
      }
      throw e;
    }

    await session.selectApplication(aid);
    await withKeys(opts.keys, uid, aid, async (k) => {
      const zero = Buffer.alloc(16);
      await authenticateKey(session, KEY.appMaster, Buffer.from(zero), mode);
      for (const n of [KEY.uidDiscovery, KEY.pin, KEY.identity]) {
        await session.changeKey(n, k[n] as Buffer, keyVersion, zero);
      }
      await session.changeKey(KEY.appMaster, k[KEY.appMaster] as Buffer, keyVersion);
      await authenticateKey(session, KEY.appMaster, Buffer.from(k[KEY.appMaster] as Buffer), mode);
    });
    await session.createStdDataFile(FILE.identity, { commMode: FILE_MODE, access: IDENTITY_ACCESS, size: IDENTITY_FILE_SIZE });
    await session.createStdDataFile(FILE.pinVerifier, { commMode: FILE_MODE, access: PIN_FILE_ACCESS, size: PIN_FILE_SIZE });
    await session.createValueFile(FILE.pinCounter, { commMode: FILE_MODE, access: PIN_COUNTER_ACCESS, lowerLimit: 0, upperLimit: maxTries, value: maxTries });
    await session.writeData(FILE.identity, 0, identity, FILE_MODE);
    const pinFile = encodePinFile(pinRecord);
    try {
      await session.writeData(FILE.pinVerifier, 0, pinFile, FILE_MODE);
    } finally {
      pinFile.fill(0);
    }
    session.close();

    // Read back through the tap path before recording anything.
    const check = await authenticateBadge(channel, KEY.identity, { ...opts, aid, authMode: mode });
    try {
      const read = await readIdentity(check.session);
      if (!check.uid.equals(uid) || read.enrolmentId !== enrolmentId || read.personId !== opts.person.id) {
        throw new BadgeError('card_data_invalid', 'enrolment read-back does not match what was written');
      }
    } finally {
      check.session.close();
    }
    const record: EnrolmentRecord = {
      enrolmentId,
      personId: opts.person.id,
      name: opts.person.name,
      uid: uid.toString('hex').toUpperCase(),
      aid: aid.toString('hex').toUpperCase(),
      keyVersion,
      enrolledAt: now.toISOString(),
      enrolledBy: opts.proof.subject.id,
      proofMeans: opts.proof.means,
    };
    opts.onRegistering?.();
    await recordBeforeEffect(opts.audit, {
      kind: 'enrolment', ...operatorOf(opts.proof), enrolmentId, subject: opts.person.id, uid: record.uid, keyVersion, at: now,
      ...(opts.reader !== undefined ? { reader: opts.reader } : {}),
    });
    opts.register.record(record);
    return record;
  } catch (e) {
    throw toBadgeError(e);
  } finally {
    session.close();
    opts.pin.fill(0);
    pinRecord?.verifier.fill(0);
  }
}

export interface RekeyOptions extends Omit<BadgeOptions, 'keys'> {
  /** KMS holding the masters the badge is keyed with now. */
  readonly currentKeys: BadgeKeySource;
  /** KMS holding the new masters. */
  readonly newKeys: BadgeKeySource;
  readonly newKeyVersion: number;
  readonly register: EnrolmentRegister;
  /**
   * The two-factor event of whoever re-keys: the badge's holder or a listed operator, at most
   * 5 minutes old. Required with `audit` (the record names who did it).
   */
  readonly proof?: AuthEvent;
  readonly operators?: readonly string[];
  /** Records the re-key (durably) after the badge is identified and before its first key changes. */
  readonly audit?: EnrolmentAudit;
  readonly reader?: string;
}

/** Key version rotation: every application key moves to the new masters; files are untouched. */
export async function rekeyBadge(channel: CardChannel, opts: RekeyOptions): Promise<{ uid: string; enrolmentId: string; keyVersion: number }> {
  const aid = opts.aid ?? DEFAULT_BADGE_AID;
  const mode = opts.authMode ?? 'auto';
  const session = new DesfireSession(channel, opts.random ? { random: opts.random } : {});
  try {
    await session.selectApplication(aid);
    const uid = await discoverUid(session, opts.currentKeys, aid, mode);
    const k1 = await opts.currentKeys.diversifiedKey(uid, aid, KEY.identity);
    await authenticateKey(session, KEY.identity, k1, mode);
    const identity = await readIdentity(session);
    if (opts.register.isRevoked(identity.enrolmentId)) throw new BadgeError('badge_revoked', 'a revoked badge is not re-keyed');
    const enrolled = opts.register.find(identity.enrolmentId);
    if (!enrolled) throw new BadgeError('badge_not_enrolled', 'badge not in the register');
    const now = (opts.now ?? (() => new Date()))();
    if (opts.audit && !opts.proof) throw new BadgeError('enrolment_refused', 'an audited re-key needs the two-factor authentication of who does it', { reason: 'not_two_factor' });
    if (opts.proof) checkEnrolmentProof(opts.proof, enrolled.personId, opts.operators ?? [], now);
    if (opts.proof) {
      await recordBeforeEffect(opts.audit, {
        kind: 'rekey', ...operatorOf(opts.proof), enrolmentId: identity.enrolmentId, subject: enrolled.personId, uid: uid.toString('hex').toUpperCase(), keyVersion: opts.newKeyVersion, at: now,
        ...(opts.reader !== undefined ? { reader: opts.reader } : {}),
      });
    }
    await withKeys(opts.currentKeys, uid, aid, (oldK) =>
      withKeys(opts.newKeys, uid, aid, async (newK) => {
        await authenticateKey(session, KEY.appMaster, Buffer.from(oldK[KEY.appMaster] as Buffer), mode);
        for (const n of [KEY.uidDiscovery, KEY.pin, KEY.identity]) {
          await session.changeKey(n, newK[n] as Buffer, opts.newKeyVersion, oldK[n] as Buffer);
        }
        await session.changeKey(KEY.appMaster, newK[KEY.appMaster] as Buffer, opts.newKeyVersion);
      }),
    );
    opts.register.setKeyVersion(identity.enrolmentId, opts.newKeyVersion);
    return { uid: uid.toString('hex').toUpperCase(), enrolmentId: identity.enrolmentId, keyVersion: opts.newKeyVersion };
  } catch (e) {
    throw toBadgeError(e);
  } finally {
    session.close();
  }
}

export interface RevokeOptions {
  readonly enrolmentId: string;
  /** The two-factor event of whoever revokes: the badge's holder (a lost badge) or a listed operator, at most 5 minutes old. */
  readonly proof: AuthEvent;
  readonly operators?: readonly string[];
  readonly reason: RevocationReason;
  readonly register: EnrolmentRegister;
  /** Records the revocation (durably) before it is written to the register. */
  readonly audit?: EnrolmentAudit;
  readonly now?: () => Date;
}

/**
 * Revokes a badge's enrolment: from then on it is refused even if its keys still authenticate.
 * An enrolment id missing from the register can still be revoked, by an operator only (its
 * holder is unknown). Revoking twice is harmless (the first record stays).
 */
export async function revokeBadge(opts: RevokeOptions): Promise<{ enrolmentId: string; personId?: string; alreadyRevoked: boolean }> {
  const enrolmentId = opts.enrolmentId.toUpperCase();
  if (!/^[0-9A-F]{32}$/.test(enrolmentId)) throw new BadgeError('register_invalid', 'enrolment id must be 32 hex digits');
  const now = (opts.now ?? (() => new Date()))();
  const record = opts.register.find(enrolmentId);
  // Unknown holder: the proof's subject never matches, so only an operator passes.
  checkEnrolmentProof(opts.proof, record?.personId ?? '', opts.operators ?? [], now);
  if (opts.register.isRevoked(enrolmentId)) return { enrolmentId, ...(record ? { personId: record.personId } : {}), alreadyRevoked: true };
  await recordBeforeEffect(opts.audit, {
    kind: 'revocation', ...operatorOf(opts.proof), enrolmentId, revocationReason: opts.reason, at: now,
    ...(record ? { subject: record.personId, uid: record.uid } : {}),
  });
  opts.register.revoke({ enrolmentId, revokedAt: now.toISOString(), revokedBy: opts.proof.subject.id, reason: opts.reason });
  return { enrolmentId, ...(record ? { personId: record.personId } : {}), alreadyRevoked: false };
}
