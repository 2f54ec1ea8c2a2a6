/**
 * Badge file codecs and the enrolment register: what a badge or a register file says is
 * untrusted, so every malformed input must be a typed error (never a crash, a hang or a
 * silently wrong identity). Fuzzed with fast-check.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  BadgeError,
  decodeIdentity,
  decodePinFile,
  encodeIdentity,
  encodePinFile,
  IDENTITY_FILE_SIZE,
  JsonEnrolmentRegister,
  PIN_FILE_SIZE,
  toBadgeError,
} from '../../../src/main/means/desfire/index.js';
import { DesfireError } from '../../../src/main/protocols/desfire/desfire-error.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import { KmsError } from '../../../src/main/integrations/kms/kms-error.js';
import { tempRegister } from './badge-fixture.js';

const ID = { personId: 'rpps:10001234567', enrolmentId: '00112233445566778899AABBCCDDEEFF', issuedAt: new Date('2026-03-02T07:00:00Z') };

function typed(fn: () => unknown, code = 'card_data_invalid'): void {
  assert.throws(fn, (e: unknown) => e instanceof BadgeError && e.code === code);
}

describe('identity file codec', () => {
  it('round-trips, fills exactly the 44-byte file, and keeps the person id and enrolment id', () => {
    const b = encodeIdentity(ID);
    assert.equal(b.length, IDENTITY_FILE_SIZE);
    assert.deepEqual(decodeIdentity(b), ID);
  });

  it('refuses to encode what would not fit or could not be read back', () => {
    typed(() => encodeIdentity({ ...ID, personId: 'x'.repeat(23) }), 'enrolment_refused');
    typed(() => encodeIdentity({ ...ID, personId: '' }), 'enrolment_refused');
    typed(() => encodeIdentity({ ...ID, personId: 'rpps 1000' }), 'enrolment_refused');
    typed(() => encodeIdentity({ ...ID, enrolmentId: 'abc' }), 'enrolment_refused');
  });

  it('reports each malformation as card_data_invalid', () => {
    const good = encodeIdentity(ID);
    typed(() => decodeIdentity(Buffer.alloc(0)));
    typed(() => decodeIdentity(Buffer.alloc(IDENTITY_FILE_SIZE))); // blank file: version 0
    const badVersion = Buffer.from(good);
    badVersion[0] = 2;
    typed(() => decodeIdentity(badVersion));
    const tooLong = Buffer.from(good);
    tooLong[1] = 40; // person id length overruns
    typed(() => decodeIdentity(tooLong));
    const zeroLen = Buffer.from(good);
    zeroLen[1] = 0;
    typed(() => decodeIdentity(zeroLen));
    const badUtf8 = Buffer.from(good);
    badUtf8[2] = 0xff;
    typed(() => decodeIdentity(badUtf8));
    const noEnrolment = Buffer.from(good);
    noEnrolment.fill(0, 2 + 16, 2 + 16 + 16);
    typed(() => decodeIdentity(noEnrolment));
  });

  it('fuzz: any byte string decodes to a valid identity or a card_data_invalid error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
        try {
          const id = decodeIdentity(Buffer.from(bytes));
          assert.match(id.personId, /^[A-Za-z0-9:._@-]{1,22}$/);
          assert.match(id.enrolmentId, /^[0-9A-F]{32}$/);
        } catch (e) {
          assert.ok(e instanceof BadgeError && e.code === 'card_data_invalid', String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('PIN verifier file codec', () => {
  const rec = { maxTries: 5, iterations: 20_000, salt: Buffer.alloc(16, 7), verifier: Buffer.alloc(32, 9) };

  it('round-trips in a 64-byte file', () => {
    const b = encodePinFile(rec);
    assert.equal(b.length, PIN_FILE_SIZE);
    assert.deepEqual(decodePinFile(b), rec);
  });

  it('bounds the iteration count and the tries so a forged file cannot make the agent spin', () => {
    const b = encodePinFile(rec);
    b.writeUInt32BE(0xffffffff, 2);
    typed(() => decodePinFile(b));
    b.writeUInt32BE(10, 2);
    typed(() => decodePinFile(b));
    const c = encodePinFile(rec);
    c[1] = 0;
    typed(() => decodePinFile(c));
    typed(() => decodePinFile(Buffer.alloc(10)));
  });

  it('fuzz: any byte string decodes within bounds or is card_data_invalid', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70 }), (bytes) => {
        try {
          const r = decodePinFile(Buffer.from(bytes));
          assert.ok(r.iterations >= 1000 && r.iterations <= 1_000_000 && r.maxTries >= 1 && r.maxTries <= 15);
        } catch (e) {
          assert.ok(e instanceof BadgeError && e.code === 'card_data_invalid', String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('error mapping to the badge family', () => {
  const cases: [unknown, string][] = [
    [new DesfireError('authentication_error', 'x', { sw: 0x91ae }), 'auth_failed'],
    [new DesfireError('no_such_key', 'x', { sw: 0x9140 }), 'auth_failed'],
    [new DesfireError('integrity', 'response MAC'), 'integrity'],
    [new DesfireError('integrity_error', 'x', { sw: 0x911e }), 'integrity'],
    [new DesfireError('application_not_found', 'x', { sw: 0x91a0 }), 'badge_not_enrolled'],
    [new DesfireError('chaining_limit', 'x'), 'card_data_invalid'],
    [new DesfireError('unexpected_status', 'x', { sw: 0x6e00 }), 'card_error'],
    [new PcscError('card_removed', 'x'), 'card_removed'],
    [new PcscError('no_card', 'x'), 'no_card'],
    [new Error('boom'), 'card_error'],
  ];
  for (const [e, code] of cases) {
    it(`${(e as Error).constructor.name}(${(e as { code?: string }).code ?? 'plain'}) → ${code}`, () => {
      const m = toBadgeError(e);
      assert.ok(m instanceof BadgeError);
      assert.equal(m.code, code);
    });
  }

  it('keeps KMS and daemon errors as they are (already typed, other layers)', () => {
    const k = new KmsError('kms_unavailable', 'token gone');
    assert.equal(toBadgeError(k), k);
    const d = new PcscError('daemon_unavailable', 'down');
    assert.equal(toBadgeError(d), d);
  });

  it('status words stay in the log message, never in the code', () => {
    const m = toBadgeError(new DesfireError('authentication_error', 'auth', { sw: 0x91ae }));
    assert.match(m.message, /SW=91AE/);
  });
});

describe('JSON enrolment register', () => {
  const reg = tempRegister();
  after(() => reg.dispose());
  const record = {
    enrolmentId: 'AB'.repeat(16), personId: 'rpps:1', name: 'A', uid: '04'.repeat(7), aid: 'F51230', keyVersion: 1,
    enrolledAt: '2026-03-02T07:00:00.000Z', enrolledBy: 'rpps:1', proofMeans: 'cps',
  };

  it('records, finds, re-keys and revokes; a second object on the same file sees the changes', () => {
    reg.register.record(record);
    const other = new JsonEnrolmentRegister(reg.path);
    assert.deepEqual(other.find(record.enrolmentId), record);
    assert.equal(other.isRevoked(record.enrolmentId), false);
    reg.register.setKeyVersion(record.enrolmentId, 2);
    assert.equal(other.find(record.enrolmentId)?.keyVersion, 2);
    reg.register.revoke({ enrolmentId: record.enrolmentId, revokedAt: 'now', revokedBy: 'op', reason: 'lost' });
    assert.equal(other.isRevoked(record.enrolmentId), true);
    assert.throws(() => reg.register.record(record), (e: unknown) => e instanceof BadgeError && e.code === 'register_invalid');
  });

  it('refuses a register others can write, bad JSON and bad fields with register_invalid', () => {
    const bad = (content: string, mode = 0o600): void => {
      writeFileSync(reg.path, content);
      chmodSync(reg.path, mode);
      assert.throws(() => new JsonEnrolmentRegister(reg.path).find('AB'.repeat(16)), (e: unknown) => e instanceof BadgeError && e.code === 'register_invalid');
    };
    bad(JSON.stringify({ version: 1, enrolments: [], revoked: [] }), 0o666);
    bad('{');
    bad(JSON.stringify({ version: 2, enrolments: [], revoked: [] }));
    bad(JSON.stringify({ version: 1, enrolments: [{ ...record, enrolmentId: 'short' }], revoked: [] }));
    bad(JSON.stringify({ version: 1, enrolments: [{ ...record, keyVersion: 300 }], revoked: [] }));
    bad(JSON.stringify({ version: 1, enrolments: [], revoked: [{ enrolmentId: 'AB'.repeat(16) }] }));
  });
});
