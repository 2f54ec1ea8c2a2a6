/**
 * `tessera agent [--config <file>] [--trust <pem>]... [--demo] [--json]`: the headless agent on
 * the session engine (src/main/shells/agent/agent-runtime.ts) until SIGTERM/SIGINT.
 *
 * The configuration is loaded and validated as `tessera config check` does; an invalid one is
 * refused before anything starts (exit 11, the field and its allowed values on stderr).
 * `--trust` replaces `cps.trustAnchors`. The PIN pad is the terminal; without one, CPS logins
 * are refused with a clear message. Badges are on when `desfire.kmsConfigPath` and
 * `desfire.enrolmentRegisterPath` are set (keys diversified by that KMS), the FIDO2 fallback
 * when `fido2.enrolmentStorePath` is (src/main/shells/agent/means-from-config.ts); a problem
 * with those files is refused like an invalid configuration (exit 11, the field named).
 *
 * `--demo` starts the test bed inside the agent (isolated pcscd, virtual readers, a generated
 * test PKI and a simulated CPS card whose PIN the demo types): the test code is loaded with a
 * dynamic import on this path only. Without `--config`, the demo keeps its audit trail in a
 * temporary folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../config/config-error.js';
import { loadAgentConfig } from '../../../config/layered.js';
import type { AgentConfig } from '../../../config/schema.js';
import { CpsError } from '../../../means/cps/cps-error.js';
import { TrustStore } from '../../../means/cps/trust-store.js';
import { startAgentRuntime } from '../../agent/agent-runtime.js';
import { meansFromConfig, type ConfiguredMeans } from '../../agent/means-from-config.js';
import { ssoFromConfig, type ConfiguredSso, type SsoEvent } from '../../agent/sso-from-config.js';
import { printBrowserOpener, systemBrowserOpener } from '../../../integrations/sso/client/index.js';
import { message } from '../../../i18n/messages.js';
import { DbusMonitorOsEvents, logindSessionPath } from '../../agent/os-events.js';
import { describeEngineRecord } from '../../agent/engine-agent-text.js';
import type { EngineAgentRecord, EnginePinPad } from '../../agent/engine-agent.js';
import { UsageError, printJson, type CliContext, groupContext, parseGroupArgs } from '../cli-output.js';
import type { CommandGroup } from '../command-groups.js';
import { promptPinOnTty } from '../pin-input.js';
import { CONFIG_EXIT, configErrorText, warningText } from './config.js';

const USAGE = '  tessera agent [--config <file>] [--trust <pem>]... [--browser system|print] [--demo] [--json]   (headless agent until SIGTERM; exit 11 invalid configuration)';

export interface AgentCommandInput {
  readonly configPath?: string;
  /** Replaces `cps.trustAnchors` when not empty. */
  readonly trustFiles?: readonly string[];
  readonly demo?: boolean;
  /** How the web SSO's authorization requests reach a browser: the system browser (default) or a line `Open: <url>` on stderr. */
  readonly browser?: 'system' | 'print';
  /** Where CPS PINs are asked (default: the terminal); for a host that embeds the agent with its own PIN pad. */
  readonly pinPad?: EnginePinPad;
  /** Resolves when the agent should stop (default: SIGTERM or SIGINT). */
  readonly stopSignal?: Promise<void>;
}

/** The demo PIN of the simulated card (a test card, never a real one). */
const DEMO_PIN = '1234';

function terminalPinPad(ctx: CliContext): EnginePinPad {
  let queue: Promise<unknown> = Promise.resolve();
  return (reader, req) => {
    if (!process.stdin.isTTY) return Promise.reject(new CpsError('card_error', 'no terminal to type the PIN on'));
    const ask = queue.then(() =>
      promptPinOnTty(ctx.lang === 'fr' ? `Code PIN de ${req.holder.name} (${reader}, ${req.retriesLeft} essais) : ` : `PIN for ${req.holder.name} (${reader}, ${req.retriesLeft} tries): `),
    );
    queue = ask.catch(() => undefined);
    return ask;
  };
}

/** One line for what the web SSO did (never a token). */
function ssoEventText(e: SsoEvent, ctx: CliContext): string {
  const fr = ctx.lang === 'fr';
  switch (e.type) {
    case 'sso_signed_in':
      return fr ? `Connecté au SSO : ${e.person} (${e.amr.join(' + ') || 'amr ?'})` : `Signed in to the SSO: ${e.person} (${e.amr.join(' + ') || 'amr ?'})`;
    case 'sso_sign_in_failed':
      return `${fr ? 'Connexion au SSO impossible' : 'SSO sign-in failed'} (${e.person}) : ${message(e.code, ctx.lang, e.reason !== undefined ? { reason: e.reason } : {})}`;
    case 'sso_logout_opened':
      return fr ? `Déconnexion du SSO ouverte dans le navigateur (${e.person}, ${e.reason})` : `SSO logout opened in the browser (${e.person}, ${e.reason})`;
    case 'sso_warning':
      return `${fr ? 'SSO, avertissement' : 'SSO warning'} (${e.code}) : ${e.message}`;
  }
}

function signalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

function terminalBadgePinPad(ctx: CliContext): ((reader: string) => Promise<Buffer>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  return (reader) => promptPinOnTty(ctx.lang === 'fr' ? `Code PIN du badge (${reader}) : ` : `Badge PIN (${reader}): `);
}

export async function agentCommand(ctx: CliContext, trustFiles: readonly string[], input: AgentCommandInput = {}): Promise<number> {
  let config: AgentConfig;
  let means: ConfiguredMeans;
  let sso: ConfiguredSso;
  // Reported as they come (set once the output functions exist below).
  const ssoEvents: { say?: (e: SsoEvent) => void } = {};
  try {
    const eff = loadAgentConfig(input.configPath !== undefined ? { configPath: input.configPath } : {});
    for (const w of eff.warnings) ctx.stderr.write(`tessera: ${warningText(w, ctx.lang)}\n`);
    config = eff.config;
    const badgePinPad = terminalBadgePinPad(ctx);
    means = meansFromConfig(config, badgePinPad ? { badgePinPad } : {});
    const opener = input.browser === 'print' ? printBrowserOpener(ctx.stderr) : systemBrowserOpener();
    sso = ssoFromConfig(config, { opener: () => opener, onEvent: (e) => ssoEvents.say?.(e) });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    ctx.stderr.write(`tessera: ${configErrorText(e, ctx.lang)}\n`);
    if (ctx.json) printJson(ctx, { ok: false, error: 'config_invalid', problem: e.problem ?? null, field: e.field ?? null, allowed: e.allowed ?? null, source: e.source ?? null, message: e.message });
    return CONFIG_EXIT.invalid;
  }

  const stopSignal = input.stopSignal ?? signalled();
  const say = (r: EngineAgentRecord | Record<string, unknown>, text: string): void => {
    if (ctx.json) printJson(ctx, { at: new Date().toISOString(), ...r });
    else ctx.stdout.write(`${text}\n`);
  };
  const report = (r: EngineAgentRecord): void => say(r, describeEngineRecord(r, ctx.lang));
  ssoEvents.say = (e) => say(e, ssoEventText(e, ctx));

  const cleanups: Array<() => Promise<void> | void> = [() => means.close()];
  try {
    let trust: TrustStore;
    let pinPad: EnginePinPad = input.pinPad ?? terminalPinPad(ctx);
    let insertDemoCard: (() => Promise<void>) | undefined;
    if (input.demo) {
      // Test code, loaded only here: production paths never import it.
      const testbed = '../../../../../test/testbed/';
      const { openTestBed } = (await import(`${testbed}bed.js`)) as typeof import('../../../../../test/testbed/bed.js');
      const { createTestPki } = (await import(`${testbed}pki/test-pki.js`)) as typeof import('../../../../../test/testbed/pki/test-pki.js');
      const { CpsCard } = (await import(`${testbed}cards/cps-card.js`)) as typeof import('../../../../../test/testbed/cards/cps-card.js');
      const bed = await openTestBed();
      cleanups.push(() => bed.close());
      const pki = await createTestPki();
      const dir = mkdtempSync(join(tmpdir(), 'tessera-agent-demo-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'trust-anchors.pem'), pki.caBundlePem, { mode: 0o600 });
      trust = TrustStore.fromPemFiles(trustFiles.length > 0 ? trustFiles : [join(dir, 'trust-anchors.pem')]);
      if (input.configPath === undefined) config = { ...config, audit: { ...config.audit, dir: join(dir, 'audit') } };
      pinPad = () => Promise.resolve(Buffer.from(DEMO_PIN, 'ascii'));
      const holder = await pki.issueCardCertificate();
      insertDemoCard = () => bed.insert(0, new CpsCard({ certificateDer: holder.der, privateKey: holder.privateKey, pin: DEMO_PIN }));
      say({ type: 'demo', pcscd: process.env['PCSCLITE_CSOCK_NAME'] ?? '', audit: config.audit.dir }, ctx.lang === 'fr'
        ? `Démo : pcscd isolé, lecteurs virtuels, PKI de test ; journal d'audit dans ${config.audit.dir}. Une carte CPS simulée est insérée (code PIN ${DEMO_PIN} saisi par la démo).`
        : `Demo: isolated pcscd, virtual readers, test PKI; audit trail in ${config.audit.dir}. A simulated CPS card is inserted (PIN ${DEMO_PIN} typed by the demo).`);
    } else {
      trust = TrustStore.fromPemFiles(trustFiles.length > 0 ? trustFiles : config.cps.trustAnchors);
    }

    // Screen lock, sleep and resume on Linux (not in the demo: no desktop there); a missing bus is only a warning.
    const sessionId = process.env['XDG_SESSION_ID'];
    const osEvents =
      process.platform === 'linux' && !input.demo
        ? new DbusMonitorOsEvents({
            ...(sessionId ? { sessionPath: logindSessionPath(sessionId) } : {}),
            onUnavailable: (bus, why) => ctx.stderr.write(`tessera: ${ctx.lang === 'fr' ? `événements système indisponibles (bus ${bus})` : `OS events unavailable (bus ${bus})`}: ${why}\n`),
          })
        : undefined;
    const runtime = await startAgentRuntime({
      config, trust, pinPad, report,
      ...(means.badge ? { badge: means.badge } : {}),
      ...(means.fido ? { fido: means.fido } : {}),
      ...(osEvents ? { osEvents } : {}),
      ...sso.runtime,
    });
    cleanups.push(() => runtime.stop());
    say({ type: 'started', socket: runtime.socketPath, audit: config.audit.dir, badges: means.badge !== undefined, fidoFallback: means.fido !== undefined, ssoAutoSignIn: runtime.autoSignIn !== undefined, assertionEndpoint: runtime.assertion?.server.url ?? null }, ctx.lang === 'fr'
      ? `Agent démarré ; canal de contrôle : ${runtime.socketPath} (tessera status --socket ${runtime.socketPath})`
      : `Agent started; control channel: ${runtime.socketPath} (tessera status --socket ${runtime.socketPath})`);
    if (insertDemoCard) await insertDemoCard();
    await stopSignal;
    await runtime.stop();
    say({ type: 'stopped' }, ctx.lang === 'fr' ? 'Agent arrêté ; journal d’audit fermé.' : 'Agent stopped; audit trail closed.');
    return 0;
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // keep cleaning up
      }
    }
  }
}

export const agentCommandGroup: CommandGroup = {
  name: 'agent',
  usage: USAGE,
  async run(preCtx: CliContext, argv: readonly string[]): Promise<number> {
    const parsed = parseGroupArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        config: { type: 'string' },
        trust: { type: 'string', multiple: true },
        demo: { type: 'boolean' },
        browser: { type: 'string' },
        json: { type: 'boolean' },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const { values } = parsed;
    const ctx = groupContext(preCtx, values);
    if (values.help) {
      ctx.stdout.write(`Usage:\n${USAGE}\n`);
      return 0;
    }
    const configPath = values.config ?? process.env['TESSERA_CONFIG'];
    const browser = values.browser ?? 'system';
    if (browser !== 'system' && browser !== 'print') throw new UsageError(`--browser ${browser}: system | print`);
    return agentCommand(ctx, values.trust ?? [], {
      browser,
      ...(configPath !== undefined && configPath !== '' ? { configPath } : {}),
      demo: values.demo === true,
    });
  },
};
