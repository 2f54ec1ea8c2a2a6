/**
 * Badge + PIN = two factors (docs/desfire-badge.md §3). The failure counter is a value file on
 * the badge, decremented and committed BEFORE the PIN is checked, and credited back to its
 * maximum only after a correct PIN: the limit survives agent restarts and workstation changes.
 * The PIN lives in the caller's Buffer, which is wiped here whatever happens.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { CardChannel } from '../../transports/card-channel.js';
import type { AuthEvent } from '../auth-event.js';
import { authenticateBadge, authenticateKey, badgeEvent, checkEnrolment, readIdentity, type TapOptions } from './badge-auth.js';
import { BadgeError, toBadgeError } from './badge-error.js';
import { decodePinFile, FILE, FILE_MODE, KEY, PIN_FILE_SIZE, PIN_ITERATIONS, type PinVerifierRecord } from './badge-profile.js';

const pbkdf2Async = promisify(pbkdf2);
export const PIN_MIN_DIGITS = 4;
export const PIN_MAX_DIGITS = 8;

/** Checks a PIN is 4 to 8 ASCII digits without turning it into a string. */
export function checkPinFormat(pin: Buffer): void {
  if (pin.length < PIN_MIN_DIGITS || pin.length > PIN_MAX_DIGITS || !pin.every((b) => b >= 0x30 && b <= 0x39)) {
    throw new BadgeError('badge_pin_format', `the badge PIN is ${PIN_MIN_DIGITS} to ${PIN_MAX_DIGITS} digits`);
  }
}

/** PBKDF2-HMAC-SHA256(PIN, salt ‖ enrolmentId, iterations) — the verifier stored on the badge. */
export async function pinVerifier(pin: Buffer, salt: Buffer, enrolmentId: string, iterations: number): Promise<Buffer> {
  const fullSalt = Buffer.concat([salt, Buffer.from(enrolmentId, 'hex')]);
  try {
    return await pbkdf2Async(pin, fullSalt, iterations, 32, 'sha256');
  } finally {
    fullSalt.fill(0);
  }
}

/** A fresh verifier record for enrolment. The caller wipes `pin`. */
export async function newPinRecord(pin: Buffer, enrolmentId: string, maxTries: number): Promise<PinVerifierRecord> {
  checkPinFormat(pin);
  const salt = randomBytes(16);
  return { maxTries, iterations: PIN_ITERATIONS, salt, verifier: await pinVerifier(pin, salt, enrolmentId, PIN_ITERATIONS) };
}

/**
 * Badge + PIN. Sequence: tap authentication and identity (key 1), register check, key 2,
 * GetValue (0 → blocked), Debit 1 + Commit, ReadData verifier, compare; correct → Credit to max
 * + Commit. Throws `wrong_pin` (with `retriesLeft`) or `pin_blocked`.
 */
export async function badgePinLogin(channel: CardChannel, pin: Buffer, opts: TapOptions): Promise<AuthEvent> {
  try {
    checkPinFormat(pin);
    const auth = await authenticateBadge(channel, KEY.identity, opts);
    const { session } = auth;
    try {
      const identity = await readIdentity(session);
      const record = checkEnrolment(opts.register, identity, auth.uid);
      const k2 = await opts.keys.diversifiedKey(auth.uid, auth.aid, KEY.pin);
      await authenticateKey(session, KEY.pin, k2, auth.kind);
      const left = await session.getValue(FILE.pinCounter, FILE_MODE);
      if (left <= 0) throw new BadgeError('pin_blocked', 'badge PIN blocked (counter at 0)', { retriesLeft: 0 });
      // Spend the try first, so that pulling the badge or killing the agent gives no free guess.
      await session.debit(FILE.pinCounter, 1, FILE_MODE);
      await session.commitTransaction();
      const pinFile = decodePinFile(await session.readData(FILE.pinVerifier, 0, PIN_FILE_SIZE, FILE_MODE));
      const computed = await pinVerifier(pin, pinFile.salt, identity.enrolmentId, pinFile.iterations);
      const ok = timingSafeEqual(computed, pinFile.verifier);
      computed.fill(0);
      pinFile.verifier.fill(0);
      if (!ok) {
        const retriesLeft = left - 1;
        if (retriesLeft <= 0) throw new BadgeError('pin_blocked', 'wrong badge PIN, no try left', { retriesLeft: 0 });
        throw new BadgeError('wrong_pin', `wrong badge PIN, ${retriesLeft} tries left`, { retriesLeft });
      }
      const refill = pinFile.maxTries - (left - 1);
      if (refill > 0) {
        await session.credit(FILE.pinCounter, refill, FILE_MODE);
        await session.commitTransaction();
      }
      return badgeEvent(channel, auth, identity, record, ['possession', 'knowledge'], opts);
    } finally {
      session.close();
    }
  } catch (e) {
    throw toBadgeError(e);
  } finally {
    pin.fill(0);
  }
}
