/**
 * A hostile OpenID provider answering the native client (`OidcClient`) over real HTTP: an
 * endless discovery document, one announcing 100 MB, a well-formed one. The size of every
 * answer is bounded (`MAX_PROVIDER_RESPONSE_BYTES`), not only its time: the endless document is
 * refused as soon as it passes the limit, with a typed error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OidcClient, SsoError } from '../../src/main/integrations/sso/client/index.js';
import { MAX_PROVIDER_RESPONSE_BYTES } from '../../src/main/integrations/sso/client/bounded-fetch.js';

type Mode = 'endless' | 'announced' | 'valid';

describe('hostile provider documents', () => {
  let server: Server;
  let issuer: string;
  let mode: Mode = 'valid';
  let streamed = 0;

  before(async () => {
    server = createServer((req, res) => {
      if (mode === 'announced') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) });
        res.write('{"issuer":"');
        return; // never sends the rest
      }
      if (mode === 'endless') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"issuer":"x","padding":"');
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk)) streamed += chunk.length;
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
      }));
      void req;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const discover = (): Promise<OidcClient> => OidcClient.discover({ issuer, clientId: 'tessera', insecureLoopbackIssuer: true, requestTimeoutMs: 30_000 });
  const tooLarge = (e: unknown): boolean => e instanceof SsoError && e.code === 'sso_provider_error' && e.reason === 'response_too_large';

  it('an endless discovery document is refused once past the limit (not buffered until the timeout)', async () => {
    mode = 'endless';
    streamed = 0;
    await assert.rejects(discover(), tooLarge);
    // the client stopped reading: what the provider managed to push stays near the limit (socket buffers aside)
    assert.ok(streamed < 64 * MAX_PROVIDER_RESPONSE_BYTES, `${streamed} bytes streamed`);
  });

  it('a document announcing 100 MB is refused from its Content-Length', async () => {
    mode = 'announced';
    await assert.rejects(discover(), tooLarge);
  });

  it('a well-formed document of normal size is read', async () => {
    mode = 'valid';
    const client = await discover();
    assert.ok(client instanceof OidcClient);
  });
});
