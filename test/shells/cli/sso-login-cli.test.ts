/**
 * `tessera sso login` end to end: the real binary in a child process with `--browser print`;
 * the test follows the printed `Open:` line with Chromium (real provider) or fetch (hostile
 * provider), or plays an attacker. Every exit code: 0, 12, 13, 14, 11, 1.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_ACCOUNT, TEST_CONFIDENTIAL_CLIENT } from '../../integrations/sso/client/fixtures/test-provider.js';
import { startHostileProvider, type HostileProvider } from '../../integrations/sso/client/fixtures/hostile-provider.js';
import { CHROMIUM_MISSING } from '../../integrations/sso/client/fixtures/openers.js';
import { issueLoopbackTls, type LoopbackTls } from '../../integrations/sso/client/fixtures/tls.js';
import { freePort, useProviderAndChromium } from '../../integrations/sso/client/fixtures/helpers.js';

const BIN = resolve(import.meta.dirname, '../../../../bin/tessera');

/** Plays the browser (or an attacker) once the CLI printed its authorization URL. */
type Follow = (url: string, child: ChildProcess) => Promise<unknown>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
  /** The authorization URL the CLI printed, if any. */
  opened: string | undefined;
}

/**
 * Runs `tessera sso login ...`; `follow` gets the printed authorization URL (exactly one
 * `Open: ` line is expected) and plays the browser.
 */
function ssoLogin(args: string[], follow?: Follow, lang = 'fr', extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return tessera(['sso', 'login', ...args], follow, lang, extraEnv);
}

function tessera(args: string[], follow?: Follow, lang = 'fr', extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_LANG: lang, ...extraEnv };
    delete env['TESSERA_CONFIG'];
    if (!('NODE_EXTRA_CA_CERTS' in extraEnv)) delete env['NODE_EXTRA_CA_CERTS'];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let opened: string | undefined;
    const following: Promise<unknown>[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /^Open: (\S+)$/m.exec(stderr);
      if (m && opened === undefined) {
        opened = m[1];
        if (follow && opened) following.push(follow(opened, child).catch(() => undefined));
      }
    });
    child.once('error', fail);
    child.once('close', (code) => {
      void Promise.all(following).then(() => {
        let json: Record<string, unknown> | undefined;
        try {
          json = stdout.trim() ? (JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>) : undefined;
        } catch {
          json = undefined;
        }
        done({ code, stdout, stderr, json, opened });
      });
    });
  });
}

/** No token, and nothing that looks like a JWT, on stdout or stderr. */
function assertNoTokens(run: Run): void {
  for (const out of [run.stdout, run.stderr]) {
    assert.doesNotMatch(out, /eyJ[A-Za-z0-9_-]{10,}\./, 'a JWT was printed');
    assert.doesNotMatch(out, /"(access_token|id_token|refresh_token|accessToken|idToken)"\s*:/);
  }
}

describe('tessera sso login against a real provider, Chromium following the printed URL', { skip: CHROMIUM_MISSING }, () => {
  const bed = useProviderAndChromium();
  const follow = async (url: string): Promise<void> => {
    const context = await bed.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
    } finally {
      await context.close();
    }
  };
  const base = (): string[] => ['--issuer', bed.provider.issuer, '--client-id', bed.provider.clientId, '--insecure-loopback-issuer', '--browser', 'print', '--timeout', '30'];

  it('exit 0: ok, claims with sub, idTokenValid; one Open: line; no token printed', async () => {
    const run = await ssoLogin([...base(), '--scope', 'openid profile', '--acr', 'urn:tessera:acr:2fa', '--json'], follow);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json?.['ok'], true);
    assert.equal(run.json?.['idTokenValid'], true);
    const claims = run.json?.['claims'] as Record<string, unknown>;
    assert.equal(claims['sub'], TEST_ACCOUNT);
    assert.equal(claims['acr'], 'urn:tessera:acr:2fa');
    assert.equal(run.json?.['issuer'], bed.provider.issuer);
    assert.equal(run.json?.['refreshToken'], true);
    assert.equal(run.stderr.split('\n').filter((l) => l.startsWith('Open: ')).length, 1);
    const auth = new URL(run.opened ?? '');
    assert.equal(auth.searchParams.get('scope'), 'openid profile');
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assertNoTokens(run);
  });

  it('exit 0 without --json: one French line naming the person', async () => {
    const run = await ssoLogin(base(), follow);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Connecté au SSO ${bed.provider.issuer} : ${TEST_ACCOUNT} \\(urn:tessera:acr:2fa, hwk\\+pin\\+mfa\\)\\.\\n$`));
    assertNoTokens(run);
  });

  it('exit 0 as a confidential client, the secret read from the variable --client-secret-env names; exit 1 when it is unset', async () => {
    const args = ['--issuer', bed.provider.issuer, '--client-id', TEST_CONFIDENTIAL_CLIENT.id, '--insecure-loopback-issuer', '--browser', 'print', '--timeout', '30', '--json', '--client-secret-env', 'TESSERA_TEST_SSO_SECRET'];
    const run = await ssoLogin(args, follow, 'fr', { TESSERA_TEST_SSO_SECRET: TEST_CONFIDENTIAL_CLIENT.secret });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((run.json?.['claims'] as Record<string, unknown>)['aud'], TEST_CONFIDENTIAL_CLIENT.id);
    assert.doesNotMatch(run.stdout + run.stderr, new RegExp(TEST_CONFIDENTIAL_CLIENT.secret));
    const unset = await ssoLogin(args);
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /TESSERA_TEST_SSO_SECRET is not set/);
  });

  it('exit 12: the provider refuses (access_denied), said on stderr', async () => {
    bed.provider.script.deny = true;
    try {
      const run = await ssoLogin([...base(), '--json'], follow);
      assert.equal(run.code, 12, run.stderr);
      assert.equal(run.json?.['error'], 'sso_provider_error');
      assert.match(run.stderr, /Le fournisseur d’identité a refusé la connexion : access_denied \(refusé par le test\)/);
    } finally {
      bed.provider.script.deny = false;
    }
  });

  it('exit 14: a forged callback (wrong state) and nothing else', async () => {
    const forge = async (url: string): Promise<void> => {
      const redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
      await fetch(`${redirect}?code=forged&state=forged`);
    };
    const run = await ssoLogin([...base().slice(0, -1), '2', '--json'], forge);
    assert.equal(run.code, 14, run.stderr);
    assert.equal(run.json?.['error'], 'sso_state_mismatch');
  });

  it('exit 13: nobody signs in before --timeout', async () => {
    const run = await ssoLogin([...base().slice(0, -1), '1', '--json']);
    assert.equal(run.code, 13, run.stderr);
    assert.equal(run.json?.['error'], 'sso_timeout');
    assert.match(run.stderr, /Connexion non terminée dans le délai imparti/);
  });

  it('Ctrl-C while waiting: sso_cancelled, exit 1, and the loopback port is closed', async () => {
    let redirect = '';
    const interrupt: Follow = (url, child) => {
      redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
      child.kill('SIGINT');
      return Promise.resolve();
    };
    const run = await ssoLogin([...base(), '--json'], interrupt);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.json?.['error'], 'sso_cancelled');
    await assert.rejects(fetch(redirect), /fetch failed/);
  });

  it('exit 1: the fixed --port is taken (sso_port_in_use), before any URL is printed', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    try {
      const run = await ssoLogin([...base(), '--port', String((squatter.address() as AddressInfo).port), '--json']);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.json?.['error'], 'sso_port_in_use');
      assert.equal(run.opened, undefined);
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });
});

describe('tessera sso login: validation failures, provider down, configuration and usage', () => {
  let hostile: HostileProvider;
  let dir: string;
  const follow = (url: string): Promise<unknown> => fetch(url).then((r) => r.text());
  before(async () => {
    hostile = await startHostileProvider();
    dir = mkdtempSync(join(tmpdir(), 'tessera-sso-cli-'));
  });
  after(async () => {
    await hostile?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exit 14: an ID token signed by a key the provider does not publish (English on request)', async () => {
    hostile.script.tamper = 'bad_signature';
    try {
      const run = await ssoLogin(['--issuer', hostile.issuer, '--client-id', hostile.clientId, '--insecure-loopback-issuer', '--browser', 'print', '--timeout', '10', '--json'], follow, 'en');
      assert.equal(run.code, 14, run.stderr);
      assert.equal(run.json?.['error'], 'sso_id_token_invalid');
      assert.equal(run.json?.['reason'], 'signature');
      assert.match(run.stderr, /Invalid ID token \(signature\): sign-in refused\./);
      assertNoTokens(run);
    } finally {
      hostile.script.tamper = 'none';
    }
  });

  it('exit 14: an ID token carrying another nonce; issuer and client from the configuration file', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ sso: { issuerUrl: hostile.issuer, clientId: hostile.clientId, scopes: ['openid'] } }), { mode: 0o600 });
    hostile.script.tamper = 'wrong_nonce';
    try {
      const run = await ssoLogin(['--config', config, '--insecure-loopback-issuer', '--browser', 'print', '--timeout', '10', '--json'], follow);
      assert.equal(run.code, 14, run.stderr);
      assert.equal(run.json?.['reason'], 'nonce');
    } finally {
      hostile.script.tamper = 'none';
    }
  });

  it('exit 12: nothing listens at the issuer (sso_provider_unreachable)', async () => {
    const run = await ssoLogin(['--issuer', `http://127.0.0.1:${await freePort()}`, '--client-id', 'c', '--insecure-loopback-issuer', '--browser', 'print', '--json']);
    assert.equal(run.code, 12, run.stderr);
    assert.equal(run.json?.['error'], 'sso_provider_unreachable');
    assert.match(run.stderr, /Fournisseur d’identité injoignable/);
  });

  it('exit 1: an http issuer without the explicit option; usage errors', async () => {
    const [insecure, noIssuer, badBrowser, badPort] = await Promise.all([
      ssoLogin(['--issuer', hostile.issuer, '--client-id', 'c', '--browser', 'print', '--json']),
      ssoLogin(['--client-id', 'c', '--json']),
      ssoLogin(['--issuer', 'https://idp.example', '--client-id', 'c', '--browser', 'lynx']),
      ssoLogin(['--issuer', 'https://idp.example', '--client-id', 'c', '--port', '80']),
    ]);
    assert.equal(insecure.code, 1);
    assert.equal(insecure.json?.['error'], 'sso_config_invalid');
    assert.equal(noIssuer.code, 1);
    assert.equal(noIssuer.json?.['error'], 'usage');
    assert.equal(badBrowser.code, 1);
    assert.match(badBrowser.stderr, /--browser must be system or print/);
    assert.equal(badPort.code, 1);
    assert.match(badPort.stderr, /--port must be an integer from 1024 to 65535/);
  });

  it('tessera sso provider is routed to the embedded provider; an unknown sso command is a usage error', async () => {
    const [provider, unknown] = await Promise.all([tessera(['sso', 'provider', '--json']), tessera(['sso', 'logon', '--json'])]);
    assert.equal(provider.code, 1);
    assert.match(provider.stderr, /--config <file> is required/);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.json?.['error'], 'usage');
    assert.match(unknown.stderr, /unknown sso command: logon/);
  });

  it('exit 11: an invalid configuration file names the field', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ sso: { issuerUrl: 'ftp://idp.example', clientId: 'c' } }), { mode: 0o600 });
    const run = await ssoLogin(['--config', config, '--json']);
    assert.equal(run.code, 11, run.stderr);
    assert.match(run.stderr, /sso\.issuerUrl/);
  });
});

describe('tessera sso login over https (certificate from the test PKI), no insecure option', { skip: CHROMIUM_MISSING }, () => {
  let tls: LoopbackTls | undefined;
  const bed = useProviderAndChromium(async () => {
    tls = await issueLoopbackTls();
    return { tls };
  });
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-sso-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const args = (): string[] => ['--issuer', bed.provider.issuer, '--client-id', bed.provider.clientId, '--browser', 'print', '--timeout', '30', '--json'];

  it('exit 0 when Node trusts the provider\'s CA (NODE_EXTRA_CA_CERTS, the standard way to add an establishment CA)', async () => {
    assert.match(bed.provider.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = join(dir, 'root.pem');
    writeFileSync(ca, tls?.rootPem ?? '');
    const follow = async (url: string): Promise<void> => {
      // The browser leg only: the test browser does not know the test root; the client under test does.
      const context = await bed.browser.newContext({ ignoreHTTPSErrors: true });
      try {
        await (await context.newPage()).goto(url);
      } finally {
        await context.close();
      }
    };
    const run = await ssoLogin(args(), follow, 'fr', { NODE_EXTRA_CA_CERTS: ca });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((run.json?.['claims'] as Record<string, unknown>)['sub'], TEST_ACCOUNT);
  });

  it('exit 12 when the provider\'s CA is not trusted: sso_provider_unreachable naming the TLS error', async () => {
    const run = await ssoLogin(args());
    assert.equal(run.code, 12, run.stderr);
    assert.equal(run.json?.['error'], 'sso_provider_unreachable');
    assert.match(String(run.json?.['reason']), /CERT|ISSUER|SELF_SIGNED|LEAF/);
  });
});
