/**
 * Windows machine policy reader (src/main/config/windows-registry.ts) on sample `reg query /s`
 * output (no Windows machine here): values, types, mapping onto configuration keys, refusals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, WindowsRegistrySource, loadEffectiveConfig, parseRegQuery, registryPolicyLayer, resolveLayers } from '../../src/main/config/index.js';
import { managedSettings } from '../../src/shared/managed-settings.js';

const SAMPLE = [
  '',
  'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera',
  '    Exi14WindowMinutes    REG_DWORD    0xf0',
  '    CardRemovalAction    REG_SZ    signout',
  '    IdleLockMinutes    REG_DWORD    0xa',
  '    FastUserSwitching    REG_DWORD    0x0',
  '    AllowUserSettings    REG_DWORD    0x0',
  '    AllowQuit    REG_DWORD    0x1',
  '    StartAtLogin    REG_DWORD    0x0',
  '    OidcIssuerUrl    REG_SZ    https://sso.chu-exemple.fr/realms/soignants',
  '    OidcClientId    REG_SZ    tessera agent',
  '    OidcLoopbackPort    REG_DWORD    0x21fc',
  '    OidcAutoSignIn    REG_DWORD    0x0',
  '    OidcAssertionPort    REG_DWORD    0x21fd',
  '    TrustAnchorFolder    REG_SZ    C:\\ProgramData\\Tessera\\anchors',
  '    AuditForwardingUrl    REG_SZ    https://collecteur.chu-exemple.fr/audit',
  '    Language    REG_SZ    en',
  '',
  '',
].join('\r\n');

function refused(fn: () => unknown, fragment: string | RegExp, problem?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    if (problem) assert.equal(e.problem, problem, e.message);
    assert.match(e.message, typeof fragment === 'string' ? new RegExp(fragment.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')) : fragment);
    return true;
  });
}

describe('Windows policy: reg query output', () => {
  it('parses keys, names, types and data (REG_DWORD as numbers, REG_SZ with spaces)', () => {
    const keys = parseRegQuery(SAMPLE);
    const root = keys.get('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera');
    assert.ok(root);
    assert.deepEqual(root.get('Exi14WindowMinutes'), { type: 'REG_DWORD', value: 240 });
    assert.deepEqual(root.get('OidcClientId'), { type: 'REG_SZ', value: 'tessera agent' });
    assert.deepEqual(root.get('OidcLoopbackPort'), { type: 'REG_DWORD', value: 8700 });
    assert.equal(root.size, 15);
  });

  it('maps every managed setting onto its configuration key, with the ADMX’s values', () => {
    const layer = registryPolicyLayer(SAMPLE);
    assert.equal(layer.values.size, Object.keys(managedSettings).length);
    const e = resolveLayers([layer], undefined, { skip: true });
    assert.equal(e.config.session.windowMinutes, 240);
    assert.equal(e.config.session.removalAction, 'sign_out');
    assert.equal(e.config.session.idleLockMinutes, 10);
    assert.equal(e.config.ui.allowUserSettings, false);
    assert.equal(e.config.session.fastUserSwitching, false);
    assert.equal(e.config.ui.allowQuit, true);
    assert.equal(e.config.ui.startAtLogin, false);
    assert.equal(e.config.ui.language, 'en');
    assert.equal(e.config.sso.loopbackPort, 8700);
    assert.equal(e.config.sso.autoSignIn, false);
    assert.equal(e.config.sso.assertion.port, 8701);
    assert.equal(e.config.cps.trustAnchorFolder, 'C:\\ProgramData\\Tessera\\anchors');
    assert.equal(e.config.audit.forwarding.httpUrl, 'https://collecteur.chu-exemple.fr/audit');
    assert.deepEqual(e.origins.get('session.removalAction'), { kind: 'policy', name: 'HKLM\\SOFTWARE\\Policies\\Tessera' });
  });

  it('an empty key and "End of search" lines are fine; an empty REG_SZ is read as ""', () => {
    const keys = parseRegQuery('\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera\n    OidcClientId    REG_SZ    \n\nEnd of search: 1 match(es) found.\n');
    assert.deepEqual(keys.get('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera')?.get('OidcClientId'), { type: 'REG_SZ', value: '' });
    assert.equal(registryPolicyLayer('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera\r\n\r\n').values.size, 0);
  });

  it('values out of range are refused by the schema, naming the key and the policy', () => {
    const text = SAMPLE.replace('0xf0', '0x2d1'); // 721 minutes
    refused(() => resolveLayers([registryPolicyLayer(text)], undefined, { skip: true }), 'HKLM\\SOFTWARE\\Policies\\Tessera: session.windowMinutes', 'config.out_of_range');
    const http = SAMPLE.replace('https://collecteur', 'http://collecteur');
    refused(() => resolveLayers([registryPolicyLayer(http)], undefined, { skip: true }), 'audit.forwarding.httpUrl', 'config.insecure_url');
  });

  it('refuses unknown value names, wrong native types, unknown choices, odd data and stray lines', () => {
    const head = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera\r\n';
    refused(() => registryPolicyLayer(`${head}    WindowMinutes    REG_DWORD    0x10\r\n`), 'WindowMinutes: unknown setting', 'config.unknown_key');
    refused(() => registryPolicyLayer(`${head}    Exi14WindowMinutes    REG_SZ    240\r\n`), 'Exi14WindowMinutes: wrong type', 'config.wrong_type');
    refused(() => registryPolicyLayer(`${head}    AllowQuit    REG_DWORD    0x2\r\n`), 'AllowQuit: wrong type', 'config.wrong_type');
    refused(() => registryPolicyLayer(`${head}    CardRemovalAction    REG_SZ    logoff\r\n`), 'lock | signout | none', 'config.not_allowed');
    refused(() => registryPolicyLayer(`${head}    CardRemovalAction    REG_DWORD    0x1\r\n`), 'CardRemovalAction', 'config.wrong_type');
    refused(() => registryPolicyLayer(`${head}    OidcClientId    REG_SZ    ${'x'.repeat(257)}\r\n`), 'at most 256', 'config.not_allowed');
    refused(() => registryPolicyLayer(`${head}    Exi14WindowMinutes    REG_DWORD    240\r\n`), 'REG_DWORD data', 'config.bad_source');
    refused(() => registryPolicyLayer(`${head}    Exi14WindowMinutes    REG_BINARY    f000\r\n`), 'REG_BINARY', 'config.bad_source');
    refused(() => registryPolicyLayer(`${head}garbage line\r\n`), 'unexpected line', 'config.bad_source');
    refused(() => registryPolicyLayer('    AllowQuit    REG_DWORD    0x1\r\n'), 'unexpected line', 'config.bad_source');
    refused(() => registryPolicyLayer(`${head}\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera\\Extra\r\n    AllowQuit    REG_DWORD    0x1\r\n`), 'unexpected subkey', 'config.bad_source');
    refused(() => registryPolicyLayer('x'.repeat((1 << 20) + 1)), 'larger than 1 MiB', 'config.bad_source');
  });

  it('reads through `reg query` (runner injected): an absent key is no policy, a failure is an error', () => {
    const calls: (readonly string[])[] = [];
    const src = new WindowsRegistrySource((args) => {
      calls.push(args);
      return { status: 0, stdout: SAMPLE, stderr: '' };
    });
    assert.equal(loadEffectiveConfig({ policySources: [src], security: { skip: true } }).config.session.removalAction, 'sign_out');
    assert.deepEqual(calls, [['query', 'HKLM\\SOFTWARE\\Policies\\Tessera', '/s']]);
    const absent = new WindowsRegistrySource(() => ({ status: 1, stdout: '', stderr: 'ERROR: The system was unable to find the specified registry key or value.\r\n' }));
    assert.equal(absent.read(), undefined);
    const broken = new WindowsRegistrySource(() => ({ status: 5, stdout: '', stderr: 'ERROR: Access is denied.' }));
    refused(() => broken.read(), 'Access is denied', 'config.bad_source');
  });

  it('random text never crashes the parser: it is read or refused with a ConfigError', () => {
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const alphabet = ['HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera', '    ', 'REG_DWORD', 'REG_SZ', '0x', 'f0', 'AllowQuit', 'Language', '\r\n', '\n', ' ', 'fr', 'x'];
    for (let i = 0; i < 500; i++) {
      const text = Array.from({ length: rnd(30) }, () => alphabet[rnd(alphabet.length)] ?? '').join('');
      try {
        registryPolicyLayer(text);
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${JSON.stringify(text)}: ${String(e)}`);
      }
    }
  });
});
