/**
 * What the token vault needs from the OpenID Connect client, and the shape of a token endpoint
 * answer (RFC 6749 §5.1, the field names `openid-client` returns). The vault is written against
 * this small interface so any client that can run a refresh grant plugs in.
 */
import { SsoError } from '../sso-error.js';

/** A token endpoint answer (authorization code or refresh grant). */
export interface TokenEndpointAnswer {
  readonly access_token: string;
  readonly token_type?: string;
  /** Seconds. */
  readonly expires_in?: number;
  readonly id_token?: string;
  readonly refresh_token?: string;
  readonly scope?: string;
}

/** A narrowed refresh: an RFC 8707 resource indicator and/or a subset of the granted scopes. */
export interface RefreshNarrowing {
  readonly resource?: string;
  readonly scope?: string;
}

/** Who a refresh is run for (the session person whose refresh token it is). */
export interface RefreshContext {
  readonly person: string;
}

export interface TokenSource {
  /**
   * Runs the refresh grant. Throws `SsoError('sso_provider_unreachable' | 'sso_provider_slow')`
   * when the provider could not be reached or did not answer in time (the vault then keeps the
   * tokens it has), `SsoError('sso_provider_error')` with `providerError` (`invalid_grant`...)
   * when the provider refused.
   */
  refresh(refreshToken: string, narrowing?: RefreshNarrowing, context?: RefreshContext): Promise<TokenEndpointAnswer>;
}

/** Longest token accepted from a provider (characters); a JWT access token is a few kB. */
export const MAX_TOKEN_LENGTH = 64 * 1024;
/** Lifetime assumed when the provider gives no `expires_in` (RFC 6749 makes it optional). */
export const DEFAULT_EXPIRES_IN_S = 300;

function checkToken(field: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(v)) {
    throw new SsoError('sso_provider_error', `token answer: ${field} is not a token (1–${MAX_TOKEN_LENGTH} visible ASCII characters expected)`, { reason: 'malformed' });
  }
  return v;
}

/** Checks an answer from the source before anything is kept: token syntax, lifetime. */
export function checkTokenAnswer(a: unknown): TokenEndpointAnswer {
  if (typeof a !== 'object' || a === null) throw new SsoError('sso_provider_error', 'token answer: object expected', { reason: 'malformed' });
  const r = a as Record<string, unknown>;
  const access = checkToken('access_token', r['access_token'], true) as string;
  const id = checkToken('id_token', r['id_token'], false);
  const refresh = checkToken('refresh_token', r['refresh_token'], false);
  // A decimal string is taken too: some providers send `expires_in` as "3600".
  const rawExp = r['expires_in'];
  const exp = typeof rawExp === 'string' && /^\d{1,9}$/.test(rawExp) ? Number(rawExp) : rawExp;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= 0 || exp > 366 * 86_400)) {
    throw new SsoError('sso_provider_error', 'token answer: expires_in is not a positive number of seconds', { reason: 'malformed' });
  }
  const scope = r['scope'];
  if (scope !== undefined && typeof scope !== 'string') throw new SsoError('sso_provider_error', 'token answer: scope is not a string', { reason: 'malformed' });
  const type = r['token_type'];
  return {
    access_token: access,
    ...(typeof type === 'string' ? { token_type: type } : {}),
    ...(exp !== undefined ? { expires_in: exp } : {}),
    ...(id !== undefined ? { id_token: id } : {}),
    ...(refresh !== undefined ? { refresh_token: refresh } : {}),
    ...(scope !== undefined ? { scope } : {}),
  };
}

/**
 * The `aud` of a JWT access token, read WITHOUT verifying it: only to choose which token answers
 * which audience (the token came from the provider over the client's own TLS connection; the
 * resource server verifies it). An opaque token, or anything unreadable, has no audience.
 */
export function jwtAudiences(token: string): readonly string[] {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || parts[1].length > MAX_TOKEN_LENGTH) return [];
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return [];
  }
  if (typeof payload !== 'object' || payload === null) return [];
  const aud = (payload as Record<string, unknown>)['aud'];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((x): x is string => typeof x === 'string').slice(0, 32);
  return [];
}

/** True when a source failure means "provider not reachable" (keep the tokens, degrade) rather than a refusal. */
export function isProviderUnreachable(e: unknown): boolean {
  return e instanceof SsoError && (e.code === 'sso_provider_unreachable' || e.code === 'sso_provider_slow');
}
