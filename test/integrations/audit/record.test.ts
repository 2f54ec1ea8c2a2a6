/**
 * Audit records: the closed field set (secret-named fields refused by the types and at run time,
 * secret-looking values refused), canonical JSON, and the record hash.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import {
  AuditError,
  canonicalJson,
  checkAuditInput,
  GENESIS_HASH,
  hashBody,
  looksSecret,
  parseRecordLine,
  recordLine,
  sealRecord,
  auditInputFromAuthEvent,
  type AuditDetails,
  type AuditInput,
  type AuditRecord,
  type SecretKeysOf,
} from '../../../src/main/integrations/audit/index.js';

const base: AuditInput = { event: 'auth_succeeded', decision: 'allow', reason: 'two_factor_ok', means: 'cps', factors: ['possession', 'knowledge'], person: 'rpps:10001234567' };
const ctx = { seq: 1, prev: GENESIS_HASH, workstation: 'PC-URG-01', now: new Date('2026-11-23T08:00:00.000Z') };

const refused = (fn: () => unknown, field: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof AuditError && e.code === 'audit_record_invalid' && field.test(e.message));

describe('audit record: no PIN, key or token by construction', () => {
  it('the types have no field named like a secret, and the detector finds one when present', () => {
    const none: [SecretKeysOf<AuditRecord>, SecretKeysOf<AuditInput>, SecretKeysOf<AuditDetails>] extends [never, never, never] ? true : false = true;
    assert.equal(none, true);
    const found: SecretKeysOf<{ userPin: string; apiKey: string; accessToken: string; clientSecret: string; name: string }> = 'userPin';
    const all: Array<SecretKeysOf<{ userPin: string; apiKey: string; accessToken: string; clientSecret: string; name: string }>> = ['userPin', 'apiKey', 'accessToken', 'clientSecret'];
    assert.equal(found, 'userPin');
    assert.equal(all.length, 4);
    // @ts-expect-error: `name` is not named like a secret, so it is not in the set
    const notSecret: SecretKeysOf<{ name: string }> = 'name';
    assert.equal(notSecret, 'name');
  });

  it('an input with a pin field does not compile and is refused at run time', () => {
    // @ts-expect-error: a PIN is not an audit field
    const withPin: AuditInput = { ...base, pin: '1234' };
    refused(() => checkAuditInput(withPin), /pin: .*never recorded/);
    // @ts-expect-error: no token in details
    const withToken: AuditInput = { ...base, details: { accessToken: 'abc' } };
    refused(() => checkAuditInput(withToken), /details\.accessToken: .*never recorded/);
    for (const name of ['pin', 'userPIN', 'key', 'masterKey', 'token', 'id_token', 'secret', 'password']) {
      refused(() => checkAuditInput({ ...base, details: { [name]: 'x' } } as unknown as AuditInput), new RegExp(`details\\.${name}`));
      refused(() => checkAuditInput({ ...base, [name]: 'x' } as unknown as AuditInput), new RegExp(`^audit field ${name}`));
    }
  });

  it('unknown fields are refused, not passed through', () => {
    refused(() => checkAuditInput({ ...base, note: 'hello' } as unknown as AuditInput), /note: unknown field/);
    refused(() => checkAuditInput({ ...base, details: { comment: 'x' } } as unknown as AuditInput), /details\.comment: unknown field/);
  });

  it('free-text values that look like a PIN, key or token are refused', () => {
    assert.equal(looksSecret('Tessera Virtual PCD 00 00'), false);
    assert.equal(looksSecret('PC-URG-0042'), false);
    for (const v of ['1234', ' 987654 ', '00112233445566778899AABBCCDDEEFF', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig', 'A'.repeat(44), '-----BEGIN PRIVATE KEY-----']) {
      assert.equal(looksSecret(v), true, v);
      refused(() => checkAuditInput({ ...base, details: { reader: v } }), /details\.reader: value looks like/);
    }
  });

  it('each field has its own format', () => {
    refused(() => checkAuditInput({ ...base, person: 'rpps:123' }), /person: an RPPS number has 11 digits/);
    refused(() => checkAuditInput({ ...base, reason: 'Two factors OK!' }), /reason/);
    refused(() => checkAuditInput({ ...base, factors: ['possession', 'possession'] }), /factors/);
    refused(() => checkAuditInput({ ...base, event: 'coffee' as 'auth_failed' }), /event/);
    refused(() => checkAuditInput({ ...base, details: { retriesLeft: 1.5 } }), /retriesLeft/);
    refused(() => checkAuditInput({ ...base, details: { certificateSha256: 'ABC' } }), /certificateSha256/);
    assert.deepEqual(checkAuditInput({ ...base, person: 'local:jdupont' }).person, 'local:jdupont');
  });

  it('an AuthEvent becomes an input with the public parts of its proof only', () => {
    const input = auditInputFromAuthEvent(
      { means: 'cps', factors: ['possession', 'knowledge'], subject: { id: 'rpps:10001234567', name: 'Jeanne Dupont' }, proof: { kind: 'card-signature', challenge: 'aa'.repeat(32), certificateSha256: 'AB'.repeat(32) }, at: new Date('2026-11-23T08:00:00Z'), reader: 'Tessera Virtual PCD 00 00' },
      'allow',
      'two_factor_ok',
    );
    const r = sealRecord(input, ctx);
    assert.equal(r.details?.certificateSha256, 'ab'.repeat(32));
    assert.equal(r.time, '2026-11-23T08:00:00.000Z');
    assert.ok(!recordLine(r).includes('aa'.repeat(32)), 'the challenge is not recorded');
  });
});

describe('audit record: canonical JSON and hash', () => {
  it('sorts keys at every depth, drops undefined, refuses non-integers', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: undefined } }), '{"a":{"d":[true,null,"x"]},"b":1}');
    assert.throws(() => canonicalJson({ a: 1.5 }), AuditError);
  });

  it('the hash is the SHA-256 of the canonical body and the line parses back to the same record', () => {
    const r = sealRecord({ ...base, details: { reader: 'Lecteur 1', retriesLeft: 3 } }, ctx);
    const { hash, ...body } = r;
    assert.equal(hash, createHash('sha256').update(canonicalJson(body as unknown as Parameters<typeof canonicalJson>[0])).digest('hex'));
    assert.equal(hashBody(r), r.hash);
    const line = recordLine(r);
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    assert.ok(line.indexOf('"decision"') < line.indexOf('"event"') && line.indexOf('"event"') < line.indexOf('"workstation"'));
    const back = parseRecordLine(line.slice(0, -1));
    assert.ok(back.ok);
    assert.deepEqual(back.record, r);
    assert.equal(r.prev, GENESIS_HASH);
  });

  it('a changed byte, a non-canonical spacing or an extra field is caught when parsing', () => {
    const line = recordLine(sealRecord(base, ctx)).slice(0, -1);
    const edited = parseRecordLine(line.replace('"allow"', '"deny"'));
    assert.equal(edited.ok ? 'ok' : edited.problem, 'altered');
    const spaced = parseRecordLine(line.replace('"decision":', '"decision": '));
    assert.equal(spaced.ok ? 'ok' : spaced.problem, 'altered');
    const extra = parseRecordLine(line.replace('{', '{"pin":"1234",'));
    assert.equal(extra.ok ? 'ok' : extra.problem, 'malformed');
    const garbage = parseRecordLine('{"v":1,"seq":');
    assert.equal(garbage.ok ? 'ok' : garbage.problem, 'malformed');
  });
});
