/**
 * `npm start` (`electron . --demo`) without Electron: the demo core starts the simulated world
 * (isolated pcscd, CPS card, badge, key, embedded provider) behind the same host the windows
 * use, opens the simulator panel through the shell's `openExternal`, and stops cleanly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCore } from '../../src/main/electron/demo-core.js';

describe('the demo core of npm start', () => {
  it('serves the simulated world to the desktop shell: the host answers, the panel is opened, stop closes it', async () => {
    const opened: string[] = [];
    const logs: string[] = [];
    const core = await startDemoCore({ log: (m) => logs.push(m), openExternal: async (url) => void opened.push(url) });
    try {
      const status = await core.host.getStatus();
      assert.ok(status.ok, JSON.stringify(status));
      assert.deepEqual(status.value.session, { state: 'none' });
      assert.ok(status.value.readers.length > 0, 'the virtual readers of the demo, not this machine’s');
      assert.equal(opened.length, 1);
      const panel = new URL(opened[0] ?? '');
      assert.equal(panel.hostname, '127.0.0.1');
      // The launch address carries the per-launch token: it sets the cookie, then the panel loads.
      const launch = await fetch(panel, { redirect: 'manual' });
      assert.equal(launch.status, 303, `launch answered ${launch.status}`);
      const cookie = (launch.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const page = await fetch(new URL(launch.headers.get('location') ?? '/', panel), { headers: { cookie } });
      assert.equal(page.status, 200, 'the simulator panel is served at the address opened');
      assert.deepEqual(core.policy, { allowQuit: true, allowUserSettings: true, startAtLogin: false });
      assert.ok(logs.some((l) => l.includes('simulator panel')), logs.join('\n'));
    } finally {
      await core.stop();
    }
    await assert.rejects(fetch(opened[0] ?? ''), 'the world is closed with the core');
  });
});
