/**
 * The web SSO from the configuration file alone: `tessera agent --config` (in process, through
 * the real pcscd) with `sso.issuerUrl`, `sso.clientId` and `sso.assertion.port`, the embedded
 * provider, the OS keychain on a private gnome-keyring and Debian Chromium as "the browser" that
 * follows the agent's `--browser print` lines.
 *
 * The agent starts while the provider is still down (degraded, and nothing discovered), the
 * provider comes up, a card + PIN opens the session, and the agent signs the person in by itself:
 * no prompt at the provider (the agent asserts the session), the ID token names the card's RPPS
 * number, the refresh token lands in the keychain, `tessera status` says signed in. Sign-out at
 * the agent drops the tokens (keychain item gone) and ends the provider's session.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Browser } from 'playwright-core';
import { ControlClient } from '../../../src/main/integrations/control/client.js';
import { OsKeychain } from '../../../src/main/integrations/keychain/index.js';
import { loadOrCreateWorkstationKey } from '../../../src/main/integrations/sso/assertion/index.js';
import { parseProviderConfig, startEmbeddedProvider, type EmbeddedProvider, type ProviderEvent } from '../../../src/main/integrations/sso/provider/index.js';
import { refreshAccount } from '../../../src/main/integrations/sso/tokens/index.js';
import { agentCommand } from '../../../src/main/shells/cli/commands/agent.js';
import { openTestBed, type TestBed } from '../../testbed/bed.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki } from '../../testbed/pki/test-pki.js';
import { startProcessSecretService, type ProcessSecretService } from '../../integrations/keychain/secret-service-bed.js';
import { CHROMIUM_MISSING, launchChromium } from '../../integrations/sso/client/fixtures/openers.js';
import { freePort } from '../../integrations/sso/provider/fixtures/sso-world.js';
import { until } from './until.js';

const RPPS = '10003456789';
const PERSON = `rpps:${RPPS}`;

describe('tessera agent --config: automatic web sign-in from sso.*', { skip: CHROMIUM_MISSING }, () => {
  let bed: TestBed;
  let dir: string;
  let secrets: ProcessSecretService;
  let browser: Browser;
  let provider: EmbeddedProvider | undefined;
  let stop: () => void = () => undefined;
  let exit: Promise<number>;
  let out = '';
  let issuer = '';
  let providerPort = 0;
  const opened: string[] = [];
  const providerEvents: ProviderEvent[] = [];

  const lines = (): Record<string, unknown>[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const status = async () => {
    const c = await ControlClient.connect(join(dir, 'agent.sock'), { timeoutMs: 3000 });
    try {
      return await c.status();
    } finally {
      c.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-agent-sso-'));
    secrets = await startProcessSecretService(dir);
    browser = await launchChromium();
    bed = await openTestBed();
    const pki = await getSharedTestPki();
    writeFileSync(join(dir, 'anchors.pem'), pki.caBundlePem, { mode: 0o600 });
    // IT enrols the workstation key at the provider: it exists before the agent first starts.
    const keyDir = join(dir, 'agent-keys');
    writeFileSync(join(dir, 'poste.pem'), (await loadOrCreateWorkstationKey(keyDir)).publicPem);
    providerPort = await freePort();
    const agentPort = await freePort();
    issuer = `http://127.0.0.1:${providerPort}`;
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        cps: { trustAnchors: ['anchors.pem'] },
        audit: { dir: 'audit' },
        control: { socketPath: join(dir, 'agent.sock') },
        sso: { issuerUrl: issuer, clientId: 'tessera-poste', scopes: ['openid', 'profile', 'rpps', 'offline_access'], requiredAmr: ['mfa'], signInTimeoutSeconds: 30, assertion: { port: agentPort, keyDir: 'agent-keys' } },
      }),
      { mode: 0o600 },
    );
    const stdout = new Writable({
      write: (c: Buffer, _e, cb) => {
        out += c.toString();
        cb();
      },
    });
    // "The browser": every `Open:` line the agent prints is followed in a fresh Chromium context.
    const stderr = new Writable({
      write: (c: Buffer, _e, cb) => {
        for (const m of c.toString().matchAll(/^Open: (\S+)$/gm)) {
          const url = m[1] ?? '';
          opened.push(url);
          void browser.newContext().then(async (ctx) => {
            const page = await ctx.newPage();
            await page.goto(url).catch(() => undefined);
            await page.waitForURL(/\/callback/, { timeout: 20_000 }).catch(() => undefined);
            await page.waitForLoadState('load').catch(() => undefined);
            await ctx.close();
          });
        }
        cb();
      },
    });
    exit = agentCommand({ json: true, lang: 'en', stdout, stderr }, [], {
      configPath: join(dir, 'config.json'),
      browser: 'print',
      pinPad: async () => Buffer.from('1234'),
      stopSignal: new Promise<void>((r) => (stop = r)),
    });
    await until('the agent to start', () => out.includes('"type":"started"'));
  });

  after(async () => {
    stop();
    await exit?.catch(() => 1);
    await provider?.close();
    await bed?.close();
    await browser?.close();
    await secrets?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the provider down: automatic sign-in and the assertion endpoint on, degraded, SSO signed out', async () => {
    const started = lines().find((l) => l['type'] === 'started');
    assert.equal(started?.['ssoAutoSignIn'], true);
    assert.match(String(started?.['assertionEndpoint']), /^http:\/\/127\.0\.0\.1:\d+\//);
    await until('the probe to see the provider down', async () => (await status()).degraded);
    const s = await status();
    assert.deepEqual(s.sso, { provider: `127.0.0.1:${providerPort}`, signedIn: false });
  });

  it('provider up, card + PIN: signed in with no prompt, sub = RPPS, amr from the card, refresh token in the keychain', async () => {
    provider = await startEmbeddedProvider({
      config: parseProviderConfig(
        {
          issuer,
          keysDir: 'provider-keys',
          clients: [{ clientId: 'tessera-poste', redirectUris: ['http://127.0.0.1/callback'] }],
          agent: { assertionEndpoint: String(lines().find((l) => l['type'] === 'started')?.['assertionEndpoint']), workstationKeys: [{ name: 'poste', publicKeyFile: 'poste.pem' }], requireCardSignature: true },
          trustAnchors: ['anchors.pem'],
        },
        dir,
      ),
      log: (e) => providerEvents.push(e),
    });
    await until('the probe to see the provider again', async () => !(await status()).degraded);
    const pki = await getSharedTestPki();
    const cert = await pki.issueCardCertificate({ rpps: RPPS, givenName: 'JEANNE', surname: 'MARTIN' });
    await bed.insert(0, new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' }));
    await until('the automatic sign-in', () => lines().some((l) => l['type'] === 'sso_signed_in' || l['type'] === 'sso_sign_in_failed'), 40_000);
    const signedIn = lines().find((l) => l['type'] === 'sso_signed_in');
    assert.ok(signedIn, JSON.stringify(lines().filter((l) => String(l['type']).startsWith('sso_'))));
    assert.equal(signedIn['person'], PERSON);
    // The card is held PIN-verified (sso.assertion.cardSignature defaults to true) and signed the proof: hwk.
    assert.deepEqual(signedIn['amr'], ['sc', 'hwk', 'pin', 'mfa']);
    assert.equal(opened.length, 1, 'one browser trip');
    assert.match(opened[0] ?? '', /code_challenge_method=S256/);
    assert.match(opened[0] ?? '', /prompt=consent/);
    assert.ok(providerEvents.some((e) => e.event === 'login' && e.account === RPPS), JSON.stringify(providerEvents));
    const s = await status();
    assert.equal(s.sso?.signedIn, true);
    assert.equal(s.session?.person, PERSON);
    const rt = await new OsKeychain().get(refreshAccount(PERSON));
    assert.ok(rt && rt.length > 0, 'the refresh token is in the keychain');
    assert.ok(!out.includes(rt.toString('utf8')), 'no token in the agent output');
    rt.fill(0);
  });

  it('sign-out at the agent: tokens dropped, keychain item deleted, the provider session ended', async () => {
    const c = await ControlClient.connect(join(dir, 'agent.sock'), { timeoutMs: 3000 });
    try {
      await c.request('signOut');
    } finally {
      c.close();
    }
    await until('the keychain item deleted', async () => (await new OsKeychain().get(refreshAccount(PERSON))) === undefined);
    await until('the provider logout', () => providerEvents.some((e) => e.event === 'agent_logout'));
    assert.equal((await status()).sso?.signedIn, false);
  });

  it('stops cleanly: exit 0', async () => {
    stop();
    assert.equal(await exit, 0);
  });
});
