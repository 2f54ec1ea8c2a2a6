import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcChannel, isResultOf, requestValidators, responseValidators } from '../../src/shared/ipc-contract.js';
import { isStatusView, maxHolderLength } from '../../src/shared/status-view.js';
import { healthLine, pickLanguage, sessionLine } from '../../src/shared/status-text.js';

test('channel names are unique and namespaced', () => {
  const names = Object.values(IpcChannel);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^tessera:[a-z-]+:[a-z-]+$/);
});

test('isStatusView accepts the two shapes and nothing else', () => {
  assert.equal(isStatusView({ session: 'none', health: 'ok' }), true);
  assert.equal(isStatusView({ session: 'active', holder: 'Dr A', means: 'cps', health: 'degraded' }), true);
  assert.equal(isStatusView({ session: 'locked', holder: 'Dr A', means: 'fido2', health: 'error' }), true);
  const rejected: unknown[] = [
    null,
    [],
    'none',
    { session: 'none' },
    { session: 'none', health: 'fine' },
    { session: 'none', health: 'ok', holder: 'leak' },
    { session: 'active', holder: 'Dr A', means: 'password', health: 'ok' },
    { session: 'active', holder: '  ', means: 'cps', health: 'ok' },
    { session: 'active', holder: 'x'.repeat(maxHolderLength + 1), means: 'cps', health: 'ok' },
    { session: 'active', holder: 42, means: 'cps', health: 'ok' },
    { session: 'expired', health: 'ok' },
    { session: 'active', holder: 'Dr A', means: 'cps', health: 'ok', rpps: '10001234567' },
  ];
  for (const x of rejected) assert.equal(isStatusView(x), false, JSON.stringify(x));
});

test('getStatus takes no arguments', () => {
  const validate = requestValidators[IpcChannel.getStatus];
  assert.equal(validate([]), true);
  assert.equal(validate([undefined]), false);
  assert.equal(validate(['x']), false);
});

test('answers are validated as results of the channel value', () => {
  const validate = responseValidators[IpcChannel.getStatus];
  assert.equal(validate({ ok: true, value: { session: 'none', health: 'ok' } }), true);
  assert.equal(validate({ ok: false, error: { code: 'internal', message: 'x' } }), true);
  assert.equal(validate({ ok: true, value: { session: 'none' } }), false);
  assert.equal(validate({ ok: false, error: 'boom' }), false);
  assert.equal(validate({ ok: 'yes' }), false);
  assert.equal(isResultOf((x): x is number => typeof x === 'number', { ok: true, value: 1 }), true);
});

test('French first; English only when it is the first preference', () => {
  assert.equal(pickLanguage(['fr-FR', 'en-US']), 'fr');
  assert.equal(pickLanguage(['en-GB', 'fr-FR']), 'en');
  assert.equal(pickLanguage(['en']), 'en');
  assert.equal(pickLanguage(['de-DE', 'en-US']), 'fr');
  assert.equal(pickLanguage(['english']), 'fr');
  assert.equal(pickLanguage([]), 'fr');
});

test('status lines in both languages', () => {
  assert.equal(sessionLine({ session: 'none', health: 'ok' }, 'fr'), 'Aucune session ouverte');
  assert.equal(sessionLine({ session: 'none', health: 'ok' }, 'en'), 'No open session');
  const view = { session: 'active', holder: 'Dr Marie Curie', means: 'fido2', health: 'degraded' } as const;
  assert.equal(sessionLine(view, 'fr'), 'Session de Dr Marie Curie — clé FIDO2');
  assert.equal(sessionLine(view, 'en'), 'Session of Dr Marie Curie — FIDO2 key');
  assert.match(healthLine(view, 'fr') ?? '', /^Mode dégradé/);
  assert.equal(healthLine({ session: 'none', health: 'ok' }, 'fr'), null);
});
