/**
 * The small page the loopback listener answers the browser with: no script, no external
 * resource, one inline style allowed by its hash in a strict Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { message, type Lang } from '../../../i18n/messages.js';

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1b1b1b}h1{font-size:1.3em}';
const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** `default-src 'none'`: nothing loads, nothing runs; the one style block is allowed by hash. */
export const CALLBACK_PAGE_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function callbackPage(lang: Lang, text: string): string {
  const title = escapeHtml(message('sso_page_title', lang));
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${title}</title><style>${STYLE}</style></head><body><h1>${title}</h1><p>${escapeHtml(text)}</p></body></html>`;
}

/** Writes the page with the headers every answer of the listener carries. */
export function sendPage(res: ServerResponse, status: number, lang: Lang, text: string, extraHeaders: Readonly<Record<string, string>> = {}): void {
  const body = Buffer.from(callbackPage(lang, text), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    'Content-Security-Policy': CALLBACK_PAGE_CSP,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    ...extraHeaders,
  });
  res.end(body);
}
