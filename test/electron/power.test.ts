import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { forwardPowerEvents } from '../../src/main/electron/power.js';
import type { PowerEvents } from '../../src/shared/power-events.js';

function recorder() {
  const calls: string[] = [];
  const sink: PowerEvents = {
    screenLocked: () => calls.push('screenLocked'),
    suspending: () => calls.push('suspending'),
    resumed: () => calls.push('resumed'),
  };
  return { calls, sink };
}

test('lock-screen, suspend and resume reach the sink; other events do not', () => {
  const monitor = new EventEmitter();
  const { calls, sink } = recorder();
  forwardPowerEvents(monitor, sink);
  monitor.emit('lock-screen');
  monitor.emit('suspend');
  monitor.emit('resume');
  monitor.emit('unlock-screen');
  monitor.emit('on-ac');
  assert.deepEqual(calls, ['screenLocked', 'suspending', 'resumed']);
});

test('unsubscribing stops forwarding and leaves no listener behind', () => {
  const monitor = new EventEmitter();
  const { calls, sink } = recorder();
  const stop = forwardPowerEvents(monitor, sink);
  stop();
  monitor.emit('lock-screen');
  assert.deepEqual(calls, []);
  assert.deepEqual(monitor.eventNames(), []);
});
