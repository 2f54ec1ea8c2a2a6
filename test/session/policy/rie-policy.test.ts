/**
 * The RIE table, one test per row of DOMAIN.md's table (named after the row), then the rules
 * around it and the coherence checks that refuse events whose factors contradict their proof.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Factor } from '../../../src/main/means/auth-event.js';
import { classify, classifyPresentation, provenFactors } from '../../../src/main/session/policy/classify.js';
import { presentationOf, type Presentation } from '../../../src/main/session/policy/presentation.js';
import { DOMAIN_TABLE_ROWS, RIE_RULES } from '../../../src/main/session/policy/rie-rules.js';
import { RIE_REASONS, isReasonCode } from '../../../src/main/session/policy/reasons.js';
import { ALICE, T0, badgePin, cpsPin, fido, tap, uidOnly } from './fixtures.js';

/** DOMAIN.md's table, verbatim, with its verdict. */
const DOMAIN_ROWS: readonly (readonly [string, boolean])[] = [
  ['CPS contact chip in a reader, certificate read + PIN', true],
  ['Contactless card with a **cryptographic exchange** + PIN', true],
  ['Contactless card with a cryptographic exchange + the user\'s session password', true],
  ['Contactless card where only a UID / serial number / identifier is read, + PIN or password', false],
  ['FIDO2 key + PIN', true],
  ['FIDO2 key + biometrics on the key', true],
  ['FIDO2 key inserted, no user verification', false],
  ['FIDO2 key + touch (user presence only)', false],
];

const rowOf = (reason: string): string | null | undefined => RIE_RULES.find((r) => r.reason === reason)?.row;

describe('RIE table: one test per DOMAIN.md row', () => {
  it('CPS contact chip in a reader, certificate read + PIN → yes', () => {
    const c = classify(cpsPin(ALICE, T0));
    assert.equal(c.classification, 'two_factor');
    assert.equal(c.reason, 'rie.cps_pin');
    assert.equal(c.rule?.row, DOMAIN_ROWS[0]?.[0]);
  });

  it('Contactless card with a cryptographic exchange + PIN → yes', () => {
    const c = classify(badgePin(ALICE, T0));
    assert.equal(c.classification, 'two_factor');
    assert.equal(c.reason, 'rie.badge_crypto_pin');
    assert.equal(c.rule?.row, DOMAIN_ROWS[1]?.[0]);
  });

  it('Contactless card with a cryptographic exchange + the user\'s session password → yes', () => {
    const c = classify(badgePin(ALICE, T0), { knowledge: 'session_password' });
    assert.equal(c.classification, 'two_factor');
    assert.equal(c.reason, 'rie.badge_crypto_session_password');
    assert.equal(c.rule?.row, DOMAIN_ROWS[2]?.[0]);
  });

  it('Contactless card where only a UID / serial number / identifier is read, + PIN or password → no', () => {
    for (const v of ['pin', 'session_password', 'none'] as const) {
      const c = classify(uidOnly(ALICE, T0, v));
      assert.equal(c.classification, 'refused', v);
      assert.equal(c.reason, 'rie.badge_uid_only', v);
      assert.equal(c.rule?.row, DOMAIN_ROWS[3]?.[0]);
    }
  });

  it('FIDO2 key + PIN → yes', () => {
    const c = classify(fido(ALICE, T0, ['possession', 'knowledge'], true));
    assert.equal(c.classification, 'two_factor');
    assert.equal(c.reason, 'rie.fido_pin');
    assert.equal(c.rule?.row, DOMAIN_ROWS[4]?.[0]);
  });

  it('FIDO2 key + biometrics on the key → yes', () => {
    const c = classify(fido(ALICE, T0, ['possession', 'inherence'], true));
    assert.equal(c.classification, 'two_factor');
    assert.equal(c.reason, 'rie.fido_biometric');
    assert.equal(c.rule?.row, DOMAIN_ROWS[5]?.[0]);
  });

  it('FIDO2 key inserted, no user verification → no', () => {
    const c = classify(fido(ALICE, T0, ['possession'], false), { userPresent: false });
    assert.equal(c.classification, 'refused');
    assert.equal(c.reason, 'rie.fido_no_uv');
    assert.equal(c.rule?.row, DOMAIN_ROWS[6]?.[0]);
  });

  it('FIDO2 key + touch (user presence only) → no', () => {
    const c = classify(fido(ALICE, T0, ['possession'], false));
    assert.equal(c.classification, 'refused');
    assert.equal(c.reason, 'rie.fido_touch_only');
    assert.equal(c.rule?.row, DOMAIN_ROWS[7]?.[0]);
  });

  it('the rules carry exactly the rows of the table, in order, with the table\'s verdicts', () => {
    assert.deepEqual(DOMAIN_TABLE_ROWS, DOMAIN_ROWS.map(([r]) => r));
    for (const [row, valid] of DOMAIN_ROWS) {
      const rules = RIE_RULES.filter((r) => r.row === row);
      assert.equal(rules.length, 1, row);
      assert.equal(rules[0]?.classification === 'two_factor', valid, row);
    }
  });

  it('the rows match DOMAIN.md itself when the shared docs are present', (t) => {
    const path = '/work/shared/docs/DOMAIN.md';
    if (!existsSync(path)) {
      t.skip('shared docs not present on this machine');
      return;
    }
    const text = readFileSync(path, 'utf8');
    const section = text.slice(text.indexOf('| Means and use |'), text.indexOf('Cards in scope'));
    const rows = section.split('\n').filter((l) => l.startsWith('|') && !l.startsWith('|---') && !l.startsWith('| Means and use'));
    const parsed = rows.map((l) => l.split('|').map((c) => c.trim())).map((cells) => [cells[1], cells[2]?.replace(/\*/g, '').startsWith('yes')] as const);
    assert.deepEqual(parsed, DOMAIN_ROWS);
  });
});

describe('RIE rules around the table', () => {
  it('a badge tap (cryptographic exchange alone) is a re-identification candidate, never a 2FA', () => {
    const c = classify(tap(ALICE, T0));
    assert.equal(c.classification, 'single_factor_reidentification_candidate');
    assert.equal(c.reason, 'rie.badge_crypto_tap');
    assert.equal(rowOf('rie.badge_crypto_tap'), null);
  });

  it('a badge with biometrics is a 2FA (DOMAIN: the crypto exchange paired with biometrics)', () => {
    const c = classify({ ...tap(ALICE, T0), factors: ['possession', 'inherence'] });
    assert.equal(c.classification, 'two_factor');
    assert.equal(c.reason, 'rie.badge_crypto_biometrics');
  });

  it('a CPS signature without PIN is refused (one factor of a 2FA means)', () => {
    const c = classify({ ...cpsPin(ALICE, T0), factors: ['possession'] });
    assert.equal(c.classification, 'refused');
    assert.equal(c.reason, 'rie.cps_without_pin');
  });

  it('every rule reason is a known, distinct rie.* code, and every code but the two fallbacks has a rule', () => {
    const reasons = RIE_RULES.map((r) => r.reason);
    assert.equal(new Set(reasons).size, reasons.length);
    for (const r of reasons) assert.ok(isReasonCode(r), r);
    assert.deepEqual(
      RIE_REASONS.filter((r) => !reasons.includes(r)).sort(),
      ['rie.inconsistent_event', 'rie.no_matching_rule'],
    );
  });

  it('every rule is either a DOMAIN row or cites its source', () => {
    for (const r of RIE_RULES) assert.ok(r.row !== null || (r.source ?? '').includes('DOMAIN.md'), r.reason);
  });

  it('no rule grants two_factor without two distinct factors being proven', () => {
    for (const r of RIE_RULES.filter((x) => x.classification === 'two_factor')) {
      for (const v of r.verification) assert.equal(provenFactors({ possession: r.possession, verification: v }).length, 2, `${r.reason}/${v}`);
    }
  });
});

describe('coherence: events whose factors contradict their proof are refused', () => {
  it('knowledge claimed on a FIDO2 assertion whose UV flag is clear', () => {
    const c = classify(fido(ALICE, T0, ['possession', 'knowledge'], false));
    assert.equal(c.classification, 'refused');
    assert.equal(c.reason, 'rie.inconsistent_event');
  });

  it('a means kind that does not match its proof', () => {
    const c = classify({ ...cpsPin(ALICE, T0), means: 'fido2' });
    assert.equal(c.reason, 'rie.inconsistent_event');
    const d = classify({ ...badgePin(ALICE, T0), means: 'cps' });
    assert.equal(d.reason, 'rie.inconsistent_event');
  });

  it('duplicated factors, a missing possession factor, three factors', () => {
    assert.equal(classify({ ...cpsPin(ALICE, T0), factors: ['knowledge', 'knowledge'] }).reason, 'rie.inconsistent_event');
    assert.equal(classify({ ...badgePin(ALICE, T0), factors: ['knowledge'] }).reason, 'rie.inconsistent_event');
    assert.equal(classify({ ...badgePin(ALICE, T0), factors: ['possession', 'knowledge', 'inherence'] }).reason, 'rie.inconsistent_event');
    assert.equal(classify({ ...badgePin(ALICE, T0), factors: [] }).reason, 'rie.inconsistent_event');
  });

  it('a presentation that matches no rule is refused with its own code', () => {
    const p: Presentation = presentationOf(cpsPin(ALICE, T0));
    const c = classifyPresentation(p, []);
    assert.equal(c.classification, 'refused');
    assert.equal(c.reason, 'rie.no_matching_rule');
  });

  it('presentationOf keeps the registered means, the reader and the fallback flag', () => {
    const p = presentationOf(fido(ALICE, T0, ['possession', 'knowledge'], true, true));
    assert.deepEqual(p.meansRef, { kind: 'fido2', id: 'YWxpY2UtY3JlZGVudGlhbA' });
    assert.equal(p.fallback, true);
    assert.equal(p.verification, 'pin');
    const b = presentationOf(tap(ALICE, T0, null));
    assert.equal(b.meansRef, undefined);
    assert.equal(b.reader, 'Lecteur sans contact 00 01');
  });
});

describe('classification is total: malformed or random input is refused, never a crash', () => {
  it('malformed events from outside the process', () => {
    const bad: unknown[] = [
      null, 42, 'cps', {}, { means: 'cps' },
      { ...cpsPin(ALICE, T0), means: 'nfc' },
      { ...cpsPin(ALICE, T0), subject: null },
      { ...cpsPin(ALICE, T0), subject: { id: '' } },
      { ...cpsPin(ALICE, T0), at: 'yesterday' },
      { ...cpsPin(ALICE, T0), at: new Date(Number.NaN) },
      { ...cpsPin(ALICE, T0), factors: 'possession' },
      { ...cpsPin(ALICE, T0), factors: ['possession', 'telepathy'] },
      { ...cpsPin(ALICE, T0), proof: { kind: 'x509' } },
      { ...cpsPin(ALICE, T0), proof: undefined },
      { ...uidOnly(ALICE, T0, 'pin'), possession: 'uid' },
    ];
    for (const b of bad) {
      const c = classify(b as Presentation);
      assert.equal(c.classification, 'refused', JSON.stringify(b));
      assert.equal(c.reason, 'rie.inconsistent_event');
      assert.equal(c.malformed, true);
    }
  });

  it('random presentations: two_factor exactly when a table rule grants it to two proven distinct factors', () => {
    const factor = fc.constantFrom<Factor>('possession', 'knowledge', 'inherence');
    fc.assert(
      fc.property(
        fc.constantFrom('cps' as const, 'desfire' as const, 'fido2' as const),
        fc.constantFrom('card_signature' as const, 'badge_crypto' as const, 'badge_uid_only' as const, 'fido_assertion' as const),
        fc.constantFrom('pin' as const, 'session_password' as const, 'biometrics' as const, 'user_presence' as const, 'none' as const),
        fc.array(factor, { maxLength: 4 }),
        (means, possession, verification, factors) => {
          const p: Presentation = { means, possession, verification, factors, subject: ALICE, at: new Date(T0) };
          const c = classify(p);
          assert.ok(isReasonCode(c.reason));
          if (c.classification === 'two_factor') {
            assert.ok(possession !== 'badge_uid_only');
            assert.deepEqual([...new Set(factors)].sort(), provenFactors(p).sort());
            assert.equal(factors.length, 2);
            assert.ok(factors.includes('possession'));
          }
          if (possession === 'badge_uid_only') assert.equal(c.classification, 'refused');
          if (c.classification === 'single_factor_reidentification_candidate') assert.deepEqual(factors, ['possession']);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
