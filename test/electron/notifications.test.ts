import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiryWarningMs, freshMemory, notificationsFor, type NotifierMemory } from '../../src/main/electron/notifications.js';
import { noSession, personSession, type StatusView } from '../../src/shared/status-view.js';
import { active, at, degraded, locked, t0 } from './fixtures.js';

/** Feeds views one after the other, as the shell does, and collects the kinds notified. */
function run(steps: [StatusView, number][], lang: 'fr' | 'en' = 'fr') {
  let memory: NotifierMemory = freshMemory;
  const seen: { kind: string; title: string; body: string }[][] = [];
  for (const [view, now] of steps) {
    const step = notificationsFor(memory, view, now, lang);
    memory = step.memory;
    seen.push(step.notifications);
  }
  return seen;
}

const endsIn240 = active; // window end at t0 + 240 min

test('the window about to end is announced once, inside the last five minutes', () => {
  const seen = run([
    [endsIn240, t0],
    [endsIn240, t0 + 235 * 60_000 - 1],
    [endsIn240, t0 + 235 * 60_000 + 1000],
    [endsIn240, t0 + 238 * 60_000],
  ]);
  assert.deepEqual(seen.map((s) => s.map((n) => n.kind)), [[], [], ['window-expiring'], []]);
  assert.equal(seen[2]?.[0]?.title, 'Fin de la fenêtre de ré-identification');
  assert.equal(seen[2]?.[0]?.body, 'Plus que 5 min\u00a0: il faudra ensuite votre carte et votre code PIN.');
  assert.equal(expiryWarningMs, 5 * 60_000);
});

test('a new window (re-authentication) can be announced again; a locked or ended one is not', () => {
  const s = personSession(active);
  assert.ok(s);
  const renewed: StatusView = { ...active, session: { ...s, windowEnd: at(480) } };
  const seen = run([
    [endsIn240, t0 + 236 * 60_000],
    [renewed, t0 + 476 * 60_000],
    [locked, t0 + 88 * 60_000],
    [endsIn240, t0 + 241 * 60_000],
  ]);
  assert.deepEqual(seen.map((s) => s.map((n) => n.kind)), [['window-expiring'], ['window-expiring'], [], []]);
});

test('degraded mode: each new reason once, and once when every reason has cleared', () => {
  const two: StatusView = { ...degraded, degraded: { reasons: [...degraded.degraded.reasons, { code: 'pcsc_unavailable', since: at(0) }] } };
  const seen = run([
    [active, t0],
    [degraded, t0],
    [degraded, t0 + 1000],
    [two, t0 + 2000],
    [active, t0 + 3000],
    [active, t0 + 4000],
  ], 'en');
  assert.deepEqual(seen.map((s) => s.map((n) => n.kind)), [[], ['degraded'], [], ['degraded'], ['recovered'], []]);
  assert.equal(seen[1]?.[0]?.body, 'The identity provider is unreachable.');
  assert.equal(seen[3]?.[0]?.body, 'The smart card reader service does not answer.');
  assert.equal(seen[4]?.[0]?.title, 'Degraded mode over');
});

test('the agent stopping is announced once, and again after it came back and stopped again', () => {
  const down: StatusView = { ...noSession, agent: 'error' };
  const seen = run([
    [down, t0],
    [down, t0 + 1],
    [noSession, t0 + 2],
    [down, t0 + 3],
  ]);
  assert.deepEqual(seen.map((s) => s.map((n) => n.kind)), [['agent-error'], [], [], ['agent-error']]);
});
