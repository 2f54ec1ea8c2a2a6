/**
 * Browser openers: the system command for each platform is argv (never a shell string) and
 * only ever opens http(s); the print opener writes exactly one `Open: <url>` line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { printBrowserOpener, SsoError, systemBrowserOpener, systemOpenCommand } from '../../../../src/main/integrations/sso/client/index.js';

const URL_WITH_QUERY = 'https://idp.example/auth?client_id=a&scope=openid%20profile&state=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback';

describe('browser openers', () => {
  it('system: xdg-open on Linux, open on macOS, each with the URL as one argument', () => {
    assert.deepEqual(systemOpenCommand('linux', URL_WITH_QUERY), { file: 'xdg-open', args: [URL_WITH_QUERY], windowsVerbatimArguments: false });
    assert.deepEqual(systemOpenCommand('freebsd', URL_WITH_QUERY).file, 'xdg-open');
    assert.deepEqual(systemOpenCommand('darwin', URL_WITH_QUERY), { file: 'open', args: [URL_WITH_QUERY], windowsVerbatimArguments: false });
  });

  it('system on Windows: cmd /c start "" with the URL quoted, so & is not a command separator', () => {
    const cmd = systemOpenCommand('win32', URL_WITH_QUERY);
    assert.equal(cmd.file, 'cmd.exe');
    assert.equal(cmd.windowsVerbatimArguments, true);
    assert.deepEqual(cmd.args, ['/d', '/s', '/c', `start "" "${URL_WITH_QUERY}"`]);
    // A double quote in the input cannot break out of the quoting: the URL parser escapes it.
    const tricky = systemOpenCommand('win32', 'https://idp.example/a"&calc&"');
    assert.equal(tricky.args[3], 'start "" "https://idp.example/a%22&calc&%22"');
  });

  it('refuses anything but http(s)', () => {
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'ms-settings:', 'not a url']) {
      assert.throws(() => systemOpenCommand('linux', bad), (e: SsoError) => e.code === 'sso_browser_failed', bad);
    }
  });

  it('a missing opener program is sso_browser_failed, not a crash', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await assert.rejects(systemBrowserOpener('linux').open(URL_WITH_QUERY), (e: SsoError) => e.code === 'sso_browser_failed' && e.reason === 'xdg-open');
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('print: exactly one line "Open: <url>"', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    await printBrowserOpener(out).open(URL_WITH_QUERY);
    assert.equal(text, `Open: ${URL_WITH_QUERY}\n`);
    await assert.rejects(printBrowserOpener(out).open('file:///x'), (e: SsoError) => e.code === 'sso_browser_failed');
  });
});
