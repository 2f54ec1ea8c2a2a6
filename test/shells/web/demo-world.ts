/**
 * The simulated workstation of the web demo and of the browser end-to-end tests: an isolated
 * pcscd with its virtual readers (slot 0: the CPS reader, slot 1: the contactless badge
 * reader), a test PKI and a CPS card, a DESFire badge enrolled for the card's holder, a FIDO2 key
 * on the UDP CTAPHID simulator enrolled for the same person (and a blank one to enrol from the
 * wizard, plugged in its place), the embedded OpenID provider the
 * agent probes, the agent runtime with the UI core, and the web shell serving the renderer and
 * the simulator control panel.
 *
 * Test code: the PINs below are those of simulated devices.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../../src/main/config/config.js';
import { startEmbeddedProvider, parseProviderConfig, type EmbeddedProvider } from '../../../src/main/integrations/sso/provider/index.js';
import type { AuthEvent } from '../../../src/main/means/auth-event.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { enrolBlankBadge } from '../../../src/main/means/desfire/index.js';
import { enrollFidoKey, JsonFileEnrolmentStore } from '../../../src/main/means/fido2/index.js';
import { startUiAgent, type UiAgent } from '../../../src/main/shells/ui-core/start-ui-agent.js';
import { simulatorEndpoint } from '../../../src/main/shells/web/simulator-endpoint.js';
import type { SimulatorAction } from '../../../src/main/shells/web/simulator-wire.js';
import { startWebShell, type WebShell } from '../../../src/main/shells/web/web-shell.js';
import { openCtapDevice } from '../../../src/main/transports/ctap/open-ctap-device.js';
import { ReaderMonitor } from '../../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { DesfireCard } from '../../testbed/cards/desfire-card.js';
import { SimAuthenticator } from '../../testbed/fido/authenticator.js';
import { startUdpCtapDevice, type UdpCtapDevice } from '../../testbed/fido/ctaphid-device.js';
import { createTestPki, DEFAULT_HOLDER } from '../../testbed/pki/test-pki.js';
import { SimulatedChannel } from '../../means/cps/simulated-channel.js';
import { AID, kmsFor, newMasters, tempRegister } from '../../means/desfire/badge-fixture.js';

export const DEMO_CARD_PIN = '1234';
export const DEMO_BADGE_PIN = '4826';
export const DEMO_KEY_PIN = '2468';
/** How long the new key of `plug_new_key` waits for its touch (then it counts as touched). */
export const DEMO_NEW_KEY_TOUCH_MS = 4000;
export const DEMO_PERSON = { id: `rpps:${DEFAULT_HOLDER.rpps}`, name: `${DEFAULT_HOLDER.givenName} ${DEFAULT_HOLDER.surname}` };
const CLIENT_ID = 'tessera-demo';

export interface DemoWorldOptions {
  /** The Vite build of the renderer (default: build/renderer of this checkout). */
  readonly rendererRoot?: string;
  /** Port of the web shell (default: a free one). */
  readonly port?: number;
  /** EXI 14 window (default 60 minutes). */
  readonly windowMinutes?: number;
  readonly log?: (message: string, cause?: unknown) => void;
}

export interface DemoWorld {
  readonly bed: TestBed;
  readonly ui: UiAgent;
  readonly shell: WebShell;
  readonly issuer: string;
  readonly auditDir: string;
  perform(action: SimulatorAction): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? done(a.port) : fail(new Error('no port'))));
    });
  });
}

/** The proof an enrolment needs: the person's two-factor login (here: as the CPS gives it). */
function twoFactor(): AuthEvent {
  return { means: 'cps', factors: ['possession', 'knowledge'], subject: DEMO_PERSON, proof: { kind: 'card-signature', challenge: '00', certificateSha256: 'ab'.repeat(32) }, at: new Date() };
}

export async function openDemoWorld(opts: DemoWorldOptions = {}): Promise<DemoWorld> {
  const log = opts.log ?? (() => undefined);
  const cleanups: Array<() => Promise<void> | void> = [];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        log('demo: cleanup failed', e);
      }
    }
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-web-demo-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bed = await openTestBed();
    cleanups.push(() => bed.close());

    // CPS: a test PKI and the holder's card.
    const pki = await createTestPki();
    writeFileSync(join(dir, 'anchors.pem'), pki.caBundlePem, { mode: 0o600 });
    const cert = await pki.issueCardCertificate();
    const card = new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: DEMO_CARD_PIN });

    // Badge: enrolled for the holder through the real enrolment, on a simulated channel.
    const masters = newMasters();
    const reg = tempRegister();
    cleanups.push(() => reg.dispose());
    const badge = new DesfireCard({ ev2: true, randomUid: true });
    await enrolBlankBadge(new SimulatedChannel(badge), { keys: kmsFor(masters), aid: AID, proof: twoFactor(), person: DEMO_PERSON, pin: Buffer.from(DEMO_BADGE_PIN), register: reg.register });

    // FIDO2 key: the UDP CTAPHID simulator, enrolled for the holder through the same transport.
    const fidoStore = new JsonFileEnrolmentStore(join(dir, 'fido-store.json'));
    let authenticator = new SimAuthenticator({ pin: DEMO_KEY_PIN });
    let key: UdpCtapDevice | undefined = await startUdpCtapDevice({ handler: authenticator.handler, devicePort: 0, hostPort: 0 });
    const keyUri = key.uri;
    const { devicePort, hostPort } = key;
    cleanups.push(() => key?.close());
    const t = await openCtapDevice(keyUri);
    try {
      await enrollFidoKey(t, { personEvent: twoFactor(), personId: DEMO_PERSON.id, verification: { kind: 'pin', pin: Buffer.from(DEMO_KEY_PIN) }, store: fidoStore });
    } finally {
      await t.close();
    }

    // The embedded OpenID provider: what the agent probes (cut it = the network is down).
    const providerPort = await freePort();
    const issuer = `http://127.0.0.1:${providerPort}`;
    const providerConfig = parseProviderConfig({ issuer, keysDir: 'provider-keys', clients: [{ clientId: CLIENT_ID, redirectUris: ['http://127.0.0.1/callback'] }] }, dir);
    let provider: EmbeddedProvider | undefined = await startEmbeddedProvider({ config: providerConfig });
    cleanups.push(() => provider?.close());

    const auditDir = join(dir, 'audit');
    const config = parseConfig(
      JSON.stringify({
        session: { windowMinutes: opts.windowMinutes ?? 60 },
        audit: { dir: auditDir },
        control: { socketPath: join(dir, 'agent.sock') },
        sso: { issuerUrl: issuer, clientId: CLIENT_ID },
      }),
      'demo',
    );
    const ui = await startUiAgent({
      config,
      workstation: 'poste-demo',
      trust: TrustStore.fromPemFiles([join(dir, 'anchors.pem')]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 200, maxMs: 1000 } }),
      badge: { keys: kmsFor(masters), register: reg.register, aid: AID },
      fido: { store: fidoStore, devices: [keyUri], timeoutMs: 10_000 },
      probe: { intervalMs: 2_000, timeoutMs: 1_000, backoff: { initialMs: 500, maxMs: 2_000 } },
      ui: { policy: { settings: true, quit: true, enrol: ['badge', 'fido2'] }, log },
    });
    cleanups.push(() => ui.stop());

    let cardIn = false;
    let badgeOn = false;
    const perform = async (action: SimulatorAction): Promise<void> => {
      switch (action) {
        case 'insert_card':
          if (!cardIn) await bed.insert(0, card);
          cardIn = true;
          return;
        case 'remove_card':
          if (cardIn) await bed.eject(0);
          cardIn = false;
          return;
        case 'tap_badge':
          // A tap: on the reader until the agent has read it, then away.
          badgeOn = true;
          try {
            await bed.insert(1, badge);
            await ui.runtime.agent.idle();
          } finally {
            await bed.eject(1);
            badgeOn = false;
          }
          return;
        case 'present_new_badge': {
          // A blank badge: enrolled when the UI's enrolment waits for it (it stays on the reader
          // until the enrolment ends), else only tapped (and refused: it is not enrolled).
          const enrolling = ui.pins.prompt().kind === 'present_badge';
          let off: (() => void) | undefined;
          let timer: NodeJS.Timeout | undefined;
          const ended = new Promise<void>((resolve) => {
            off = ui.core.onEnrolProgress((p) => {
              if (p.step === 'done' || p.step === 'failed') resolve();
            });
            timer = setTimeout(resolve, 120_000);
          });
          badgeOn = true;
          try {
            await bed.insert(1, new DesfireCard({ ev2: true, randomUid: true }));
            if (enrolling) await ended;
            await ui.runtime.agent.idle();
          } finally {
            off?.();
            clearTimeout(timer);
            await bed.eject(1);
            badgeOn = false;
          }
          return;
        }
        case 'plug_key':
          key ??= await startUdpCtapDevice({ handler: authenticator.handler, devicePort, hostPort });
          return;
        case 'plug_new_key':
          // A blank key (same PIN) that takes a moment to be touched: the wizard shows "touch your key".
          await key?.close();
          authenticator = new SimAuthenticator({ pin: DEMO_KEY_PIN, touchDelayMs: DEMO_NEW_KEY_TOUCH_MS });
          key = await startUdpCtapDevice({ handler: authenticator.handler, devicePort, hostPort });
          return;
        case 'unplug_key':
          await key?.close();
          key = undefined;
          return;
        case 'cut_network':
          await provider?.close();
          provider = undefined;
          await ui.runtime.probe?.checkNow();
          return;
        case 'restore_network':
          provider ??= await startEmbeddedProvider({ config: providerConfig });
          await ui.runtime.probe?.checkNow();
          return;
        case 'stop_pcscd':
          await bed.pcscd.stop();
          return;
        case 'start_pcscd':
          await bed.pcscd.start();
          return;
      }
    };
    const world = {
      state: () => ({
        card: cardIn,
        badge: badgeOn,
        key: key !== undefined,
        network: provider !== undefined,
        pcscd: ui.monitor.daemonUp,
        pins: { card: DEMO_CARD_PIN, key: DEMO_KEY_PIN },
      }),
      perform,
    };
    const shell = await startWebShell({
      root: opts.rendererRoot ?? resolve(import.meta.dirname, '../../../renderer'),
      host: ui.core,
      simulator: simulatorEndpoint(world, log),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      log,
    });
    cleanups.push(() => shell.close());
    let closing: Promise<void> | undefined;
    return { bed, ui, shell, issuer, auditDir, perform, close: () => (closing ??= undo()) };
  } catch (e) {
    await undo();
    throw e;
  }
}
