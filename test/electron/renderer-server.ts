/**
 * Serves the Vite build of the renderer on 127.0.0.1 with the CSP header the Electron session
 * adds, so Chromium runs the page under the same policy as the desktop app. (Chromium refuses
 * module scripts from file:// without Electron's file privileges, hence HTTP.)
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { withContentSecurityPolicy } from '../../src/main/electron/secure-window-policy.js';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface RendererServer {
  url: string;
  close(): Promise<void>;
}

export async function serveRenderer(root: string): Promise<RendererServer> {
  const server: Server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = path.join(root, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        const headers = withContentSecurityPolicy({ 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
        res.writeHead(200, headers).end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
