/**
 * `tessera desfire ...`: establishment DESFire badges (docs/desfire-badge.md §8; stable names,
 * JSON and exit codes).
 *
 *   desfire auth          --reader <name> --kms <file> --aid <hex> --key-no <n> [--json]
 *   desfire read-identity --reader <name> --kms <file> [--aid <hex>] [--register <file>] [--json]
 *   desfire enroll        --reader <name> --kms <file> --register <file> --person <id> --name <text>
 *                         --cps-reader <name> [--trust <pem>]... [--aid <hex>] [--max-tries <n>] --pins-stdin [--json]
 *   desfire pin-login     --reader <name> --kms <file> --register <file> [--aid <hex>] --pin-stdin [--json]
 *   desfire rekey         --reader <name> --kms <file> --new-kms <file> --key-version <n> --register <file>
 *                         --cps-reader <name> [--trust <pem>]... [--aid <hex>] --pin-stdin [--json]
 *   desfire revoke        --register <file> --enrolment <id> --cps-reader <name> [--trust <pem>]...
 *                         [--reason <code>] [--by <subject id>] --pin-stdin [--json]
 *   (enroll, rekey, revoke: [--config <file>] [--audit-dir <folder>]; see desfire-enrolment.ts)
 *
 * Exit codes: 0 ok; 2 wrong PIN; 3 PIN blocked; 6 no card / not a DESFire badge; 7 authentication
 * failed (`auth_failed`) or bad MAC (`integrity`); 8 badge revoked or not enrolled; 9 no audit trail
 * for an enrolment, re-key or revocation (`audit_unavailable`); 1 anything else.
 */
import {
  authenticateBadge,
  badgePinLogin,
  checkEnrolment,
  JsonEnrolmentRegister,
  readIdentity,
  toBadgeError,
} from '../../../means/desfire/index.js';
import { printJson, UsageError, type CliContext } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';
import { subcommandGroup } from '../subcommand-group.js';
import { aidArg, intArg, modeArg, need, parseDesfireArgs, withBadge, withKms, type DesfireValues } from './desfire-args.js';
import { enroll, rekey, revoke } from './desfire-enrolment.js';
import { readPinLines } from './fido-stdin.js';

export const DESFIRE_EXIT_CODES: Readonly<Record<string, number>> = {
  wrong_pin: 2,
  pin_blocked: 3,
  no_card: 6,
  unsupported_card: 6,
  auth_failed: 7,
  integrity: 7,
  badge_revoked: 8,
  badge_not_enrolled: 8,
  audit_unavailable: 9,
};

const USAGE = `  tessera desfire auth --reader <name> --kms <file> --aid <hex> --key-no <n> [--json]
  tessera desfire read-identity --reader <name> --kms <file> [--aid <hex>] [--register <file>] [--json]
  tessera desfire enroll --reader <name> --kms <file> --register <file> --person <id> --name <text>
        --cps-reader <name> [--trust <pem>]... [--max-tries <n>] --pins-stdin [--json]   (stdin: CPS PIN, then badge PIN)
  tessera desfire pin-login --reader <name> --kms <file> --register <file> --pin-stdin [--json]
  tessera desfire rekey --reader <name> --kms <file> --new-kms <file> --key-version <n> --register <file>
        --cps-reader <name> [--trust <pem>]... --pin-stdin [--json]   (stdin: CPS PIN)
  tessera desfire revoke --register <file> --enrolment <id> --cps-reader <name> [--trust <pem>]...
        [--reason lost|stolen|damaged|left|replaced|other] [--by <subject id>] --pin-stdin [--json]   (stdin: CPS PIN)
  (--aid <hex> defaults to F51230; --auth-mode auto|ev1|ev2 defaults to auto; enroll, rekey and revoke
   are recorded in the audit trail first: audit.dir of the configuration (--config <file>) or
   --audit-dir <folder>; no audit trail → exit 9 audit_unavailable, nothing done)`;

async function auth(ctx: CliContext, v: DesfireValues): Promise<number> {
  const reader = need(v.reader, '--reader');
  const aid = aidArg(need(v.aid, '--aid'));
  const keyNo = intArg(v['key-no'], '--key-no', 0, 13);
  const out = await withKms(need(v.kms, '--kms'), (kms) =>
    withBadge(reader, async (ch) => {
      const a = await authenticateBadge(ch, keyNo, { keys: kms, aid, authMode: modeArg(v['auth-mode']) });
      try {
        const keyVersion = await a.session.getKeyVersion(keyNo);
        return { uid: a.uid.toString('hex').toUpperCase(), kind: a.kind, keyVersion };
      } catch (e) {
        throw toBadgeError(e);
      } finally {
        a.session.close();
      }
    }),
  );
  const result = { ok: true, means: 'desfire', reader, uid: out.uid, aid: aid.toString('hex').toUpperCase(), keyNo, keyVersion: out.keyVersion, authentication: out.kind, factors: ['possession'] };
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(ctx.lang === 'fr'
    ? `Badge authentifié : UID ${out.uid}, application ${result.aid}, clé ${keyNo} (version ${out.keyVersion}, ${out.kind.toUpperCase()})\n`
    : `Badge authenticated: UID ${out.uid}, application ${result.aid}, key ${keyNo} (version ${out.keyVersion}, ${out.kind.toUpperCase()})\n`);
  return 0;
}

async function identity(ctx: CliContext, v: DesfireValues): Promise<number> {
  const reader = need(v.reader, '--reader');
  const aid = aidArg(v.aid);
  const register = v.register ? new JsonEnrolmentRegister(v.register) : undefined;
  const out = await withKms(need(v.kms, '--kms'), (kms) =>
    withBadge(reader, async (ch) => {
      const a = await authenticateBadge(ch, 1, { keys: kms, aid, authMode: modeArg(v['auth-mode']) });
      try {
        const id = await readIdentity(a.session);
        const record = register ? checkEnrolment(register, id, a.uid) : undefined;
        return { uid: a.uid.toString('hex').toUpperCase(), id, record };
      } catch (e) {
        throw toBadgeError(e);
      } finally {
        a.session.close();
      }
    }),
  );
  const result = {
    ok: true,
    means: 'desfire',
    reader,
    uid: out.uid,
    aid: aid.toString('hex').toUpperCase(),
    subject: { id: out.id.personId, ...(out.record ? { name: out.record.name } : {}) },
    enrolmentId: out.id.enrolmentId,
    issuedAt: out.id.issuedAt.toISOString(),
    enrolment: out.record ? 'valid' : 'unchecked',
    ...(out.record ? { keyVersion: out.record.keyVersion } : {}),
    factors: ['possession'],
  };
  if (ctx.json) printJson(ctx, result);
  else ctx.stdout.write(`${out.id.personId}${out.record ? ` (${out.record.name})` : ''} — ${ctx.lang === 'fr' ? 'enrôlement' : 'enrolment'} ${out.id.enrolmentId}, UID ${out.uid}\n`);
  return 0;
}

async function pinLogin(ctx: CliContext, v: DesfireValues): Promise<number> {
  const reader = need(v.reader, '--reader');
  const register = new JsonEnrolmentRegister(need(v.register, '--register'));
  if (!v['pin-stdin']) throw new UsageError('give the badge PIN on stdin with --pin-stdin');
  const [pin] = await readPinLines(process.stdin, 1);
  try {
    const event = await withKms(need(v.kms, '--kms'), (kms) =>
      withBadge(reader, (ch) => badgePinLogin(ch, Buffer.from(pin as Buffer), { keys: kms, aid: aidArg(v.aid), authMode: modeArg(v['auth-mode']), register })),
    );
    const proof = event.proof.kind === 'desfire-mutual-auth' ? event.proof : undefined;
    if (ctx.json) printJson(ctx, { ok: true, means: event.means, factors: event.factors, subject: event.subject, uid: proof?.uid, enrolmentId: proof?.enrolmentId, reader });
    else ctx.stdout.write(ctx.lang === 'fr' ? `Authentifié : ${event.subject.name} — badge + code PIN\n` : `Authenticated: ${event.subject.name} — badge + PIN\n`);
    return 0;
  } finally {
    pin?.fill(0);
  }
}

export const desfireCommandGroup: CommandGroup = subcommandGroup<DesfireValues>({
  name: 'desfire',
  usage: USAGE,
  parse: parseDesfireArgs,
  subcommands: { auth, 'read-identity': identity, enroll, 'pin-login': pinLogin, rekey, revoke },
  translate: toBadgeError,
  params: (values) => (values.reader ? { reader: values.reader } : {}),
  exitCodes: DESFIRE_EXIT_CODES,
});
