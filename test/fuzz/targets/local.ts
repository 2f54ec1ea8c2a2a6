/**
 * Fuzz targets for local input: control channel lines (both directions), configuration sources
 * (JSON files, macOS plist XML, `reg query` output) and audit logs (lines, whole files with
 * random corruptions, verification and the repair on open).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ConfigError, JsonFileSource, parseConfig, parsePlistXml, plistPolicyLayer, parseRegQuery, registryPolicyLayer } from '../../../src/main/config/index.js';
import { AuditError, AuditLog, parseRecordLine, verifyAuditFile } from '../../../src/main/integrations/audit/index.js';
import { CONTROL_METHODS, jsonDepth, MAX_JSON_DEPTH, MAX_LINE_BYTES, parseRequestLine, parseServerLine } from '../../../src/main/integrations/control/protocol.js';
import { defaultArbitrary, expected, TempFolder, textArbitrary, typed, typedAsync, type FuzzTarget } from '../harness.js';

const WIRE_CODES = ['line_too_long', 'bad_json', 'too_deep', 'bad_request', 'unknown_method', 'bad_params'];

const requestLike = fc
  .record({
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 140 }), fc.constant(null), fc.double()),
    method: fc.oneof(fc.constantFrom(...CONTROL_METHODS, 'toString', '__proto__', 'constructor'), fc.string({ maxLength: 10 })),
    params: fc.oneof(fc.constant(undefined), fc.object({ maxDepth: 3 }), fc.record({ events: fc.array(fc.constantFrom('status', 'decision', 'degraded', 'readers', 'x', ''), { maxLength: 5 }) })),
  }, { requiredKeys: [] })
  .map((r) => JSON.stringify(r));
const deep = fc.integer({ min: 1, max: 2000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`);

export const controlLineTarget: FuzzTarget = {
  name: 'control-line',
  description: 'control channel lines: parseRequestLine (agent side: size, depth before JSON.parse, shape, method, params) and parseServerLine (client side)',
  runs: 1000,
  seeds: () => Promise.resolve(['{"id":1,"method":"status"}', '{"id":"a","method":"subscribe","params":{"events":["decision"]}}', '{"id":2,"ok":true,"result":{"state":"active"}}', '{"event":"decision","data":{}}'].map((s) => Buffer.from(s))),
  arbitrary: (seeds) => textArbitrary(seeds, [requestLike, deep]),
  check(input) {
    const line = input.toString('utf8');
    const r = parseRequestLine(line);
    if (r.ok) {
      assert.ok((CONTROL_METHODS as readonly string[]).includes(r.request.method));
      assert.ok(Buffer.byteLength(line) <= MAX_LINE_BYTES);
    } else {
      assert.ok(WIRE_CODES.includes(r.code), `code ${r.code}`);
      assert.ok(r.message.length <= 200, 'error message echoes too much of the line');
    }
    if (r.ok) assert.ok(jsonDepth(line) <= MAX_JSON_DEPTH, 'a request nested deeper than allowed was accepted');
    parseServerLine(line);
  },
};

const CONFIG_ERRORS = [expected(ConfigError, ['config_invalid'])];
const configObject = fc
  .record({
    session: fc.dictionary(fc.constantFrom('windowMinutes', 'removalAction', 'fastUserSwitching', 'x'), fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))),
    cps: fc.dictionary(fc.constantFrom('trustAnchors', 'y'), fc.oneof(fc.array(fc.string()), fc.string())),
    ui: fc.dictionary(fc.constantFrom('language', 'allowUserSettings'), fc.oneof(fc.constantFrom('fr', 'en', 'de'), fc.boolean())),
  }, { requiredKeys: [] })
  .map((o) => JSON.stringify(o));

const configDir = new TempFolder('tessera-fuzz-config-');
let configCounter = 0;

export const configTarget: FuzzTarget = {
  name: 'config-json',
  description: 'configuration JSON (parseConfig) and the configuration file loader (JsonFileSource: any file contents)',
  runs: 300,
  seeds: () => Promise.resolve([Buffer.from('{"session":{"windowMinutes":240},"ui":{"language":"fr"}}'), Buffer.from('{"cps":{"trustAnchors":[]}}')]),
  arbitrary: (seeds) => textArbitrary(seeds, [configObject]),
  setup: async () => configDir.create(),
  teardown: async () => configDir.remove(),
  check(input) {
    typed(() => parseConfig(input.toString('utf8'), 'fuzz.json'), CONFIG_ERRORS);
    if (!configDir.path) return;
    const file = path.join(configDir.path, `c${configCounter++ % 8}.json`);
    writeFileSync(file, input);
    chmodSync(file, 0o600);
    typed(() => new JsonFileSource('policy', file, { required: true }).read(), CONFIG_ERRORS);
  },
};

const plistLike = fc
  .array(fc.constantFrom('<plist>', '</plist>', '<dict>', '</dict>', '<key>WindowMinutes</key>', '<key>Language</key>', '<integer>240</integer>', '<string>fr</string>', '<true/>', '<false/>', '<array>', '</array>', '<data>QUJD</data>', '<date>2026-01-01T00:00:00Z</date>', '<real>1.5</real>', '<!-- c -->', '<![CDATA[x]]>', '&amp;', '&#x41;', '<', '>', ' '), { maxLength: 40 })
  .map((parts) => parts.join(''));

export const plistTarget: FuzzTarget = {
  name: 'config-plist',
  description: 'macOS managed preferences: the XML property list reader and its mapping to settings',
  runs: 800,
  seeds: () => Promise.resolve([Buffer.from('<?xml version="1.0"?><!DOCTYPE plist><plist version="1.0"><dict><key>WindowMinutes</key><integer>240</integer><key>Language</key><string>fr</string></dict></plist>')]),
  arbitrary: (seeds) => textArbitrary(seeds, [plistLike]),
  check(input) {
    const xml = input.toString('utf8');
    typed(() => parsePlistXml(xml, 'fuzz.plist'), CONFIG_ERRORS);
    typed(() => plistPolicyLayer(xml, 'fuzz.plist'), CONFIG_ERRORS);
  },
};

const regLike = fc
  .array(fc.constantFrom('HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera', '    WindowMinutes    REG_DWORD    0xf0', '    Language    REG_SZ    fr', '    X    REG_QWORD    0xffffffffffffffff', '    Y    REG_BINARY    00', 'End of search: 2 match(es) found.', '', '\r'), { maxLength: 12 })
  .map((lines) => lines.join('\r\n'));

export const registryTarget: FuzzTarget = {
  name: 'config-registry',
  description: 'Windows Group Policy: `reg query /s` output parsing and its mapping to settings',
  runs: 1000,
  seeds: () => Promise.resolve([Buffer.from('\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Tessera\r\n    WindowMinutes    REG_DWORD    0xf0\r\n    Language    REG_SZ    fr\r\n\r\n')]),
  arbitrary: (seeds) => textArbitrary(seeds, [regLike]),
  check(input) {
    const text = input.toString('utf8');
    typed(() => parseRegQuery(text, 'HKLM\\fuzz'), CONFIG_ERRORS);
    typed(() => registryPolicyLayer(text, 'HKLM\\fuzz'), CONFIG_ERRORS);
  },
};

const auditDir = new TempFolder('tessera-fuzz-audit-');
let pristine: Buffer | undefined;
let auditCounter = 0;
const AUDIT_FILE = 'audit-000001.jsonl';

async function pristineLog(): Promise<Buffer> {
  if (pristine) return pristine;
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-fuzz-audit-seed-'));
  try {
    const log = await AuditLog.open({ dir, workstation: 'PC-URG-01', onWarning: () => undefined, clock: () => new Date('2026-11-23T07:00:00Z') });
    await log.append({ event: 'auth_succeeded', decision: 'allow', reason: 'two_factor_ok', means: 'cps', factors: ['possession', 'knowledge'], person: 'rpps:10001234567', details: { reader: 'Tessera Virtual PCD 00 00' } });
    await log.append({ event: 'session_locked', decision: 'lock', reason: 'card_removed', means: 'cps', person: 'rpps:10001234567' });
    await log.append({ event: 'reidentification', decision: 'unlock', reason: 'exi14_tap', means: 'desfire', factors: ['possession'], person: 'rpps:10001234567', details: { badgeUid: '04782E21801D80' } });
    await log.append({ event: 'auth_failed', decision: 'deny', reason: 'wrong_pin', means: 'cps', details: { errorCode: 'wrong_pin', retriesLeft: 2 } });
    await log.close();
    pristine = readFileSync(path.join(dir, AUDIT_FILE));
    return pristine;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const auditTarget: FuzzTarget = {
  name: 'audit-log',
  description: 'audit files with random corruptions: record line parsing, chain verification (never a throw), repair or refusal on open',
  runs: 250,
  seeds: async () => [await pristineLog()],
  arbitrary: (seeds) => defaultArbitrary(seeds, 2048),
  async setup() {
    auditDir.create();
    await pristineLog();
  },
  teardown: async () => auditDir.remove(),
  async check(input) {
    for (const line of input.toString('utf8').split('\n').slice(0, 64)) {
      const p = parseRecordLine(line);
      assert.ok(p.ok || p.problem === 'malformed' || p.problem === 'altered');
    }
    if (!auditDir.path) return;
    const dir = path.join(auditDir.path, String(auditCounter++));
    mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, AUDIT_FILE);
    writeFileSync(file, input, { mode: 0o600 });
    try {
      const v = await typedAsync(() => verifyAuditFile(file), [expected(AuditError, ['audit_io'])]);
      if (input.equals(pristine ?? Buffer.alloc(0))) assert.ok(v.ok && v.value.ok, 'the pristine log does not verify');
      const opened = await typedAsync(
        () => AuditLog.open({ dir, workstation: 'PC-URG-01', onWarning: () => undefined }),
        [expected(AuditError, ['audit_log_corrupt', 'audit_io'])],
      );
      if (opened.ok) {
        await opened.value.append({ event: 'session_locked', decision: 'lock', reason: 'card_removed', means: 'cps', person: 'rpps:10001234567' });
        await opened.value.close();
        // what the log accepted to continue, it continued into a chain that verifies from where it resumed
        const after = await verifyAuditFile(file, { allowPrunedStart: true });
        if (v.ok && v.value.ok) assert.ok(after.ok, `a verifying log no longer verifies after one append: ${after.ok ? '' : after.detail}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const LOCAL_TARGETS: readonly FuzzTarget[] = [controlLineTarget, configTarget, plistTarget, registryTarget, auditTarget];
