/**
 * `tessera desfire enroll | rekey | revoke` (docs/desfire-badge.md §6, §8): the badge office's
 * operations, each one an audited event written to the audit trail BEFORE it takes effect (a
 * failed write: nothing happens, `audit_unavailable`, exit 9). Each is authorised by a live CPS
 * login in `--cps-reader` (certificate chain, PIN, signature: two factors, at most 5 minutes
 * old): the badge's holder, or an operator listed in `desfire.operators` of the configuration.
 * The audit record names that person (`person`), the badge and whose it is.
 */
import {
  enrolBlankBadge,
  DEFAULT_PIN_TRIES,
  JsonEnrolmentRegister,
  rekeyBadge,
  revokeBadge,
  REVOCATION_REASONS,
  type RevocationReason,
} from '../../../means/desfire/index.js';
import { printJson, UsageError, type CliContext } from '../cli-output.js';
import { withMonitor } from '../with-monitor.js';
import { aidArg, intArg, modeArg, need, onBadge, withKms, type DesfireValues } from './desfire-args.js';
import { cpsProof, withBadgeOffice } from './desfire-office.js';
import { readPinLines } from './fido-stdin.js';

function reasonArg(v: string | undefined): RevocationReason {
  if (v === undefined) return 'other';
  if ((REVOCATION_REASONS as readonly string[]).includes(v)) return v as RevocationReason;
  throw new UsageError(`--reason: expected ${REVOCATION_REASONS.join(', ')}`);
}

export async function enroll(ctx: CliContext, v: DesfireValues): Promise<number> {
  const reader = need(v.reader, '--reader');
  const cpsReader = need(v['cps-reader'], '--cps-reader');
  const person = { id: need(v.person, '--person'), name: need(v.name, '--name') };
  const registerPath = need(v.register, '--register');
  const kmsPath = need(v.kms, '--kms');
  const aid = aidArg(v.aid);
  const maxTries = intArg(v['max-tries'], '--max-tries', 1, 15, DEFAULT_PIN_TRIES);
  if (!v['pins-stdin']) throw new UsageError('give the CPS PIN and the new badge PIN on stdin with --pins-stdin (two lines)');
  const record = await withBadgeOffice(v, async (office) => {
    const [cpsPin, badgePin] = await readPinLines(process.stdin, 2);
    try {
      return await withKms(kmsPath, (kms) =>
        withMonitor(async (m) => {
          const proof = await cpsProof(m, cpsReader, office.trust, cpsPin as Buffer);
          return onBadge(m, reader, (ch) =>
            enrolBlankBadge(ch, {
              keys: kms, aid, authMode: modeArg(v['auth-mode']), proof, operators: office.operators, person, reader,
              pin: Buffer.from(badgePin as Buffer), maxTries, register: JsonEnrolmentRegister.create(registerPath), audit: office.audit,
            }),
          );
        }),
      );
    } finally {
      cpsPin?.fill(0);
      badgePin?.fill(0);
    }
  });
  if (ctx.json) printJson(ctx, { ok: true, ...record });
  else ctx.stdout.write(ctx.lang === 'fr'
    ? `Badge enrôlé pour ${record.name} (${record.personId}) : enrôlement ${record.enrolmentId}, UID ${record.uid}, par ${record.enrolledBy}\n`
    : `Badge enrolled for ${record.name} (${record.personId}): enrolment ${record.enrolmentId}, UID ${record.uid}, by ${record.enrolledBy}\n`);
  return 0;
}

/** The CPS PIN (one line on stdin) of whoever re-keys or revokes (the caller wipes it). */
async function operatorPin(): Promise<Buffer> {
  const [pin] = await readPinLines(process.stdin, 1);
  return pin as Buffer;
}

export async function rekey(ctx: CliContext, v: DesfireValues): Promise<number> {
  const reader = need(v.reader, '--reader');
  const cpsReader = need(v['cps-reader'], '--cps-reader');
  const register = new JsonEnrolmentRegister(need(v.register, '--register'));
  const keyVersion = intArg(v['key-version'], '--key-version', 1, 255);
  const currentPath = need(v.kms, '--kms');
  const nextPath = need(v['new-kms'], '--new-kms');
  if (!v['pin-stdin']) throw new UsageError('give the CPS PIN of whoever re-keys on stdin with --pin-stdin');
  const out = await withBadgeOffice(v, async (office) => {
    const pin = await operatorPin();
    try {
      return await withKms(currentPath, (current) =>
        withKms(nextPath, (next) =>
          withMonitor(async (m) => {
            const proof = await cpsProof(m, cpsReader, office.trust, pin);
            return onBadge(m, reader, (ch) =>
              rekeyBadge(ch, {
                currentKeys: current, newKeys: next, newKeyVersion: keyVersion, aid: aidArg(v.aid), authMode: modeArg(v['auth-mode']), register,
                proof, operators: office.operators, audit: office.audit, reader,
              }),
            );
          }),
        ),
      );
    } finally {
      pin.fill(0);
    }
  });
  if (ctx.json) printJson(ctx, { ok: true, ...out });
  else ctx.stdout.write(ctx.lang === 'fr'
    ? `${out.enrolmentId} : UID ${out.uid}, version de clé ${out.keyVersion}\n`
    : `${out.enrolmentId}: UID ${out.uid}, key version ${out.keyVersion}\n`);
  return 0;
}

export async function revoke(ctx: CliContext, v: DesfireValues): Promise<number> {
  const register = new JsonEnrolmentRegister(need(v.register, '--register'));
  const enrolmentId = need(v.enrolment, '--enrolment').toUpperCase();
  if (!/^[0-9A-F]{32}$/.test(enrolmentId)) throw new UsageError('--enrolment: expected 32 hex digits');
  const cpsReader = need(v['cps-reader'], '--cps-reader');
  const reason = reasonArg(v.reason);
  if (!v['pin-stdin']) throw new UsageError('give the CPS PIN of whoever revokes on stdin with --pin-stdin');
  const { out, by, at } = await withBadgeOffice(v, async (office) => {
    const pin = await operatorPin();
    try {
      const proof = await withMonitor((m) => cpsProof(m, cpsReader, office.trust, pin));
      // --by (kept for scripts) must name the person whose CPS authorises the revocation.
      if (v.by !== undefined && v.by !== proof.subject.id) throw new UsageError(`--by ${v.by}: the revocation is made by the CPS holder ${proof.subject.id}`);
      const at = new Date();
      const r = await revokeBadge({ enrolmentId, proof, operators: office.operators, reason, register, audit: office.audit, now: () => at });
      return { out: r, by: proof.subject.id, at };
    } finally {
      pin.fill(0);
    }
  });
  if (ctx.json) {
    printJson(ctx, { ok: true, enrolmentId, revokedAt: at.toISOString(), revokedBy: by, reason, known: out.personId !== undefined, alreadyRevoked: out.alreadyRevoked });
  } else {
    ctx.stdout.write(ctx.lang === 'fr'
      ? `Enrôlement ${enrolmentId} révoqué${out.alreadyRevoked ? ' (déjà révoqué)' : ''}.\n`
      : `Enrolment ${enrolmentId} revoked${out.alreadyRevoked ? ' (already revoked)' : ''}.\n`);
  }
  return 0;
}
