/**
 * The embedded provider's configuration file and key storage: every broken field is named, the
 * keys are created 0600 in a 0700 folder and reused across restarts, insecure permissions stop
 * the start, and `tessera sso provider --config` runs, prints where it listens and stops on a
 * signal (in process, with the command's own stop hook).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { loadProviderConfig, parseProviderConfig, startEmbeddedProvider, SIGNING_KEYS_FILE, COOKIE_KEYS_FILE } from '../../../../src/main/integrations/sso/provider/index.js';
import { SsoError } from '../../../../src/main/integrations/sso/sso-error.js';
import { runSsoProvider } from '../../../../src/main/shells/cli/commands/sso-provider.js';
import type { CliContext } from '../../../../src/main/shells/cli/cli-output.js';
import { freePort } from './fixtures/sso-world.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-provider-config-'));
after(() => rmSync(root, { recursive: true, force: true }));

const minimal = (port = 8443): Record<string, unknown> => ({
  issuer: `http://127.0.0.1:${port}`,
  keysDir: 'keys',
  clients: [{ clientId: 'dpi', redirectUris: ['http://127.0.0.1/callback'] }],
});

const fieldError = (field: string) => (e: unknown) => e instanceof SsoError && e.code === 'sso_config_invalid' && e.reason === field;

describe('provider configuration', () => {
  it('accepts a minimal file with defaults (PKCE public native client, lifetimes, acr rules)', () => {
    const c = parseProviderConfig(minimal(), '/etc/tessera');
    assert.equal(c.keysDir, '/etc/tessera/keys');
    assert.equal(c.clients[0]?.applicationType, 'native');
    assert.equal(c.tokens.accessTokenSeconds, 600);
    assert.equal(c.agent.maxAuthAgeSeconds, 14_400);
    assert.deepEqual(c.acr.rules, [{ amr: ['mfa'], acr: 'urn:tessera:acr:2fa' }]);
    assert.equal(c.agent.requireCardSignature, false);
  });

  it('agent.requireCardSignature is accepted with trust anchors only', () => {
    assert.equal(parseProviderConfig({ ...minimal(), agent: { requireCardSignature: true }, trustAnchors: ['anchors.pem'] }, root).agent.requireCardSignature, true);
  });

  const broken: Array<[string, (c: Record<string, unknown>) => unknown]> = [
    ['issuer', (c) => ({ ...c, issuer: undefined })],
    ['issuer', (c) => ({ ...c, issuer: 'http://sso.hopital.fr' })],
    ['issuer', (c) => ({ ...c, issuer: 'https://sso.hopital.fr/realms/x' })],
    ['issuer', (c) => ({ ...c, issuer: 'https://sso.hopital.fr/' })],
    ['colour', (c) => ({ ...c, colour: 'blue' })],
    ['clients', (c) => ({ ...c, clients: [] })],
    ['clients.0.redirectUris.0', (c) => ({ ...c, clients: [{ clientId: 'dpi', redirectUris: ['http://dpi.hopital.fr/cb'] }] })],
    ['clients.0.clientSecret', (c) => ({ ...c, clients: [{ clientId: 'web', applicationType: 'web', redirectUris: ['https://dpi.hopital.fr/cb'] }] })],
    ['clients.1.clientId', (c) => ({ ...c, clients: [{ clientId: 'dpi', redirectUris: ['http://127.0.0.1/cb'] }, { clientId: 'dpi', redirectUris: ['http://127.0.0.1/cb'] }] })],
    ['tokens.accessTokenSeconds', (c) => ({ ...c, tokens: { accessTokenSeconds: 5 } })],
    ['agent.assertionEndpoint', (c) => ({ ...c, agent: { assertionEndpoint: 'http://evil.example:1/tessera/assert' } })],
    ['agent.workstationKeys.0.publicKeyFile', (c) => ({ ...c, agent: { workstationKeys: [{ name: 'p1' }] } })],
    ['acr.rules.0.amr', (c) => ({ ...c, acr: { rules: [{ amr: [], acr: 'x' }] } })],
    ['agent.requireCardSignature', (c) => ({ ...c, agent: { requireCardSignature: true } })],
    ['agent.requireCardSignature', (c) => ({ ...c, agent: { requireCardSignature: 'yes' } })],
  ];
  for (const [field, change] of broken) {
    it(`names the field: ${field}`, () => {
      assert.throws(() => parseProviderConfig(change(minimal()), root), fieldError(field));
    });
  }

  it('an unreadable or non-JSON file is sso_config_invalid', () => {
    assert.throws(() => loadProviderConfig(join(root, 'absent.json')), fieldError('file'));
    writeFileSync(join(root, 'broken.json'), '{ "issuer": ');
    assert.throws(() => loadProviderConfig(join(root, 'broken.json')), fieldError('file'));
  });
});

describe('provider keys on disk', () => {
  it('creates the signing and cookie keys 0600 in a 0700 folder, reuses them after a restart', async () => {
    const dir = mkdtempSync(join(root, 'keys-'));
    const port = await freePort();
    const config = parseProviderConfig(minimal(port), dir);
    const p1 = await startEmbeddedProvider({ config });
    const jwks1 = (await (await fetch(`${p1.issuer}/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> };
    await p1.close();
    assert.equal(statSync(config.keysDir).mode & 0o777, 0o700);
    for (const f of [SIGNING_KEYS_FILE, COOKIE_KEYS_FILE]) assert.equal(statSync(join(config.keysDir, f)).mode & 0o777, 0o600, f);
    assert.ok(jwks1.keys.length >= 2 && jwks1.keys.every((k) => k.d === undefined), 'public keys only');
    const p2 = await startEmbeddedProvider({ config });
    const jwks2 = (await (await fetch(`${p2.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    await p2.close();
    assert.deepEqual(jwks2.keys.map((k) => k.kid), jwks1.keys.map((k) => k.kid));
  });

  it('refuses to start when the key folder or a key file is open to others', async () => {
    const dir = mkdtempSync(join(root, 'open-'));
    const config = parseProviderConfig(minimal(await freePort()), dir);
    const p = await startEmbeddedProvider({ config });
    await p.close();
    chmodSync(join(config.keysDir, SIGNING_KEYS_FILE), 0o644);
    await assert.rejects(startEmbeddedProvider({ config }), (e: unknown) => e instanceof SsoError && e.code === 'sso_key_storage_insecure');
    chmodSync(join(config.keysDir, SIGNING_KEYS_FILE), 0o600);
    chmodSync(config.keysDir, 0o755);
    await assert.rejects(startEmbeddedProvider({ config }), (e: unknown) => e instanceof SsoError && e.code === 'sso_key_storage_insecure');
  });

  it('refuses an enrolled workstation key file that holds no public key', async () => {
    const dir = mkdtempSync(join(root, 'ws-'));
    writeFileSync(join(dir, 'ws.pem'), 'garbage');
    const config = parseProviderConfig({ ...minimal(await freePort()), agent: { workstationKeys: [{ name: 'p1', publicKeyFile: 'ws.pem' }] } }, dir);
    await assert.rejects(startEmbeddedProvider({ config }), fieldError('agent.workstationKeys.0.publicKeyFile'));
  });
});

describe('tessera sso provider', () => {
  function ctx(json: boolean): CliContext & { out: () => string; err: () => string } {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    return { json, lang: 'fr', stdout, stderr, out: () => out, err: () => err };
  }

  it('runs from the file, prints where it listens, serves discovery, stops on the signal (exit 0)', async () => {
    const dir = mkdtempSync(join(root, 'cli-'));
    const port = await freePort();
    writeFileSync(join(dir, 'provider.json'), JSON.stringify(minimal(port)));
    const c = ctx(true);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const run = runSsoProvider(c, ['--config', join(dir, 'provider.json')], () => stopped);
    for (let i = 0; i < 200 && !c.out().includes('\n'); i++) await new Promise((r) => setTimeout(r, 10));
    const line = JSON.parse(c.out().split('\n')[0] ?? '{}') as { ok: boolean; listening: string; issuer: string };
    assert.deepEqual(line, { ok: true, listening: `http://127.0.0.1:${port}`, issuer: `http://127.0.0.1:${port}` });
    const discovery = (await (await fetch(`${line.issuer}/.well-known/openid-configuration`)).json()) as { code_challenge_methods_supported: string[]; issuer: string };
    assert.equal(discovery.issuer, line.issuer);
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
    stop();
    assert.equal(await run, 0);
    await assert.rejects(fetch(`${line.issuer}/.well-known/openid-configuration`));
  });

  it('a broken file: exit 11, one French line naming the field; JSON names it too', async () => {
    const dir = mkdtempSync(join(root, 'cli-bad-'));
    writeFileSync(join(dir, 'provider.json'), JSON.stringify({ ...minimal(), tokens: { idTokenSeconds: 'long' } }));
    const c = ctx(false);
    assert.equal(await runSsoProvider(c, ['--config', join(dir, 'provider.json')], () => Promise.resolve()), 11);
    assert.match(c.err(), /^tessera: Configuration SSO inutilisable : .*tokens\.idTokenSeconds/);
    const j = ctx(true);
    assert.equal(await runSsoProvider(j, ['--config', join(dir, 'provider.json')], () => Promise.resolve()), 11);
    assert.equal((JSON.parse(j.out()) as { field: string }).field, 'tokens.idTokenSeconds');
  });

  it('without --config: usage error (exit 1)', async () => {
    const c = ctx(false);
    assert.equal(await runSsoProvider(c, [], () => Promise.resolve()), 1);
    assert.match(c.err(), /--config/);
  });
});

describe('tessera sso provider as a child process', () => {
  const BIN = resolve(import.meta.dirname, '../../../../../bin/tessera');

  function spawnProvider(args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_LANG: 'fr' };
    delete env['TESSERA_CONFIG'];
    const child = spawn(process.execPath, [BIN, 'sso', 'provider', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // 'close', not 'exit': the exit can come before the last stdout/stderr bytes are read.
    const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    return { child, exit, out: () => stdout, err: () => stderr };
  }

  it('prints where it listens in French, serves, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(root, 'child-'));
    const port = await freePort();
    writeFileSync(join(dir, 'provider.json'), JSON.stringify(minimal(port)));
    const p = spawnProvider(['--config', join(dir, 'provider.json')]);
    const deadline = Date.now() + 20_000;
    while (!p.out().includes('\n') && Date.now() < deadline && p.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    assert.match(p.out(), new RegExp(`^Fournisseur d’identité Tessera à l’écoute sur http://127\\.0\\.0\\.1:${port} `), `stdout: ${p.out()} stderr: ${p.err()}`);
    assert.equal((await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).status, 200);
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0);
  });

  it('a broken file: exit 11 and the field named on stderr, nothing listening', async () => {
    const dir = mkdtempSync(join(root, 'child-bad-'));
    writeFileSync(join(dir, 'provider.json'), JSON.stringify({ ...minimal(), clients: [{ clientId: 'dpi', redirectUris: ['ftp://x/cb'] }] }));
    const p = spawnProvider(['--config', join(dir, 'provider.json'), '--lang', 'en']);
    assert.equal(await p.exit, 11);
    // (On Node 20 oidc-provider also prints its "Unsupported runtime" warning; production runs Node 22+.)
    assert.match(p.err(), /^tessera: Unusable SSO configuration: .*clients\.0\.redirectUris\.0/m);
    assert.equal(p.out(), '');
  });
});
