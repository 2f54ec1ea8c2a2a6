/**
 * What people read (src/main/i18n/messages.ts): French by default, English on request, plural
 * forms, and a fallback for codes without a sentence.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message, resolveLang } from '../../src/main/i18n/messages.js';

/** Every code the CPS means and the CLI can report (cps-error.ts, config.ts, cli-output.ts). */
const CODES = [
  'wrong_pin',
  'pin_blocked',
  'invalid_pin_format',
  'untrusted_certificate',
  'bad_signature',
  'no_card',
  'unsupported_card',
  'card_removed',
  'card_data_invalid',
  'reader_unavailable',
  'daemon_unavailable',
  'card_error',
  'config_invalid',
  'usage',
  'internal',
] as const;

describe('resolveLang', () => {
  it('French by default (no flag, no TESSERA_LANG)', () => {
    assert.equal(resolveLang(undefined, {}), 'fr');
    assert.equal(resolveLang(undefined, { LANG: 'en_US.UTF-8' }), 'fr', 'only TESSERA_LANG is read');
  });

  it('English with TESSERA_LANG=en (or en_GB, EN)', () => {
    assert.equal(resolveLang(undefined, { TESSERA_LANG: 'en' }), 'en');
    assert.equal(resolveLang(undefined, { TESSERA_LANG: 'en_GB.UTF-8' }), 'en');
    assert.equal(resolveLang(undefined, { TESSERA_LANG: 'EN' }), 'en');
  });

  it('an explicit --lang wins over the environment', () => {
    assert.equal(resolveLang('fr', { TESSERA_LANG: 'en' }), 'fr');
    assert.equal(resolveLang('en', { TESSERA_LANG: 'fr' }), 'en');
  });

  it('an unsupported language falls back to French', () => {
    assert.equal(resolveLang('de', {}), 'fr');
    assert.equal(resolveLang(undefined, { TESSERA_LANG: 'es' }), 'fr');
  });
});

describe('message', () => {
  it('wrong PIN, plural forms in French', () => {
    assert.equal(message('wrong_pin', 'fr', { retriesLeft: 1 }), 'Code PIN incorrect, 1 essai restant.');
    assert.equal(message('wrong_pin', 'fr', { retriesLeft: 2 }), 'Code PIN incorrect, 2 essais restants.');
  });

  it('wrong PIN, plural forms in English', () => {
    assert.equal(message('wrong_pin', 'en', { retriesLeft: 1 }), 'Wrong PIN, 1 try left.');
    assert.equal(message('wrong_pin', 'en', { retriesLeft: 2 }), 'Wrong PIN, 2 tries left.');
  });

  it('names the reader when given', () => {
    assert.equal(message('no_card', 'fr', { reader: 'Lecteur 01' }), 'Aucune carte dans le lecteur « Lecteur 01 ».');
    assert.equal(message('no_card', 'en', { reader: 'Reader 01' }), 'No card in reader "Reader 01".');
    assert.equal(message('no_card', 'fr'), 'Aucune carte dans le lecteur.');
  });

  it('a blocked PIN is explained without a try count', () => {
    assert.match(message('pin_blocked', 'fr'), /^Code PIN bloqué/);
    assert.match(message('pin_blocked', 'en'), /^PIN blocked/);
  });

  it('an unknown code falls back to the internal-error sentence, naming the code', () => {
    assert.equal(message('no_such_code', 'fr'), 'Erreur interne : no_such_code');
    assert.equal(message('no_such_code', 'en'), 'Internal error: no_such_code');
    assert.equal(message('internal', 'en', { reason: 'boom' }), 'Internal error: boom');
  });

  it('every known code has a French and an English sentence, and they differ', () => {
    for (const code of CODES) {
      const fr = message(code, 'fr', { retriesLeft: 2, reason: 'x' });
      const en = message(code, 'en', { retriesLeft: 2, reason: 'x' });
      assert.ok(fr.length > 0 && en.length > 0, code);
      assert.notEqual(fr, en, code);
      if (code !== 'internal') assert.doesNotMatch(fr, /^Erreur interne/, `${code} has its own sentence`);
    }
  });
});
