/**
 * The vault's `TokenSource` on the project's OpenID Connect client (`sso/client/oidc-client.ts`):
 * its refresh grant (ID token validated by the library, `sub` held to the session's) mapped to a
 * token endpoint answer. A narrowed refresh passes the audience's RFC 8707 `resource` and its
 * smaller `scope` through to the client, which sends them to the token endpoint.
 */
import type { OidcTokens, RefreshOptions } from '../client/oidc-client.js';
import { SsoError } from '../sso-error.js';
import type { RefreshContext, RefreshNarrowing, TokenEndpointAnswer, TokenSource } from './token-source.js';

/** What this adapter uses of `OidcClient`. */
export interface RefreshingClient {
  refresh(refreshToken: string, opts?: RefreshOptions): Promise<{ readonly tokens: OidcTokens }>;
}

export interface OidcTokenSourceOptions {
  /** The session person's `sub` at the provider: a refreshed ID token naming anyone else is refused. */
  readonly expectedSubject?: string;
  /**
   * The provider's `sub` for the person a refresh is run for (the one their sign-in named), when
   * one source serves every session of the workstation; takes precedence over `expectedSubject`.
   * A person it knows no subject for is refused: their refresh could not be held to anyone.
   */
  readonly expectedSubjectFor?: (person: string) => string | undefined;
  /** Milliseconds since the epoch (default: the wall clock), to turn `expiresAt` back into `expires_in`. */
  readonly now?: () => number;
}

export function oidcTokenSource(client: RefreshingClient, opts: OidcTokenSourceOptions = {}): TokenSource {
  const now = opts.now ?? Date.now;
  return {
    async refresh(refreshToken: string, narrowing: RefreshNarrowing = {}, context?: RefreshContext): Promise<TokenEndpointAnswer> {
      let expectedSubject = opts.expectedSubject;
      if (opts.expectedSubjectFor) {
        expectedSubject = context ? opts.expectedSubjectFor(context.person) : undefined;
        if (expectedSubject === undefined) throw new SsoError('sso_no_token', 'no provider account is known for this session: sign in again', { reason: 'subject_unknown' });
      }
      const { tokens } = await client.refresh(refreshToken, {
        expectedSubject,
        ...(narrowing.resource !== undefined ? { resource: narrowing.resource } : {}),
        ...(narrowing.scope !== undefined ? { scope: narrowing.scope } : {}),
      });
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
