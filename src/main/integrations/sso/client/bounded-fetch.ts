/**
 * `fetch` for every request to the provider, with its answer's size bounded: a body larger than
 * `MAX_PROVIDER_RESPONSE_BYTES` (announced or streamed) is refused with
 * `sso_provider_error` (`response_too_large`) as soon as the limit is passed, instead of being
 * buffered until the request timeout (a hostile or broken provider streaming an endless
 * discovery document grew the agent by hundreds of MB per second).
 */
import type { CustomFetchOptions } from 'openid-client';
import { SsoError } from '../sso-error.js';

/** Discovery documents, JWKS and token answers are a few KiB; 1 MiB leaves ample room. */
export const MAX_PROVIDER_RESPONSE_BYTES = 1024 * 1024;

function tooLarge(url: string, limit: number): SsoError {
  return new SsoError('sso_provider_error', `the provider's answer from ${new URL(url).origin} is larger than ${limit} bytes`, { reason: 'response_too_large' });
}

/** Statuses whose answers carry no body (a `Response` cannot be built with one). */
const NO_BODY = new Set([101, 204, 205, 304]);

export async function boundedFetch(url: string, options: CustomFetchOptions, limit = MAX_PROVIDER_RESPONSE_BYTES): Promise<Response> {
  const res = await fetch(url, options as RequestInit);
  if (!res.body || NO_BODY.has(res.status)) return res;
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    await res.body.cancel().catch(() => undefined);
    throw tooLarge(url, limit);
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, limit);
    }
    chunks.push(value);
  }
  const bounded = new Response(Buffer.concat(chunks), { status: res.status, statusText: res.statusText, headers: res.headers });
  Object.defineProperty(bounded, 'url', { value: res.url });
  return bounded;
}
