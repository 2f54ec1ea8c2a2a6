/**
 * The ward workstation of the full-shift scenario, every part real except the devices: an
 * isolated pcscd with two virtual readers (slot 0: the CPS reader, slot 1: the badge reader), CPS
 * cards of two people from the shared test PKI, a DESFire badge and a FIDO2 key (UDP CTAPHID
 * simulator) enrolled for the first, the embedded OpenID provider behind a relay the test can cut,
 * an HTTP audit collector it can stop, Chromium as the browser of the automatic sign-in, and the
 * agent with its UI core on a manual clock.
 *
 * The engine's clock starts eight hours before the wall clock: the provider checks a proof's
 * auth_time against its own (real) time, so the simulated shift has to lie in the real past.
 *
 * Test code: the PINs are those of simulated devices.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { parseConfig } from '../../src/main/config/config.js';
import { HttpCollectorSink } from '../../src/main/integrations/audit/index.js';
import { loadOrCreateWorkstationKey } from '../../src/main/integrations/sso/assertion/index.js';
import { rppsSubject, type AutoSignInResult } from '../../src/main/integrations/sso/auto-signin.js';
import { OidcClient } from '../../src/main/integrations/sso/client/index.js';
import { parseProviderConfig, startEmbeddedProvider, type EmbeddedProvider, type ProviderEvent } from '../../src/main/integrations/sso/provider/index.js';
import { oidcTokenSource } from '../../src/main/integrations/sso/tokens/index.js';
import type { AuthEvent } from '../../src/main/means/auth-event.js';
import { TrustStore } from '../../src/main/means/cps/trust-store.js';
import { enrolBlankBadge } from '../../src/main/means/desfire/index.js';
import { enrollFidoKey, JsonFileEnrolmentStore } from '../../src/main/means/fido2/index.js';
import { ManualClock } from '../../src/main/session/engine/clock.js';
import { startUiAgent, type UiAgent } from '../../src/main/shells/ui-core/start-ui-agent.js';
import { openCtapDevice } from '../../src/main/transports/ctap/open-ctap-device.js';
import { ReaderMonitor } from '../../src/main/transports/pcsc/reader-monitor.js';
import { openTestBed, type TestBed } from '../testbed/bed.js';
import { CpsCard } from '../testbed/cards/cps-card.js';
import { DesfireCard } from '../testbed/cards/desfire-card.js';
import { SimAuthenticator } from '../testbed/fido/authenticator.js';
import { startUdpCtapDevice, type UdpCtapDevice } from '../testbed/fido/ctaphid-device.js';
import { DEFAULT_HOLDER, getSharedTestPki } from '../testbed/pki/test-pki.js';
import { SimulatedChannel } from '../means/cps/simulated-channel.js';
import { AID, kmsFor, newMasters, tempRegister } from '../means/desfire/badge-fixture.js';
import { MemorySecretStore } from '../integrations/sso/tokens/fakes.js';
import { chromiumOpener, launchChromium } from '../integrations/sso/client/fixtures/openers.js';
import { Collector, Relay, freePort } from './network.js';

export const CARD_PIN = '1234';
export const BADGE_PIN = '4826';
export const KEY_PIN = '2468';
export const NURSE = { id: `rpps:${DEFAULT_HOLDER.rpps}`, rpps: DEFAULT_HOLDER.rpps, name: `${DEFAULT_HOLDER.givenName} ${DEFAULT_HOLDER.surname}` };
export const COLLEAGUE = { id: 'rpps:10007654321', rpps: '10007654321', name: 'CLAIRE DUBOIS' };
export const WINDOW_MINUTES = 240;
const CLIENT_ID = 'tessera-agent';
const WORKSTATION = 'poste-urgences-3';

/** The proof an enrolment needs: the person's two-factor login (as the CPS gives it). */
function twoFactor(): AuthEvent {
  return { means: 'cps', factors: ['possession', 'knowledge'], subject: { id: NURSE.id, name: NURSE.name }, proof: { kind: 'card-signature', challenge: '00', certificateSha256: 'ab'.repeat(32) }, at: new Date() };
}

export interface ShiftWorld {
  readonly bed: TestBed;
  readonly ui: UiAgent;
  readonly clock: ManualClock;
  readonly start: number;
  readonly issuer: string;
  readonly auditDir: string;
  readonly relay: Relay;
  readonly collector: Collector;
  readonly providerEvents: ProviderEvent[];
  readonly signIns: AutoSignInResult[];
  readonly signInErrors: unknown[];
  readonly keychain: MemorySecretStore;
  readonly nurseCard: CpsCard;
  readonly colleagueCard: CpsCard;
  readonly badge: DesfireCard;
  close(): Promise<void>;
}

export async function openShiftWorld(): Promise<ShiftWorld> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-shift-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const bed = await openTestBed();
    cleanups.push(() => bed.close());
    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());

    const pki = await getSharedTestPki();
    writeFileSync(join(dir, 'anchors.pem'), pki.caBundlePem);
    const nurseCert = await pki.issueCardCertificate();
    const colleagueCert = await pki.issueCardCertificate({ rpps: COLLEAGUE.rpps, givenName: 'CLAIRE', surname: 'DUBOIS' });
    const nurseCard = new CpsCard({ certificateDer: nurseCert.der, privateKey: nurseCert.privateKey, pin: CARD_PIN });
    const colleagueCard = new CpsCard({ certificateDer: colleagueCert.der, privateKey: colleagueCert.privateKey, pin: CARD_PIN });

    // Badge: enrolled for the nurse through the real enrolment, on a simulated channel.
    const masters = newMasters();
    const reg = tempRegister();
    cleanups.push(() => reg.dispose());
    const badge = new DesfireCard({ ev2: true, randomUid: true });
    await enrolBlankBadge(new SimulatedChannel(badge), { keys: kmsFor(masters), aid: AID, proof: twoFactor(), person: { id: NURSE.id, name: NURSE.name }, pin: Buffer.from(BADGE_PIN), register: reg.register });

    // FIDO2 key on the UDP CTAPHID simulator, enrolled for the nurse through the same transport.
    const fidoStore = new JsonFileEnrolmentStore(join(dir, 'fido-store.json'));
    const key: UdpCtapDevice = await startUdpCtapDevice({ handler: new SimAuthenticator({ pin: KEY_PIN }).handler, devicePort: 0, hostPort: 0 });
    cleanups.push(() => key.close());
    const t = await openCtapDevice(key.uri);
    try {
      await enrollFidoKey(t, { personEvent: twoFactor(), personId: NURSE.id, verification: { kind: 'pin', pin: Buffer.from(KEY_PIN) }, store: fidoStore });
    } finally {
      await t.close();
    }

    // The workstation key exists before the provider enrols it (the runtime loads the same file).
    const keyDir = join(dir, 'agent-keys');
    writeFileSync(join(dir, 'poste.pem'), (await loadOrCreateWorkstationKey(keyDir)).publicPem);
    const [issuerPort, providerPort, agentPort, collectorPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${issuerPort}`;
    const providerEvents: ProviderEvent[] = [];
    const provider: EmbeddedProvider = await startEmbeddedProvider({
      config: parseProviderConfig(
        {
          issuer,
          listen: { port: providerPort },
          keysDir: 'provider-keys',
          clients: [{ clientId: CLIENT_ID, redirectUris: ['http://127.0.0.1/callback'] }],
          agent: {
            assertionEndpoint: `http://127.0.0.1:${agentPort}/tessera/assert`,
            workstationKeys: [{ name: WORKSTATION, publicKeyFile: 'poste.pem' }],
            // The simulated shift lies up to a day in the real past; every authorization asks the agent.
            maxAuthAgeSeconds: 24 * 3600,
            reassertAfterSeconds: 0,
          },
          trustAnchors: ['anchors.pem'],
        },
        dir,
      ),
      log: (e) => providerEvents.push(e),
    });
    cleanups.push(() => provider.close());
    const relay = new Relay(issuerPort, providerPort);
    await relay.start();
    cleanups.push(() => relay.stop());
    const collector = new Collector(collectorPort);
    await collector.start();
    cleanups.push(() => collector.stop());

    const client = await OidcClient.discover({ issuer, clientId: CLIENT_ID, scopes: ['openid', 'profile', 'rpps', 'offline_access'], insecureLoopbackIssuer: true, requestTimeoutMs: 3000 });
    const start = Date.now() - 8 * 3600_000;
    const clock = new ManualClock(start);
    const auditDir = join(dir, 'audit');
    const keychain = new MemorySecretStore();
    const signIns: AutoSignInResult[] = [];
    const signInErrors: unknown[] = [];
    const ui = await startUiAgent({
      config: parseConfig(
        JSON.stringify({ session: { windowMinutes: WINDOW_MINUTES }, audit: { dir: auditDir }, control: { socketPath: join(dir, 'agent.sock') }, sso: { issuerUrl: issuer, clientId: CLIENT_ID } }),
        'scenario',
      ),
      workstation: WORKSTATION,
      clock,
      trust: TrustStore.fromPemFiles([join(dir, 'anchors.pem')]),
      monitor: new ReaderMonitor({ backoff: { initialMs: 100, maxMs: 400 } }),
      badge: { keys: kmsFor(masters), register: reg.register, aid: AID },
      fido: { store: fidoStore, devices: [key.uri], timeoutMs: 10_000 },
      probe: { timeoutMs: 1000, intervalMs: 50, backoff: { initialMs: 20, maxMs: 100 } },
      assertion: { keyDir, port: agentPort, providers: [issuer] },
      forwardSink: new HttpCollectorSink({ url: `http://127.0.0.1:${collectorPort}/audit`, timeoutMs: 1000 }),
      tokens: { store: keychain, source: oidcTokenSource(client) },
      autoSignIn: {
        client,
        opener: () => chromiumOpener(browser),
        subjectFor: rppsSubject,
        timeoutMs: 20_000,
        extraParams: { prompt: 'consent' },
        onSignedIn: (r) => signIns.push(r),
        onError: (e) => signInErrors.push(e),
      },
    });
    cleanups.push(() => ui.stop());

    let closing: Promise<void> | undefined;
    return { bed, ui, clock, start, issuer, auditDir, relay, collector, providerEvents, signIns, signInErrors, keychain, nurseCard, colleagueCard, badge, close: () => (closing ??= undo()) };
  } catch (e) {
    await undo();
    throw e;
  }
}
