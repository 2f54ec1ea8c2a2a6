/**
 * The configuration schema (src/main/config/schema.ts) through `parseConfig`: defaults, every
 * key accepted, and every invalid case a `ConfigError` naming the field and the allowed values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../src/main/config/config.js';
import { ALLOWED, SETTING_PATHS, agentConfigSchema, isLoopbackHost, sessionEngineSettings, unflattenSettings } from '../../src/main/config/index.js';
import { configAllowed, message } from '../../src/main/i18n/messages.js';
import { resolveEngineConfig } from '../../src/main/session/engine/index.js';

/** Builds `{ a: { b: value } }` from `a.b`. */
function at(path: string, value: unknown): string {
  const parts = path.split('.');
  let v: unknown = value;
  for (const p of parts.reverse()) v = { [p]: v };
  return JSON.stringify(v);
}

function rejects(text: string, field: string, problem: string | readonly string[], allowedFragment?: string): void {
  assert.throws(
    () => parseConfig(text, 'policy.json'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      assert.equal(e.code, 'config_invalid');
      assert.equal(e.field, field, `${text}: ${e.message}`);
      assert.ok(typeof problem === 'string' ? e.problem === problem : problem.includes(e.problem ?? ''), `${text}: ${e.problem ?? ''} ${e.message}`);
      assert.ok(e.message.includes(field), e.message);
      assert.ok(e.message.startsWith('policy.json: '), e.message);
      if (allowedFragment) assert.ok(e.allowed?.includes(allowedFragment), `${field} allowed "${e.allowed ?? ''}" should mention ${allowedFragment}`);
      return true;
    },
    text,
  );
}

describe('configuration schema: defaults and valid settings', () => {
  it('an empty document gives the documented defaults', () => {
    const c = parseConfig('{}', 'policy.json');
    assert.deepEqual(c, {
      session: { windowMinutes: 240, removalAction: 'lock', fastUserSwitching: true },
      cps: { trustAnchors: [] },
      desfire: { applicationAid: 'F51230', operators: [] },
      fido2: { rpId: 'tessera.local' },
      audit: { dir: '/var/lib/tessera/audit', rotation: { maxFileBytes: 16_777_216, daily: true }, forwarding: { queueMaxBytes: 67_108_864 } },
      sso: { scopes: ['openid'], acrValues: [], requiredAmr: [], autoSignIn: true, signInTimeoutSeconds: 120, subjectClaim: 'sub', browserLogout: true, assertion: { keyDir: '/var/lib/tessera/agent-keys', providers: [], cardSignature: true } },
      ui: { language: 'fr', notifications: true, allowUserSettings: true, allowQuit: true, startAtLogin: true },
      control: {},
      tokenBroker: { applications: [], audiences: [] },
    });
  });

  it('a complete configuration is read as written', () => {
    const full = {
      session: { windowMinutes: 720, removalAction: 'none', idleLockMinutes: 480, fastUserSwitching: false },
      cps: { trustAnchors: ['/etc/tessera/igc-sante.pem'], trustAnchorFolder: '/etc/tessera/anchors' },
      desfire: { kmsConfigPath: '/etc/tessera/kms.json', applicationAid: 'f51231', enrolmentRegisterPath: '/var/lib/tessera/badges.json', operators: ['rpps:10001234567'] },
      fido2: { enrolmentStorePath: '/var/lib/tessera/fido.json', rpId: 'sso.chu-exemple.fr' },
      audit: { dir: '/var/log/tessera', rotation: { maxFileBytes: 65_536, daily: false }, forwarding: { httpUrl: 'https://collecteur.chu-exemple.fr/audit', syslog: 'syslog.chu-exemple.fr:6514', queueMaxBytes: 65_536 } },
      sso: {
        issuerUrl: 'https://sso.chu-exemple.fr/realms/soignants',
        clientId: 'tessera-agent',
        loopbackPort: 8700,
        scopes: ['openid', 'profile'],
        acrValues: ['eidas2'],
        requiredAmr: ['mfa'],
        autoSignIn: false,
        signInTimeoutSeconds: 900,
        subjectClaim: 'preferred_username',
        browserLogout: false,
        assertion: { port: 8701, keyDir: '/var/lib/tessera/cles-poste', providers: ['https://sso.chu-exemple.fr/realms/soignants', 'https://psc.example/auth'], cardSignature: false },
      },
      ui: { language: 'en', notifications: false, allowUserSettings: false, allowQuit: false, startAtLogin: false },
      control: { socketPath: '/run/tessera/agent.sock' },
      tokenBroker: {
        applications: [{ path: '/opt/dpi/bin/dpi-client', sha256: 'ab'.repeat(32), audiences: ['https://dpi.chu-exemple.fr/api'] }],
        audiences: [{ audience: 'https://dpi.chu-exemple.fr/api', resource: 'https://dpi.chu-exemple.fr/api', scope: ['dpi.read'] }],
      },
    };
    assert.deepEqual(parseConfig(JSON.stringify(full), 'policy.json'), full);
  });

  it('bounds are inclusive: 1 and 720 minutes, ports 1024 and 65535', () => {
    assert.equal(parseConfig(at('session.windowMinutes', 1), 'p').session.windowMinutes, 1);
    assert.equal(parseConfig(at('session.windowMinutes', 720), 'p').session.windowMinutes, 720);
    assert.equal(parseConfig(at('session.idleLockMinutes', 1), 'p').session.idleLockMinutes, 1);
    assert.equal(parseConfig('{"sso":{"loopbackPort":1024}}', 'p').sso.loopbackPort, 1024);
    assert.equal(parseConfig('{"sso":{"loopbackPort":65535}}', 'p').sso.loopbackPort, 65535);
  });

  it('plain http is accepted only towards this machine', () => {
    for (const url of ['http://127.0.0.1:8080/audit', 'http://localhost/x', 'http://[::1]:9000/', 'http://127.8.9.10/']) {
      assert.equal(parseConfig(at('audit.forwarding.httpUrl', url), 'p').audit.forwarding.httpUrl, url);
    }
    assert.equal(isLoopbackHost('127.0.0.1.evil.fr'), false);
    assert.equal(isLoopbackHost('localhost.evil.fr'), false);
  });

  it('maps onto the session engine’s settings, which the engine accepts', () => {
    const c = parseConfig('{"session":{"windowMinutes":90,"removalAction":"none","idleLockMinutes":5}}', 'p');
    const s = sessionEngineSettings(c);
    assert.deepEqual(s, { exi14WindowMs: 5_400_000, onCardRemoval: 'nothing', idleLockMs: 300_000 });
    assert.deepEqual(resolveEngineConfig(s), { exi14WindowMs: 5_400_000, onCardRemoval: 'nothing', idleLockMs: 300_000, workstation: 'local' });
    assert.equal(sessionEngineSettings(parseConfig('{}', 'p')).idleLockMs, undefined);
    assert.equal(sessionEngineSettings(parseConfig(at('session.removalAction', 'sign_out'), 'p')).onCardRemoval, 'sign_out');
  });
});

describe('configuration schema: every invalid case names the field and what is allowed', () => {
  const cases: [string, unknown, string, string?][] = [
    ['session.windowMinutes', 0, 'config.out_of_range', '1–720'],
    ['session.windowMinutes', 721, 'config.out_of_range', '1–720'],
    ['session.windowMinutes', 1.5, 'config.wrong_type', '1–720'],
    ['session.windowMinutes', '240', 'config.wrong_type', '1–720'],
    ['session.windowMinutes', null, 'config.wrong_type', '1–720'],
    ['session.removalAction', 'signout', 'config.not_allowed', 'lock | sign_out | none'],
    ['session.removalAction', 'LOCK', 'config.not_allowed', 'lock | sign_out | none'],
    ['session.removalAction', 1, 'config.not_allowed', 'lock | sign_out | none'],
    ['session.idleLockMinutes', 0, 'config.out_of_range', '1–480'],
    ['session.idleLockMinutes', 481, 'config.out_of_range', '1–480'],
    ['session.idleLockMinutes', 'x', 'config.wrong_type', '1–480'],
    ['session.fastUserSwitching', 'yes', 'config.wrong_type', 'true | false'],
    ['session.fastUserSwitching', 1, 'config.wrong_type', 'true | false'],
    ['cps.trustAnchorFolder', '', 'config.not_allowed', 'folder'],
    ['desfire.applicationAid', 'F5123', 'config.not_allowed', '6 hex digits'],
    ['desfire.applicationAid', 'ZZZZZZ', 'config.not_allowed', '6 hex digits'],
    ['desfire.applicationAid', 'F5123000', 'config.not_allowed', '6 hex digits'],
    ['desfire.kmsConfigPath', 3, 'config.wrong_type', 'file path'],
    ['desfire.enrolmentRegisterPath', '', 'config.not_allowed', 'file path'],
    ['desfire.operators', 'rpps:10001234567', 'config.wrong_type', 'subject ids'],
    ['fido2.enrolmentStorePath', [], 'config.wrong_type', 'file path'],
    ['fido2.rpId', 'Tessera.Local', 'config.not_allowed', 'domain'],
    ['fido2.rpId', 'a..b', 'config.not_allowed', 'domain'],
    ['fido2.rpId', '-x.fr', 'config.not_allowed', 'domain'],
    ['audit.dir', '', 'config.not_allowed', 'folder'],
    ['audit.rotation.maxFileBytes', 1000, 'config.out_of_range', '65536'],
    ['audit.rotation.maxFileBytes', 2 ** 31, 'config.out_of_range', '1073741824'],
    ['audit.rotation.daily', 'no', 'config.wrong_type', 'true | false'],
    ['audit.forwarding.httpUrl', 'http://collecteur.chu-exemple.fr/audit', 'config.insecure_url', 'https://'],
    ['audit.forwarding.httpUrl', 'http://127.0.0.1.evil.fr/', 'config.insecure_url', 'https://'],
    ['audit.forwarding.httpUrl', 'ftp://collecteur.chu-exemple.fr/', 'config.insecure_url', 'https://'],
    ['audit.forwarding.httpUrl', 'collecteur', 'config.wrong_type', 'https://'],
    ['audit.forwarding.syslog', 'syslog.chu-exemple.fr', 'config.wrong_type', 'host:port'],
    ['audit.forwarding.syslog', 'syslog:0', 'config.wrong_type', 'host:port'],
    ['audit.forwarding.syslog', 'syslog:70000', 'config.wrong_type', 'host:port'],
    ['audit.forwarding.syslog', ':514', 'config.wrong_type', 'host:port'],
    ['audit.forwarding.queueMaxBytes', 10, 'config.out_of_range', '65536'],
    ['sso.issuerUrl', 'http://sso.chu-exemple.fr', 'config.insecure_url', 'https://'],
    ['sso.loopbackPort', 80, 'config.out_of_range', '1024–65535'],
    ['sso.loopbackPort', 70000, 'config.out_of_range', '1024–65535'],
    ['sso.scopes', ['profile'], 'config.not_allowed', 'openid'],
    ['sso.scopes', [], 'config.not_allowed', 'openid'],
    ['sso.clientId', '', 'config.not_allowed', '1–256'],
    ['ui.language', 'de', 'config.not_allowed', 'fr | en'],
    ['ui.allowUserSettings', 'false', 'config.wrong_type', 'true | false'],
    ['ui.allowQuit', null, 'config.wrong_type', 'true | false'],
    ['control.socketPath', '', 'config.not_allowed', 'socket path'],
  ];
  for (const [field, value, problem, allowed] of cases) {
    it(`${field} = ${JSON.stringify(value)} → ${problem}`, () => rejects(at(field, value), field, problem, allowed));
  }

  it('array items are named with their index', () => {
    rejects('{"cps":{"trustAnchors":["a.pem",""]}}', 'cps.trustAnchors[1]', 'config.not_allowed', 'PEM');
    rejects('{"sso":{"scopes":["openid","a b"]}}', 'sso.scopes[1]', 'config.not_allowed', 'scope');
    rejects(JSON.stringify({ cps: { trustAnchors: Array.from({ length: 65 }, (_, i) => `/a/${i}.pem`) } }), 'cps.trustAnchors', 'config.not_allowed', '64');
    rejects(JSON.stringify({ desfire: { operators: ['rpps 1000'] } }), 'desfire.operators[0]', 'config.not_allowed', 'subject ids');
  });

  it('a missing setting that another one requires: sso.clientId with sso.issuerUrl', () => {
    rejects('{"sso":{"issuerUrl":"https://sso.chu-exemple.fr"}}', 'sso.clientId', 'config.wrong_type', 'required with sso.issuerUrl');
  });

  it('unknown keys, at every level, name the key and list the known ones', () => {
    rejects('{"sesion":{}}', 'sesion', 'config.unknown_key', 'session, cps, desfire, fido2, audit, sso, ui, control');
    rejects('{"session":{"window":10}}', 'session.window', 'config.unknown_key', 'windowMinutes');
    rejects('{"audit":{"forwarding":{"url":"https://x"}}}', 'audit.forwarding.url', 'config.unknown_key', 'httpUrl, syslog, queueMaxBytes');
    rejects('{"cps":{"trustAnchors":[],"__proto__":{"x":1}}}', 'cps.__proto__', 'config.unknown_key', 'trustAnchors');
  });

  it('sections of the wrong type', () => {
    rejects('{"session":5}', 'session', 'config.wrong_type', 'windowMinutes');
    rejects('{"audit":{"rotation":[]}}', 'audit.rotation', 'config.wrong_type', 'maxFileBytes');
    rejects('{"ui":null}', 'ui', 'config.wrong_type', 'language');
    rejects('[]', '(top level)', 'config.wrong_type', 'session');
  });

  it('every key of the table is validated (a value of the wrong type is refused, naming that key)', () => {
    for (const path of SETTING_PATHS) {
      rejects(at(path, { wrong: true }), path, ['config.wrong_type', 'config.not_allowed'], ALLOWED[path]);
    }
  });

  it('every key of the table exists in the schema', () => {
    const everything = new Map<(typeof SETTING_PATHS)[number], unknown>();
    const parsedDefaults = agentConfigSchema.parse({});
    assert.ok(parsedDefaults);
    for (const path of SETTING_PATHS) everything.set(path, undefined);
    assert.doesNotThrow(() => agentConfigSchema.parse(unflattenSettings(everything)));
  });

  it('every key’s allowed values read in French and English, the English as in the error (one table each, kept equal)', () => {
    for (const path of SETTING_PATHS) {
      assert.equal(configAllowed(path, 'en'), ALLOWED[path], path);
      assert.ok((configAllowed(path, 'fr') ?? '').length > 0, path);
    }
    assert.equal(configAllowed('constructor', 'fr'), undefined);
  });

  it('each problem reads in French and in English with the field and the allowed values', () => {
    for (const problem of ['config.unknown_key', 'config.wrong_type', 'config.out_of_range', 'config.not_allowed', 'config.insecure_url', 'config.insecure_file']) {
      const fr = message(problem, 'fr', { field: 'session.windowMinutes', allowed: '1–720' });
      const en = message(problem, 'en', { field: 'session.windowMinutes', allowed: '1–720' });
      for (const t of [fr, en]) assert.ok(t.includes('session.windowMinutes') && t.includes('1–720'), t);
      assert.notEqual(fr, en);
    }
  });
});

describe('docs/configuration.md', () => {
  it('documents every key of the schema', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    for (const path of SETTING_PATHS) assert.ok(doc.includes(`| \`${path}\` |`), `docs/configuration.md lacks a row for ${path}`);
  });
});

describe('configuration parsing never crashes', () => {
  it('any JSON value: a configuration or a ConfigError (fast-check)', () => {
    const sectionKeys = ['session', 'cps', 'desfire', 'fido2', 'audit', 'sso', 'ui', 'control', 'rotation', 'forwarding', 'windowMinutes', 'language', 'trustAnchors', 'httpUrl', '__proto__'];
    const value = fc.letrec((tie) => ({
      any: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), tie('obj')),
      obj: fc.dictionary(fc.constantFrom(...sectionKeys), tie('any'), { maxKeys: 4 }),
    })).any;
    fc.assert(
      fc.property(value, (v) => {
        try {
          const c = parseConfig(JSON.stringify(v), 'p');
          assert.ok(c.session.windowMinutes >= 1 && c.session.windowMinutes <= 720);
        } catch (e) {
          assert.ok(e instanceof ConfigError, String(e));
          assert.ok(e.message.length > 0);
        }
      }),
      { numRuns: 500, seed: 5 },
    );
  });
});
