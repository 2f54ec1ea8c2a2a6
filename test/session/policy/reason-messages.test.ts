/** Every reason code a decision can carry has its own French and English sentence. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message } from '../../../src/main/i18n/messages.js';
import { REASON_CODES } from '../../../src/main/session/policy/reasons.js';

describe('reason codes as people read them', () => {
  for (const code of REASON_CODES) {
    it(code, () => {
      const fr = message(code, 'fr');
      const en = message(code, 'en');
      assert.ok(!fr.startsWith('Erreur interne'), `${code}: no French sentence`);
      assert.ok(!en.startsWith('Internal error'), `${code}: no English sentence`);
      assert.notEqual(fr, en);
      assert.ok(!fr.includes(code) && !en.includes(code), `${code}: the code leaks into the sentence`);
    });
  }
});
