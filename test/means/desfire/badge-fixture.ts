/**
 * Shared fixture of the badge tests: an establishment KMS (file backend, fresh random masters),
 * a temporary enrolment register, a two-factor proof event, and blank or enrolled simulated
 * badges (the enrolment goes through the real `enrolBlankBadge`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileKms, parseKmsConfig, type Kms } from '../../../src/main/integrations/kms/index.js';
import type { AuthEvent } from '../../../src/main/means/auth-event.js';
import { enrolBlankBadge, JsonEnrolmentRegister, type EnrolmentRecord } from '../../../src/main/means/desfire/index.js';
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import { DesfireCard, type DesfireCardOptions } from '../../testbed/cards/desfire-card.js';

export const AID = Buffer.from('F51230', 'hex');
export const SYSID = Buffer.from('5445535345524131', 'hex'); // "TESSERA1"

export interface Masters {
  readonly keys: Buffer[];
}

export function newMasters(): Masters {
  return { keys: [0, 1, 2, 3].map(() => randomBytes(16)) };
}

/** A fresh file KMS over `masters` (the KMS wipes its copies on close). */
export function kmsFor(m: Masters, aid = AID): Kms {
  const cfg = parseKmsConfig({
    backend: 'file',
    masterKeys: m.keys.map((k, keyNo) => ({ aid: aid.toString('hex'), keyNo, key: k.toString('hex'), systemIdentifier: SYSID.toString('hex') })),
  });
  if (cfg.backend !== 'file') throw new Error('unreachable');
  return new FileKms(cfg.masterKeys);
}

export function tempRegister(): { register: JsonEnrolmentRegister; path: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-register-'));
  const path = join(dir, 'register.json');
  return { register: JsonEnrolmentRegister.create(path), path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export const ALICE = { id: 'rpps:10001234567', name: 'Alice Durand' };
export const BOB = { id: 'rpps:10009999999', name: 'Bob Petit' };
export const OPERATOR = { id: 'rpps:10005555555', name: 'Opératrice Badges' };

/** A CPS two-factor event of `subject` at `at` (what the session layer receives from cpsLogin). */
export function cpsTwoFactor(subject: { id: string; name: string }, at = new Date()): AuthEvent {
  return {
    means: 'cps',
    factors: ['possession', 'knowledge'],
    subject,
    proof: { kind: 'card-signature', challenge: 'aa'.repeat(32), certificateSha256: 'bb'.repeat(32) },
    at,
    reader: 'Lecteur CPS',
  };
}

export function blankCard(opts: DesfireCardOptions = {}): DesfireCard {
  return new DesfireCard(opts);
}

/** Enrols `card` for `person` through `channel` (the person's own 2FA as proof). */
export async function enrol(
  channel: CardChannel,
  kms: Kms,
  register: JsonEnrolmentRegister,
  person = ALICE,
  pin = '4826',
): Promise<EnrolmentRecord> {
  return enrolBlankBadge(channel, { keys: kms, aid: AID, proof: cpsTwoFactor(person), person, pin: Buffer.from(pin), register });
}
