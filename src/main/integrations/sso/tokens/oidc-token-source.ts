/**
 * The vault's `TokenSource` on the project's OpenID Connect client (`sso/client/oidc-client.ts`):
 * its refresh grant (ID token validated by the library, `sub` held to the session's) mapped to a
 * token endpoint answer. The client's refresh takes no extra parameters yet, so a narrowed
 * refresh (RFC 8707 `resource`, a smaller `scope`) is refused here rather than silently run
 * without them; the broker then serves only audiences the session's own token carries.
 */
import type { OidcTokens } from '../client/oidc-client.js';
import { SsoError } from '../sso-error.js';
import type { RefreshNarrowing, TokenEndpointAnswer, TokenSource } from './token-source.js';

/** What this adapter uses of `OidcClient`. */
export interface RefreshingClient {
  refresh(refreshToken: string, opts?: { readonly expectedSubject?: string | undefined }): Promise<{ readonly tokens: OidcTokens }>;
}

export interface OidcTokenSourceOptions {
  /** The session person's `sub` at the provider: a refreshed ID token naming anyone else is refused. */
  readonly expectedSubject?: string;
  /** Milliseconds since the epoch (default: the wall clock), to turn `expiresAt` back into `expires_in`. */
  readonly now?: () => number;
}

export function oidcTokenSource(client: RefreshingClient, opts: OidcTokenSourceOptions = {}): TokenSource {
  const now = opts.now ?? Date.now;
  return {
    async refresh(refreshToken: string, narrowing: RefreshNarrowing = {}): Promise<TokenEndpointAnswer> {
      if (narrowing.resource !== undefined || narrowing.scope !== undefined) {
        throw new SsoError('sso_no_token', 'a narrowed refresh (resource, scope) is not supported by this client', { reason: 'narrowing_unsupported' });
      }
      const { tokens } = await client.refresh(refreshToken, { expectedSubject: opts.expectedSubject });
      return answerFromOidcTokens(tokens, now());
    },
  };
}

/** The sign-in's tokens as a token endpoint answer, for `SessionTokenVault.adopt`. */
export function answerFromOidcTokens(tokens: OidcTokens, now: number = Date.now()): TokenEndpointAnswer {
  const expiresIn = tokens.expiresAt !== undefined ? Math.max(1, Math.round((tokens.expiresAt - now) / 1000)) : undefined;
  return {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}),
    ...(tokens.idToken !== undefined ? { id_token: tokens.idToken } : {}),
    ...(tokens.refreshToken !== undefined ? { refresh_token: tokens.refreshToken } : {}),
    ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
  };
}
