/**
 * `tessera desfire ...`: establishment DESFire badges (docs/desfire-badge.md §8; stable names,
 * JSON and exit codes).
 *
 *   desfire auth          --reader <name> --kms <file> --aid <hex> --key-no <n> [--json]
 *   desfire read-identity --reader <name> --kms <file> [--aid <hex>] [--register <file>] [--json]
 *   desfire enroll        --reader <name> --kms <file> --register <file> --person <id> --name <text>
 *                         --cps-reader <name> [--trust <pem>]... [--config <file>] [--operator <id>]...
 *                         [--aid <hex>] [--max-tries <n>] --pins-stdin [--json]   (stdin: CPS PIN, then badge PIN)
 *   desfire pin-login     --reader <name> --kms <file> --register <file> [--aid <hex>] --pin-stdin [--json]
 *   desfire rekey         --reader <name> --kms <file> --new-kms <file> --key-version <n> --register <file> [--aid <hex>] [--json]
 *   desfire revoke        --register <file> --enrolment <id> --by <subject id> [--reason <text>] [--json]
 *
 * Exit codes: 0 ok; 2 wrong PIN; 3 PIN blocked; 6 no card / not a DESFire badge; 7 authentication
 * failed (`auth_failed`) or bad MAC (`integrity`); 8 badge revoked or not enrolled; 1 anything else.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { recognizeCard } from '../../../means/card-recognition.js';
import { cpsLogin } from '../../../means/cps/cps-login.js';
import { CpsError } from '../../../means/cps/cps-error.js';
import { TrustStore, TrustStoreError } from '../../../means/cps/trust-store.js';
import {
  authenticateBadge,
  badgePinLogin,
  BadgeError,
  checkEnrolment,
  DEFAULT_BADGE_AID,
  DEFAULT_PIN_TRIES,
  enrolBlankBadge,
  JsonEnrolmentRegister,
  readIdentity,
  rekeyBadge,
  toBadgeError,
  type AuthMode,
} from '../../../means/desfire/index.js';
import { openKmsFile, type Kms } from '../../../integrations/kms/index.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../../../config/config.js';
import type { CardChannel } from '../../../transports/card-channel.js';
import { printJson, UsageError, type CliContext } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';
import { subcommandGroup } from '../subcommand-group.js';
import { withMonitor } from '../with-monitor.js';
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
};

const USAGE = `  tessera desfire auth --reader <name> --kms <file> --aid <hex> --key-no <n> [--json]
  tessera desfire read-identity --reader <name> --kms <file> [--aid <hex>] [--register <file>] [--json]
  tessera desfire enroll --reader <name> --kms <file> --register <file> --person <id> --name <text>
        --cps-reader <name> [--trust <pem>]... [--operator <id>]... [--max-tries <n>] --pins-stdin [--json]   (stdin: CPS PIN, then badge PIN)
  tessera desfire pin-login --reader <name> --kms <file> --register <file> --pin-stdin [--json]
  tessera desfire rekey --reader <name> --kms <file> --new-kms <file> --key-version <n> --register <file> [--json]
  tessera desfire revoke --register <file> --enrolment <id> --by <subject id> [--reason <text>] [--json]
  (--aid <hex> defaults to F51230; --auth-mode auto|ev1|ev2 defaults to auto)`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      reader: { type: 'string' },
      kms: { type: 'string' },
      'new-kms': { type: 'string' },
      aid: { type: 'string' },
      'key-no': { type: 'string' },
      'key-version': { type: 'string' },
      'auth-mode': { type: 'string' },
      register: { type: 'string' },
      person: { type: 'string' },
      name: { type: 'string' },
      'cps-reader': { type: 'string' },
      trust: { type: 'string', multiple: true },
      config: { type: 'string' },
      operator: { type: 'string', multiple: true },
      'max-tries': { type: 'string' },
      'pins-stdin': { type: 'boolean' },
      'pin-stdin': { type: 'boolean' },
      enrolment: { type: 'string' },
      by: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Values = ReturnType<typeof parse>['values'];

const need = (v: string | undefined, flag: string): string => {
  if (v === undefined || v === '') throw new UsageError(`${flag} is required`);
  return v;
};

function intArg(v: string | undefined, flag: string, min: number, max: number, dflt?: number): number {
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new UsageError(`${flag} <n> is required`);
  }
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag}: expected an integer from ${min} to ${max}`);
  return n;
}

function aidArg(v: string | undefined): Buffer {
  if (v === undefined) return Buffer.from(DEFAULT_BADGE_AID);
  if (!/^[0-9a-fA-F]{6}$/.test(v)) throw new UsageError('--aid: expected 3 bytes (6 hex digits)');
  return Buffer.from(v, 'hex');
}

function modeArg(v: string | undefined): AuthMode {
  if (v === undefined || v === 'auto' || v === 'ev1' || v === 'ev2') return v ?? 'auto';
  throw new UsageError('--auth-mode: expected auto, ev1 or ev2');
}

/** Opens the KMS for one command and always closes it (wipes keys, logs out of the token). */
async function withKms<T>(path: string, fn: (kms: Kms) => Promise<T>): Promise<T> {
  const kms = openKmsFile(path);
  try {
    return await fn(kms);
  } finally {
    await kms.close();
  }
}

/** The badge in `reader`, checked to be a DESFire card first (exit 6 otherwise). */
function withBadge<T>(reader: string, fn: (ch: CardChannel) => Promise<T>): Promise<T> {
  return withMonitor((m) =>
    m.withCard(reader, async (ch) => {
      const kind = await recognizeCard(ch);
      if (kind.type !== 'desfire') throw new BadgeError('unsupported_card', `card in ${reader} is not a DESFire badge (${kind.type}: ${kind.detail})`);
      return fn(ch);
    }),
  );
}

async function auth(ctx: CliContext, v: Values): Promise<number> {
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

async function identity(ctx: CliContext, v: Values): Promise<number> {
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

function trustFiles(v: Values): readonly string[] {
  if (v.trust?.length) return v.trust;
  const path = v.config ?? process.env['TESSERA_CONFIG'] ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  return path ? loadConfigFile(path).cps.trustAnchors : [];
}

async function enroll(ctx: CliContext, v: Values): Promise<number> {
  const reader = need(v.reader, '--reader');
  const cpsReader = need(v['cps-reader'], '--cps-reader');
  const person = { id: need(v.person, '--person'), name: need(v.name, '--name') };
  const registerPath = need(v.register, '--register');
  const kmsPath = need(v.kms, '--kms');
  const aid = aidArg(v.aid);
  const maxTries = intArg(v['max-tries'], '--max-tries', 1, 15, DEFAULT_PIN_TRIES);
  if (!v['pins-stdin']) throw new UsageError('give the CPS PIN and the new badge PIN on stdin with --pins-stdin (two lines)');
  let trust: TrustStore;
  try {
    trust = TrustStore.fromPemFiles(trustFiles(v));
  } catch (e) {
    throw e instanceof TrustStoreError ? new ConfigError(e.message) : e;
  }
  const [cpsPin, badgePin] = await readPinLines(process.stdin, 2);
  try {
    const record = await withKms(kmsPath, (kms) =>
      withMonitor(async (m) => {
        const proof = await m.withCard(cpsReader, async (ch) => {
          const kind = await recognizeCard(ch);
          if (kind.type !== 'cps' || !kind.usable) throw new CpsError('unsupported_card', `card in ${cpsReader} is not a usable CPS (${kind.type})`);
          return cpsLogin(ch, { trust, applicationSelected: true, pin: async () => Buffer.from(cpsPin as Buffer) });
        });
        return m.withCard(reader, async (ch) => {
          const kind = await recognizeCard(ch);
          if (kind.type !== 'desfire') throw new BadgeError('unsupported_card', `card in ${reader} is not a DESFire badge (${kind.type})`);
          return enrolBlankBadge(ch, {
            keys: kms, aid, authMode: modeArg(v['auth-mode']), proof: proof.event, operators: v.operator ?? [], person,
            pin: Buffer.from(badgePin as Buffer), maxTries, register: JsonEnrolmentRegister.create(registerPath),
          });
        });
      }),
    );
    if (ctx.json) printJson(ctx, { ok: true, ...record });
    else ctx.stdout.write(ctx.lang === 'fr'
      ? `Badge enrôlé pour ${record.name} (${record.personId}) : enrôlement ${record.enrolmentId}, UID ${record.uid}, par ${record.enrolledBy}\n`
      : `Badge enrolled for ${record.name} (${record.personId}): enrolment ${record.enrolmentId}, UID ${record.uid}, by ${record.enrolledBy}\n`);
    return 0;
  } finally {
    cpsPin?.fill(0);
    badgePin?.fill(0);
  }
}

async function pinLogin(ctx: CliContext, v: Values): Promise<number> {
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

async function rekey(ctx: CliContext, v: Values): Promise<number> {
  const reader = need(v.reader, '--reader');
  const register = new JsonEnrolmentRegister(need(v.register, '--register'));
  const keyVersion = intArg(v['key-version'], '--key-version', 1, 255);
  const out = await withKms(need(v.kms, '--kms'), (current) =>
    withKms(need(v['new-kms'], '--new-kms'), (next) =>
      withBadge(reader, (ch) => rekeyBadge(ch, { currentKeys: current, newKeys: next, newKeyVersion: keyVersion, aid: aidArg(v.aid), authMode: modeArg(v['auth-mode']), register })),
    ),
  );
  if (ctx.json) printJson(ctx, { ok: true, ...out });
  else ctx.stdout.write(`${out.enrolmentId}: UID ${out.uid}, key version ${out.keyVersion}\n`);
  return 0;
}

function revoke(ctx: CliContext, v: Values): number {
  const register = new JsonEnrolmentRegister(need(v.register, '--register'));
  const enrolmentId = need(v.enrolment, '--enrolment').toUpperCase();
  if (!/^[0-9A-F]{32}$/.test(enrolmentId)) throw new UsageError('--enrolment: expected 32 hex digits');
  const record = { enrolmentId, revokedAt: new Date().toISOString(), revokedBy: need(v.by, '--by'), reason: v.reason ?? '' };
  register.revoke(record);
  if (ctx.json) printJson(ctx, { ok: true, ...record, known: register.find(enrolmentId) !== undefined });
  else ctx.stdout.write(ctx.lang === 'fr' ? `Enrôlement ${enrolmentId} révoqué.\n` : `Enrolment ${enrolmentId} revoked.\n`);
  return 0;
}

export const desfireCommandGroup: CommandGroup = subcommandGroup<Values>({
  name: 'desfire',
  usage: USAGE,
  parse,
  subcommands: { auth, 'read-identity': identity, enroll, 'pin-login': pinLogin, rekey, revoke },
  translate: toBadgeError,
  params: (values) => (values.reader ? { reader: values.reader } : {}),
  exitCodes: DESFIRE_EXIT_CODES,
});
