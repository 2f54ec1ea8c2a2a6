/**
 * `tessera fido ...`: FIDO2 security keys for IT and tests (stable names, JSON and exit codes;
 * see docs/fido2.md).
 *
 *   fido info       --device <uri> [--json]
 *   fido set-pin    --device <uri> --new-pin-stdin
 *   fido change-pin --device <uri> --pin-stdin                 (current PIN, new PIN: two lines)
 *   fido enroll     --device <uri> --user <id> (--pin-stdin | --uv) --store <file> [--rp <id>]
 *                   (--cps-reader <name> [--trust <pem>]... [--config <file>] | --with-key <uri>) [--json]
 *   fido verify     --device <uri> --user <id> (--pin-stdin | --uv) --store <file> [--rp <id>] [--fallback] [--json]
 *   fido revoke     --store <file> --credential <id> [--json]
 *   fido list       --store <file> [--user <id>] [--json]
 *
 * Exit codes: 0 ok; 2 wrong PIN (retriesLeft); 3 PIN blocked; 5 no usable user verification
 * (uv_unavailable, pin_not_set); 6 no device; 8 assertion refused (bad_signature,
 * assertion_invalid, possible_clone); 9 user presence not given / timeout; 1 anything else.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import type { CtapTransport } from '../../../transports/ctap/ctap-transport.js';
import { openCtapDevice } from '../../../transports/ctap/open-ctap-device.js';
import { CtapTransportError } from '../../../transports/ctap/ctap-error.js';
import { Ctap2Device } from '../../../protocols/ctap2/ctap2-client.js';
import { getInfo, uvCapability } from '../../../protocols/ctap2/get-info.js';
import { ClientPin } from '../../../protocols/ctap2/client-pin.js';
import { isTesseraError } from '../../../errors.js';
import { message } from '../../../i18n/messages.js';
import type { AuthEvent } from '../../../means/auth-event.js';
import {
  changeFidoPin, enrollFidoKey, formatAaguid, JsonFileEnrolmentStore, revokeFidoKey, setFidoPin, toFidoError, verifyFidoKey, type UserVerification,
} from '../../../means/fido2/index.js';
import { recognizeCard } from '../../../means/card-recognition.js';
import { cpsLogin } from '../../../means/cps/cps-login.js';
import { CpsError } from '../../../means/cps/cps-error.js';
import { TrustStore, TrustStoreError } from '../../../means/cps/trust-store.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from '../../../config/config.js';
import { printJson, UsageError, type CliContext } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';
import { subcommandGroup } from '../subcommand-group.js';
import { withMonitor } from '../with-monitor.js';
import { readPinLines } from './fido-stdin.js';

export const FIDO_EXIT_CODES: Readonly<Record<string, number>> = {
  wrong_pin: 2,
  pin_blocked: 3,
  pin_auth_blocked: 3,
  uv_unavailable: 5,
  pin_not_set: 5,
  no_device: 6,
  device_removed: 6,
  bad_signature: 8,
  assertion_invalid: 8,
  possible_clone: 8,
  user_presence_timeout: 9,
};

const USAGE = `  tessera fido info --device <uri> [--json]
  tessera fido set-pin --device <uri> --new-pin-stdin
  tessera fido change-pin --device <uri> --pin-stdin            (stdin: current PIN, new PIN)
  tessera fido enroll --device <uri> --user <id> (--pin-stdin | --uv) --store <file> [--rp <id>]
        (--cps-reader <name> [--trust <pem>]... | --with-key <uri>) [--json]   (stdin: proof PIN, then key PIN)
  tessera fido verify --device <uri> --user <id> (--pin-stdin | --uv) --store <file> [--rp <id>] [--fallback] [--json]
  tessera fido revoke --store <file> --credential <id> [--json]
  tessera fido list --store <file> [--user <id>] [--json]
  Device URIs: hid:<path>, udp:<host>:<port>[?listen=<port>], pcsc:<reader name>`;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      device: { type: 'string' },
      user: { type: 'string' },
      store: { type: 'string' },
      rp: { type: 'string' },
      credential: { type: 'string' },
      'pin-stdin': { type: 'boolean' },
      'new-pin-stdin': { type: 'boolean' },
      uv: { type: 'boolean' },
      fallback: { type: 'boolean' },
      'cps-reader': { type: 'string' },
      trust: { type: 'string', multiple: true },
      config: { type: 'string' },
      'with-key': { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

const need = (v: string | undefined, flag: string): string => {
  if (!v) throw new UsageError(`${flag} is required`);
  return v;
};

function asCliError(e: unknown): unknown {
  if (e instanceof UsageError) return e;
  if (e instanceof CtapTransportError && e.code === 'invalid_uri') return new UsageError(e.message);
  if (e instanceof CpsError || e instanceof ConfigError) return e;
  if (isTesseraError(e) && (e.layer === 'config' || (e.layer === 'transport' && !(e instanceof CtapTransportError)))) return e;
  return toFidoError(e);
}

async function withDevice<T>(uri: string, fn: (t: CtapTransport) => Promise<T>): Promise<T> {
  const t = await openCtapDevice(uri);
  try {
    return await fn(t);
  } finally {
    await t.close().catch(() => undefined);
  }
}

function touchPrompt(ctx: CliContext): { onKeepalive: (s: string) => void } {
  let told = false;
  return {
    onKeepalive: (s) => {
      if (s === 'user-presence-needed' && !told) {
        told = true;
        ctx.stderr.write(`tessera: ${message('fido_touch_key', ctx.lang)}\n`);
      }
    },
  };
}

const wipe = (bufs: readonly Buffer[]): void => bufs.forEach((b) => b.fill(0));

export const fidoCommandGroup: CommandGroup = subcommandGroup<Values>({
  name: 'fido',
  usage: USAGE,
  parse,
  subcommands: { info, 'set-pin': setPin, 'change-pin': changePin, enroll, verify, revoke, list },
  translate: asCliError,
  exitCodes: FIDO_EXIT_CODES,
});

async function info(ctx: CliContext, v: Values): Promise<number> {
  const uri = need(v.device, '--device');
  const out = await withDevice(uri, async (t) => {
    const device = new Ctap2Device(t);
    const i = await getInfo(device);
    const cap = uvCapability(i);
    const pinRetries = cap.pin === 'set' ? (await ClientPin.forInfo(device, i).getRetries()).pinRetries : undefined;
    return {
      ok: true,
      device: uri,
      versions: i.versions,
      aaguid: formatAaguid(i.aaguid),
      options: i.options,
      pinUvAuthProtocols: i.pinUvAuthProtocols,
      algorithms: (i.algorithms ?? []).map((a) => a.alg),
      extensions: i.extensions,
      ...(i.maxMsgSize !== undefined ? { maxMsgSize: i.maxMsgSize } : {}),
      ...(i.minPinLength !== undefined ? { minPinLength: i.minPinLength } : {}),
      pin: cap.pin,
      builtInUv: cap.builtInUv,
      ...(pinRetries !== undefined ? { pinRetries } : {}),
      usable: cap.pin === 'set' || cap.builtInUv === 'configured',
    };
  });
  if (ctx.json) printJson(ctx, out);
  else {
    const fr = ctx.lang === 'fr';
    ctx.stdout.write(
      [
        `${fr ? 'Clé' : 'Key'} ${out.device}`,
        `  versions: ${out.versions.join(', ')}`,
        `  AAGUID: ${out.aaguid}`,
        `  options: ${Object.entries(out.options).map(([k, b]) => `${k}=${String(b)}`).join(' ')}`,
        `  ${fr ? 'protocoles PIN/UV' : 'PIN/UV protocols'}: ${out.pinUvAuthProtocols.join(', ')}`,
        `  PIN: ${out.pin}${out.pinRetries !== undefined ? ` (${out.pinRetries} ${fr ? 'essais' : 'tries'})` : ''}; ${fr ? 'biométrie' : 'biometrics'}: ${out.builtInUv}`,
      ].join('\n') + '\n',
    );
  }
  return 0;
}

async function setPin(ctx: CliContext, v: Values): Promise<number> {
  const uri = need(v.device, '--device');
  if (!v['new-pin-stdin']) throw new UsageError('--new-pin-stdin is required');
  const lines = await readPinLines(process.stdin, 1);
  try {
    await withDevice(uri, (t) => setFidoPin(t, lines[0]!));
  } finally {
    wipe(lines);
  }
  if (ctx.json) printJson(ctx, { ok: true, device: uri });
  else ctx.stdout.write(ctx.lang === 'fr' ? 'Code PIN défini sur la clé.\n' : 'PIN set on the key.\n');
  return 0;
}

async function changePin(ctx: CliContext, v: Values): Promise<number> {
  const uri = need(v.device, '--device');
  if (!v['pin-stdin']) throw new UsageError('--pin-stdin is required (current PIN, then new PIN, one per line)');
  const lines = await readPinLines(process.stdin, 2);
  try {
    await withDevice(uri, (t) => changeFidoPin(t, lines[0]!, lines[1]!));
  } finally {
    wipe(lines);
  }
  if (ctx.json) printJson(ctx, { ok: true, device: uri });
  else ctx.stdout.write(ctx.lang === 'fr' ? 'Code PIN de la clé changé.\n' : 'Key PIN changed.\n');
  return 0;
}

function verification(v: Values, pin: Buffer | undefined): UserVerification {
  if (v.uv) return { kind: 'builtin' };
  if (!pin) throw new UsageError('--pin-stdin or --uv is required');
  return { kind: 'pin', pin };
}

function trustFiles(v: Values): readonly string[] {
  if (v.trust?.length) return v.trust;
  const path = v.config ?? process.env['TESSERA_CONFIG'] ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  return path ? loadConfigFile(path).cps.trustAnchors : [];
}

/** The two-factor proof an enrolment needs: a CPS login now, or another enrolled key with its PIN. */
async function proveTwoFactors(ctx: CliContext, v: Values, personId: string, store: JsonFileEnrolmentStore, rpId: string | undefined, pin: Buffer): Promise<AuthEvent> {
  if (v['cps-reader'] && v['with-key']) throw new UsageError('give either --cps-reader or --with-key, not both');
  const reader = v['cps-reader'];
  if (reader) {
    let trust: TrustStore;
    try {
      trust = TrustStore.fromPemFiles(trustFiles(v));
    } catch (e) {
      throw e instanceof TrustStoreError ? new ConfigError(e.message) : e;
    }
    const result = await withMonitor((m) =>
      m.withCard(reader, async (ch) => {
        const kind = await recognizeCard(ch);
        if (kind.type !== 'cps' || !kind.usable) throw new CpsError('unsupported_card', `card in ${reader} is not a usable CPS (${kind.type})`);
        return cpsLogin(ch, { trust, pin: async () => Buffer.from(pin) });
      }),
    );
    return result.event;
  }
  const other = v['with-key'];
  if (other) {
    const { event } = await withDevice(other, (t) => verifyFidoKey(t, { personId, ...(rpId ? { rpId } : {}), verification: { kind: 'pin', pin }, store, callOptions: touchPrompt(ctx) }));
    return event;
  }
  throw new UsageError('enrolment needs a two-factor proof of the person: --cps-reader <reader> (CPS + PIN) or --with-key <uri> (an enrolled key + its PIN)');
}

async function enroll(ctx: CliContext, v: Values): Promise<number> {
  const uri = need(v.device, '--device');
  const personId = need(v.user, '--user');
  const store = new JsonFileEnrolmentStore(need(v.store, '--store'));
  if (!v['pin-stdin']) throw new UsageError('--pin-stdin is required (the proof PIN, then the key PIN unless --uv)');
  const lines = await readPinLines(process.stdin, v.uv ? 1 : 2);
  try {
    const personEvent = await proveTwoFactors(ctx, v, personId, store, v.rp, lines[0]!);
    const { enrolment } = await withDevice(uri, (t) =>
      enrollFidoKey(t, { personEvent, personId, ...(v.rp ? { rpId: v.rp } : {}), verification: verification(v, lines[1]), store, callOptions: touchPrompt(ctx) }),
    );
    if (ctx.json) {
      printJson(ctx, {
        ok: true,
        credentialId: enrolment.credentialId,
        alg: enrolment.alg,
        algName: enrolment.alg === -7 ? 'ES256' : 'EdDSA',
        aaguid: enrolment.aaguid,
        user: enrolment.personId,
        rpId: enrolment.rpId,
        attestation: enrolment.attestation,
        enrolledWith: enrolment.enrolledWith,
      });
    } else {
      ctx.stdout.write(ctx.lang === 'fr' ? `Clé enregistrée pour ${personId} (${enrolment.credentialId}).\n` : `Key enrolled for ${personId} (${enrolment.credentialId}).\n`);
    }
    return 0;
  } finally {
    wipe(lines);
  }
}

async function verify(ctx: CliContext, v: Values): Promise<number> {
  const uri = need(v.device, '--device');
  const personId = need(v.user, '--user');
  const store = new JsonFileEnrolmentStore(need(v.store, '--store'));
  if (!v['pin-stdin'] && !v.uv) throw new UsageError('--pin-stdin or --uv is required');
  const lines = v.uv ? [] : await readPinLines(process.stdin, 1);
  try {
    const { event } = await withDevice(uri, (t) =>
      verifyFidoKey(t, { personId, ...(v.rp ? { rpId: v.rp } : {}), verification: verification(v, lines[0]), store, fallback: v.fallback === true, callOptions: touchPrompt(ctx) }),
    );
    const proof = event.proof.kind === 'fido2-assertion' ? event.proof : undefined;
    if (ctx.json) {
      printJson(ctx, {
        ok: true,
        means: event.means,
        factors: event.factors,
        subject: event.subject,
        signCount: proof?.signCount,
        credentialId: proof?.credentialId,
        rpId: proof?.rpId,
        aaguid: proof?.aaguid,
        fallback: event.fallback === true,
        at: event.at.toISOString(),
      });
    } else {
      const how = event.factors.includes('inherence') ? (ctx.lang === 'fr' ? 'clé + empreinte' : 'key + fingerprint') : ctx.lang === 'fr' ? 'clé + code PIN' : 'key + PIN';
      ctx.stdout.write(ctx.lang === 'fr' ? `Authentifié : ${event.subject.name} — ${how}\n` : `Authenticated: ${event.subject.name} — ${how}\n`);
    }
    return 0;
  } finally {
    wipe(lines);
  }
}

async function revoke(ctx: CliContext, v: Values): Promise<number> {
  const store = new JsonFileEnrolmentStore(need(v.store, '--store'));
  const rec = await revokeFidoKey(store, need(v.credential, '--credential'));
  if (ctx.json) printJson(ctx, { ok: true, credentialId: rec.credentialId, user: rec.personId, revokedAt: rec.revokedAt });
  else ctx.stdout.write(ctx.lang === 'fr' ? `Clé ${rec.credentialId} révoquée.\n` : `Key ${rec.credentialId} revoked.\n`);
  return 0;
}

async function list(ctx: CliContext, v: Values): Promise<number> {
  const store = new JsonFileEnrolmentStore(need(v.store, '--store'));
  const records = await store.list(v.user ? { personId: v.user } : {});
  if (ctx.json) printJson(ctx, { ok: true, enrolments: records });
  else for (const r of records) ctx.stdout.write(`${r.personId}\t${r.credentialId}\t${r.alg === -7 ? 'ES256' : 'EdDSA'}\t${r.enrolledAt}${r.revoked ? '\trevoked' : ''}\n`);
  return 0;
}
