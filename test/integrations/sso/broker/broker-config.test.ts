/** `tokenBroker.*` configuration: what the schema accepts and refuses, and what the broker receives. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../../../src/main/config/index.js';
import { brokerSettings } from '../../../../src/main/integrations/sso/broker/index.js';

const DPI = 'https://dpi.chu.local/api';

function refused(doc: unknown, field: string): void {
  assert.throws(
    () => parseConfig(JSON.stringify(doc), 'policy.json'),
    (e) => e instanceof ConfigError && (e.field ?? '').startsWith(field),
    JSON.stringify(doc),
  );
}

describe('tokenBroker configuration', () => {
  it('maps onto the broker: SHA-256 lower-cased, scopes joined', () => {
    const c = parseConfig(
      JSON.stringify({
        tokenBroker: {
          applications: [{ path: '/opt/dpi/bin/client', sha256: 'AB'.repeat(32), audiences: [DPI] }],
          audiences: [{ audience: DPI, resource: DPI, scope: ['dpi.read', 'dpi.write'] }],
        },
      }),
      'policy.json',
    );
    assert.deepEqual(brokerSettings(c), {
      applications: [{ path: '/opt/dpi/bin/client', sha256: 'ab'.repeat(32), audiences: [DPI] }],
      audiences: [{ audience: DPI, resource: DPI, scope: 'dpi.read dpi.write' }],
    });
  });

  it('refuses a relative path, a bad hash, an audience not configured, a duplicate audience, an http resource', () => {
    const aud = [{ audience: DPI }];
    refused({ tokenBroker: { applications: [{ path: 'bin/client', audiences: [DPI] }], audiences: aud } }, 'tokenBroker.applications');
    refused({ tokenBroker: { applications: [{ path: '/bin/client', sha256: 'xyz', audiences: [DPI] }], audiences: aud } }, 'tokenBroker.applications');
    refused({ tokenBroker: { applications: [{ path: '/bin/client', audiences: ['https://other'] }], audiences: aud } }, 'tokenBroker.applications');
    refused({ tokenBroker: { applications: [{ path: '/bin/client', audiences: [] }], audiences: aud } }, 'tokenBroker.applications');
    refused({ tokenBroker: { audiences: [{ audience: DPI }, { audience: DPI }] } }, 'tokenBroker.audiences');
    refused({ tokenBroker: { audiences: [{ audience: DPI, resource: 'http://dpi.chu.local/api' }] } }, 'tokenBroker.audiences');
    refused({ tokenBroker: { audiences: [{ audience: DPI, extra: 1 }] } }, 'tokenBroker.audiences');
  });
});
