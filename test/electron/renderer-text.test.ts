/**
 * The status words the screens, the tray and the notifications share: French agrees "restante(s)"
 * with the leading unit of the time left; English "left" needs no agreement. Pure, no browser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, timeLeftLine } from '../../src/shared/status-text.js';
import type { StatusView } from '../../src/shared/status-view.js';
import { active, t0 } from './fixtures.js';

/** The fixture's session with its window ending `ms` after t0. */
function endingIn(ms: number): StatusView {
  const s = active.session;
  if (s.state !== 'active') throw new Error('fixture');
  return { ...active, session: { ...s, windowEnd: new Date(t0 + ms).toISOString() } };
}

const min = 60_000;

test('French: singular below two of the leading unit, plural from two', () => {
  const fr = (ms: number, seconds = false) => timeLeftLine(endingIn(ms), t0, 'fr', seconds);
  assert.equal(fr(60 * min), '1 h 00 restante avant nouvelle authentification');
  assert.equal(fr(90 * min), '1 h 30 restante avant nouvelle authentification');
  assert.equal(fr(120 * min), '2 h 00 restantes avant nouvelle authentification');
  assert.equal(fr(min), '1 min restante avant nouvelle authentification');
  assert.equal(fr(min + 1), '2 min restantes avant nouvelle authentification');
  assert.equal(fr(59 * min), '59 min restantes avant nouvelle authentification');
  assert.equal(fr(1000, true), '1 s restante avant nouvelle authentification');
  assert.equal(fr(30_000, true), '30 s restantes avant nouvelle authentification');
  assert.equal(fr(0), 'Fenêtre de ré-identification écoulée');
});

test('English: the same words for one and many', () => {
  const en = (ms: number, seconds = false) => timeLeftLine(endingIn(ms), t0, 'en', seconds);
  assert.equal(en(60 * min), '1 h 00 left before authenticating again');
  assert.equal(en(min), '1 min left before authenticating again');
  assert.equal(en(1000, true), '1 s left before authenticating again');
  assert.equal(en(240 * min), '4 h 00 left before authenticating again');
});

test('a time already past is no negative count (the tray asks for it without the "over" check)', () => {
  assert.equal(formatDuration(-5 * min, 'fr'), '0 min');
  assert.equal(formatDuration(-5_000, 'en', true), '0 s');
  assert.equal(formatDuration(0, 'en'), '0 min');
});
