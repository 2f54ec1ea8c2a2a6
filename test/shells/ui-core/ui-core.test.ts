/**
 * The UI core's own rules on a scripted runtime: pushes only on change, the agent error state
 * after an engine failure until a retry, actions refused when they cannot apply (nobody to
 * lock, no fallback configured, enrolment not allowed), a cancelled touch is no news, settings
 * within what policy allows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PinBroker } from '../../../src/main/shells/ui-core/pin-broker.js';
import { UiCore } from '../../../src/main/shells/ui-core/ui-core.js';
import type { StatusView } from '../../../src/shared/status-view.js';
import { scriptedRuntime } from './scripted-runtime.js';

function setup(opts: { settingsAllowed?: { language?: boolean; notifications?: boolean } } = {}) {
  const runtime = scriptedRuntime();
  const core = new UiCore({ runtime, pins: new PinBroker(), monitor: { on: () => () => undefined }, refreshMs: 60_000, ...opts });
  const pushed: StatusView[] = [];
  core.onStatus((s) => pushed.push(s));
  return { runtime, core, pushed };
}

describe('UI core', () => {
  it('pushes a status only when it changed', () => {
    const { runtime, core, pushed } = setup();
    runtime.fire();
    core.refresh();
    assert.equal(pushed.length, 0, 'nothing changed');
    runtime.degradedReasons.push({ code: 'idp_unreachable', since: new Date().toISOString() });
    core.refresh();
    core.refresh();
    assert.equal(pushed.length, 1);
    assert.deepEqual(pushed[0]?.degraded.reasons.map((r) => r.code), ['idp_unreachable']);
    core.stop();
  });

  it('an engine failure shows the agent in error until the person retries', async () => {
    const { runtime, core, pushed } = setup();
    runtime.fail(new Error('audit trail not writable'));
    assert.equal(pushed.at(-1)?.agent, 'error');
    assert.deepEqual(await core.retryConnection(), { ok: true, value: null });
    assert.equal(pushed.at(-1)?.agent, 'ok');
    core.stop();
  });

  it('refuses what cannot apply: lock and sign out with nobody, the key fallback and enrolment when not configured', async () => {
    const { core } = setup();
    const codes = [await core.lock(), await core.signOut(), await core.useSecurityKey(), await core.enrol({ kind: 'badge' }), core.cancelEnrol('e1')].map((r) => (r.ok ? 'ok' : r.error.code));
    assert.deepEqual(codes, ['no-session', 'no-session', 'not-allowed', 'not-allowed', 'stale-request']);
    const s = core.getStatus();
    assert.ok(s.ok);
    assert.deepEqual(s.value.allowed, { settings: false, quit: true, securityKey: false, enrol: [] });
    core.stop();
  });

  it('a security-key login the person cancelled at the touch is no news (no notice); a refused one is told', () => {
    const pins = new PinBroker();
    const core = new UiCore({ runtime: scriptedRuntime(), pins, monitor: { on: () => () => undefined }, refreshMs: 60_000 });
    let aborted = 0;
    pins.showTouch(() => aborted++);
    const touch = core.getPrompt();
    assert.ok(touch.ok && touch.value.kind === 'touch_key' && touch.value.requestId !== undefined);
    assert.deepEqual(core.cancelTouch(touch.value.requestId), { ok: true, value: null });
    assert.equal(aborted, 1);
    core.record({ type: 'login', status: 'failed', reader: 'fido2', code: 'cancelled' });
    assert.deepEqual(core.getPrompt(), { ok: true, value: { kind: 'none' } });
    core.record({ type: 'login', status: 'failed', reader: 'fido2', code: 'user_presence_timeout' });
    assert.deepEqual(core.getPrompt(), { ok: true, value: { kind: 'notice', code: 'key_timeout' } });
    core.stop();
  });

  it('settings: changed when the policy allows, refused (and unchanged) when it does not', async () => {
    const { core } = setup({ settingsAllowed: { language: false } });
    const changed = await core.setSettings({ notifications: false });
    assert.ok(changed.ok);
    assert.equal(changed.value.values.notifications, false);
    const refused = await core.setSettings({ language: 'en', notifications: true });
    assert.equal(!refused.ok && refused.error.code, 'not-allowed');
    const now = core.getSettings();
    assert.ok(now.ok);
    assert.deepEqual(now.value, { values: { language: 'system', notifications: false }, allowed: { language: false, notifications: true } });
    core.stop();
  });
});
