/**
 * macOS managed preferences reader (src/main/config/macos-plist.ts) on sample XML plists (no
 * macOS machine here), including the profile the project ships, and hostile input.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, MacManagedPreferencesSource, managedLayer, parsePlistXml, plistPolicyLayer, resolveLayers, type NativeValue } from '../../src/main/config/index.js';

const plist = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${body}\n</plist>\n`;

const MANAGED = plist(`<dict>
  <key>Exi14WindowMinutes</key><integer>120</integer>
  <key>CardRemovalAction</key><string>none</string>
  <key>AllowQuit</key><false/>
  <key>AllowUserSettings</key><true/>
  <key>OidcIssuerUrl</key><string>https://sso.chu-exemple.fr/realms/soignants?x=1&amp;y=2</string>
  <key>OidcClientId</key><string>tessera-agent</string>
  <key>Language</key><string>en</string>
  <!-- added by macOS -->
  <key>PayloadUUID</key><string>0D2C3E0A-0000-4000-8000-000000000000</string>
</dict>`);

function refused(fn: () => unknown, fragment: string, problem = 'config.bad_source'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.problem, problem, e.message);
    assert.ok(e.message.includes(fragment), `${e.message} should mention ${fragment}`);
    return true;
  });
}

describe('macOS policy: XML plist', () => {
  it('parses every plist type', () => {
    const v = parsePlistXml(
      plist(`<dict><key>s</key><string>a &lt;b&gt; &#233;&#x41;</string><key>i</key><integer>-42</integer><key>r</key><real>1.5</real>
        <key>t</key><true/><key>f</key><false/><key>d</key><date>2026-11-23T10:00:00Z</date><key>b</key><data>AAEC
        /w==</data><key>a</key><array><integer>1</integer><string/><dict/></array><key>c</key><string><![CDATA[x<y&z]]></string></dict>`),
    );
    assert.deepEqual(v, { s: 'a <b> éA', i: -42, r: 1.5, t: true, f: false, d: new Date('2026-11-23T10:00:00Z'), b: Buffer.from([0, 1, 2, 255]), a: [1, '', {}], c: 'x<y&z' });
  });

  it('a key named __proto__ is an ordinary key (and an unknown setting)', () => {
    const v = parsePlistXml(plist('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>'));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.ok(Object.prototype.hasOwnProperty.call(v, '__proto__'));
    refused(() => plistPolicyLayer(plist('<dict><key>__proto__</key><string>x</string></dict>')), '__proto__: unknown setting', 'config.unknown_key');
  });

  it('maps managed preferences onto configuration keys (Payload keys skipped, entities decoded)', () => {
    const layer = plistPolicyLayer(MANAGED, '/Library/Managed Preferences/fr.tessera.agent.plist');
    const e = resolveLayers([layer], undefined, { skip: true });
    assert.equal(e.config.session.windowMinutes, 120);
    assert.equal(e.config.session.removalAction, 'none');
    assert.equal(e.config.ui.allowQuit, false);
    assert.equal(e.config.sso.issuerUrl, 'https://sso.chu-exemple.fr/realms/soignants?x=1&y=2');
    assert.equal(e.config.ui.language, 'en');
    assert.deepEqual(e.origins.get('ui.allowQuit'), { kind: 'policy', name: '/Library/Managed Preferences/fr.tessera.agent.plist' });
  });

  it('the configuration profile the project ships reads as a valid policy', () => {
    const profile = parsePlistXml(readFileSync(resolve(import.meta.dirname, '../../../native/macos/fr.tessera.agent.mobileconfig.example'), 'utf8'), 'profile');
    assert.ok(typeof profile === 'object' && !Array.isArray(profile) && !(profile instanceof Date) && !Buffer.isBuffer(profile));
    const content = (profile as Record<string, unknown>)['PayloadContent'];
    assert.ok(Array.isArray(content));
    const payload = content[0] as Record<string, NativeValue>;
    const entries = Object.entries(payload).filter(([k]) => !k.startsWith('Payload'));
    assert.equal(entries.length, 15);
    const e = resolveLayers([{ kind: 'policy', name: 'profile', values: managedLayer(entries, 'profile') }], undefined, { skip: true });
    assert.equal(e.config.session.windowMinutes, 240);
    assert.equal(e.config.sso.loopbackPort, 8700);
    assert.equal(e.config.sso.autoSignIn, true);
    assert.equal(e.config.sso.assertion.port, 8701);
  });

  it('refuses values of the wrong kind and unknown keys', () => {
    refused(() => plistPolicyLayer(plist('<dict><key>AllowQuit</key><string>no</string></dict>')), 'AllowQuit', 'config.wrong_type');
    refused(() => plistPolicyLayer(plist('<dict><key>Exi14WindowMinutes</key><string>240</string></dict>')), 'Exi14WindowMinutes', 'config.wrong_type');
    refused(() => plistPolicyLayer(plist('<dict><key>Idle</key><integer>5</integer></dict>')), 'Idle: unknown setting', 'config.unknown_key');
    refused(() => plistPolicyLayer(plist('<dict><key>Language</key><array/></dict>')), 'only <string>');
    refused(() => plistPolicyLayer(plist('<array/>')), 'must be a <dict>');
    refused(() => resolveLayers([plistPolicyLayer(plist('<dict><key>Exi14WindowMinutes</key><integer>0</integer></dict>'), 'p.plist')], undefined, { skip: true }), 'p.plist: session.windowMinutes', 'config.out_of_range');
  });

  it('refuses malformed XML with a ConfigError, never a crash', () => {
    const bad: [string, string][] = [
      ['bplist00\u0000\u0001', 'binary plist'],
      ['<dict></dict>', '<plist> expected'],
      [plist('<dict><key>a</key></dict>'), 'expected a value'],
      [plist('<dict><string>a</string></dict>'), 'expected <key>'],
      [plist('<dict><key>a</key><integer>1</integer><key>a</key><integer>2</integer></dict>'), 'duplicate key'],
      [plist('<dict><key>a</key><integer>12x</integer></dict>'), 'bad integer'],
      [plist('<dict><key>a</key><integer>99999999999999999</integer></dict>'), 'bad integer'],
      [plist('<dict><key>a</key><real>inf</real></dict>'), 'bad real'],
      [plist('<dict><key>a</key><date>yesterday</date></dict>'), 'bad date'],
      [plist('<dict><key>a</key><data>!!</data></dict>'), 'bad base64'],
      [plist('<dict><key>a</key><string>x &nbsp; y</string></dict>'), 'unknown entity'],
      [plist('<dict><key>a</key><string>x & y</string></dict>'), 'bare &'],
      [plist('<dict><key>a</key><string>&#xD800;</string></dict>'), 'bad character reference'],
      [plist('<dict><key>a</key><string>x<b>y</b></string></dict>'), 'unexpected tag'],
      [plist('<dict><key>a</key><foo/></dict>'), 'unknown element'],
      [plist('<dict><key>a</key><true>x</true></dict>'), 'must be empty'],
      [plist('<dict>'), 'expected'],
      [`${plist('<dict/>')}<dict/>`, 'content after'],
      [plist('<dict/><dict/>'), '</plist> expected'],
      ['<plist><!-- never closed', 'unterminated comment'],
      ['<plist><dict', 'unterminated tag'],
      ['<plist><dict><key>a</key><string>abc', 'unterminated <string>'],
      [plist(`${'<array>'.repeat(20)}${'</array>'.repeat(20)}`), 'nested deeper'],
      ['x'.repeat((1 << 20) + 1), 'larger than 1 MiB'],
    ];
    for (const [xml, fragment] of bad) refused(() => parsePlistXml(xml, 'p.plist'), fragment);
  });

  it('random cuts of a valid plist are read or refused with a ConfigError', () => {
    for (let cut = 0; cut < MANAGED.length; cut += 3) {
      for (const text of [MANAGED.slice(0, cut), MANAGED.slice(cut)]) {
        try {
          plistPolicyLayer(text);
        } catch (e) {
          assert.ok(e instanceof ConfigError, `cut ${cut}: ${String(e)}`);
        }
      }
    }
  });

  describe('reading the file', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'tessera-plist-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('an absent file is no policy; a present one is read', () => {
      assert.equal(new MacManagedPreferencesSource(join(dir, 'absent.plist')).read(), undefined);
      const p = join(dir, 'fr.tessera.agent.plist');
      writeFileSync(p, MANAGED);
      assert.equal(new MacManagedPreferencesSource(p).read()?.values.get('session.windowMinutes'), 120);
      refused(() => new MacManagedPreferencesSource(dir).read(), 'EISDIR');
    });
  });
});
