/**
 * The native OpenID Connect client (RFC 8252) on `openid-client` 6: discovery, Authorization
 * Code + PKCE S256 through the loopback redirect, fresh `state` and `nonce` per attempt, ID token
 * validation by the library (signature through the provider's JWKS — non-repudiation checks on —,
 * `iss`, `aud`, `exp`, `iat`, `nonce`), then the configured `acr`/`amr` requirements; refresh;
 * RP-initiated logout URL. No provider-specific code: scopes and `acr_values` are configuration.
 *
 * Every HTTP call to the provider has a timeout (`requestTimeoutMs`); every failure is an
 * `SsoError` with a stable code.
 */
import * as oidc from 'openid-client';
import type { Lang } from '../../../i18n/messages.js';
import { SsoError } from '../sso-error.js';
import type { BrowserOpener } from './browser-opener.js';
import { boundedFetch } from './bounded-fetch.js';
import { fromLibraryError } from './library-errors.js';
import { LoopbackListener } from './loopback-listener.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_SIGN_IN_TIMEOUT_MS = 300_000;
/** How far ahead of this machine's clock an ID token's `iat` may be (the library checks its type only). */
export const MAX_IAT_AHEAD_S = 60;

/** Hosts for which `insecureLoopbackIssuer` may allow plain http (tests, a provider on this machine). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Authorization request parameters the client sets itself and a caller may not override. */
const PROTECTED_PARAMS = new Set(['state', 'nonce', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'response_type', 'client_id', 'scope', 'acr_values', 'request', 'request_uri', 'response_mode']);

export interface OidcClientOptions {
  /** The issuer identifier (discovery at `{issuer}/.well-known/openid-configuration`). */
  readonly issuer: string | URL;
  readonly clientId: string;
  /** Must include `openid` (default `['openid']`). */
  readonly scopes?: readonly string[] | undefined;
  /** Sent as `acr_values`; when set, the ID token's `acr` must be one of them. */
  readonly acrValues?: readonly string[] | undefined;
  /** Each of these must appear in the ID token's `amr`. */
  readonly requiredAmr?: readonly string[] | undefined;
  /** Fixed loopback port (providers matching redirect URIs exactly); absent: ephemeral. */
  readonly loopbackPort?: number | undefined;
  /**
   * For providers that register the workstation as a confidential client (some Keycloak realms,
   * Pro Santé Connect): its secret, sent with `client_secret_basic` or `client_secret_post`.
   * Absent: a public native client (`none`), PKCE alone binding the code to this attempt.
   */
  readonly clientSecret?: { readonly secret: string; readonly method?: 'client_secret_basic' | 'client_secret_post' } | undefined;
  /** Timeout of each HTTP request to the provider (default 10 s). */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Allows plain http, only when the issuer is 127.0.0.1, [::1] or localhost (a provider on this
   * machine, tests). Never on by default; refused for any other host.
   */
  readonly insecureLoopbackIssuer?: boolean | undefined;
}

/** ID token claims as validated by the library (`sub`, `iss`, `aud`, `exp`, `iat`, and whatever else the provider sent). */
export type IdTokenClaims = oidc.IDToken;

export interface OidcTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly idToken: string | undefined;
  readonly refreshToken: string | undefined;
  /** When the access token expires (ms since the epoch), if the provider said. */
  readonly expiresAt: number | undefined;
  readonly scope: string | undefined;
}

export interface SignInOptions {
  readonly opener: BrowserOpener;
  /** Deadline for the person to finish signing in at the provider (default 5 min). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Language of the page the loopback answers the browser with. */
  readonly lang?: Lang | undefined;
  /** Extra authorization request parameters (`login_hint`, `prompt`, `max_age`...); the protocol's own ones cannot be overridden. */
  readonly extraParams?: Readonly<Record<string, string>> | undefined;
  /** Called with the loopback redirect URI once it listens (diagnostics, tests). */
  readonly onListening?: ((redirectUri: string) => void) | undefined;
}

export interface SignInResult {
  readonly tokens: OidcTokens;
  readonly claims: IdTokenClaims;
  readonly redirectUri: string;
}

export interface RefreshOptions {
  /** The session person's `sub`: a refreshed ID token naming anyone else is refused. */
  readonly expectedSubject?: string | undefined;
  /** A narrower scope (space-separated, a subset of the granted one). */
  readonly scope?: string | undefined;
  /** RFC 8707 resource indicator(s): the audience of the new access token. */
  readonly resource?: string | readonly string[] | undefined;
}

export interface RefreshResult {
  readonly tokens: OidcTokens;
  /** Claims of the new ID token, when the provider issued one (validated like at sign-in, minus the nonce). */
  readonly claims: IdTokenClaims | undefined;
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

function parseIssuer(issuer: string | URL): URL {
  try {
    return new URL(issuer);
  } catch (e) {
    throw new SsoError('sso_config_invalid', 'the issuer is not a URL', { reason: 'issuer', cause: e });
  }
}

function tokensOf(res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, now: number): OidcTokens {
  const expiresIn = res.expiresIn();
  return {
    accessToken: res.access_token,
    tokenType: res.token_type,
    idToken: res.id_token,
    refreshToken: res.refresh_token,
    expiresAt: expiresIn !== undefined ? now + expiresIn * 1000 : undefined,
    scope: res.scope,
  };
}

export class OidcClient {
  private constructor(
    private readonly config: oidc.Configuration,
    private readonly options: OidcClientOptions,
    private readonly insecure: boolean,
  ) {}

  /** Fetches the provider's discovery document (with the request timeout) and checks its endpoints. */
  static async discover(options: OidcClientOptions): Promise<OidcClient> {
    const issuer = parseIssuer(options.issuer);
    const insecure = options.insecureLoopbackIssuer === true;
    if (issuer.protocol !== 'https:' && !(insecure && isLoopbackHttp(issuer))) {
      throw new SsoError('sso_config_invalid', `the issuer must be https (http only for 127.0.0.1 with the explicit loopback exception): ${issuer.origin}`, { reason: 'insecure_issuer' });
    }
    const scopes = options.scopes ?? ['openid'];
    if (!scopes.includes('openid')) throw new SsoError('sso_config_invalid', 'the scopes must include openid', { reason: 'scopes' });
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const execute = [oidc.enableNonRepudiationChecks];
    // The library marks allowInsecureRequests deprecated only to make it stand out: gated on a loopback issuer and an explicit option.
    if (issuer.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    let config: oidc.Configuration;
    try {
      const secret = options.clientSecret;
      const method = secret === undefined ? 'none' : (secret.method ?? 'client_secret_basic');
      const auth = secret === undefined ? oidc.None() : method === 'client_secret_post' ? oidc.ClientSecretPost(secret.secret) : oidc.ClientSecretBasic(secret.secret);
      config = await oidc.discovery(issuer, options.clientId, { token_endpoint_auth_method: method, application_type: 'native' }, auth, { execute, timeout: timeoutMs / 1000, [oidc.customFetch]: boundedFetch });
      config[oidc.customFetch] = boundedFetch;
    } catch (e) {
      throw fromLibraryError(e, 'discovery');
    }
    const meta = config.serverMetadata();
    for (const [name, value] of [
      ['authorization_endpoint', meta.authorization_endpoint],
      ['token_endpoint', meta.token_endpoint],
      ['jwks_uri', meta.jwks_uri],
      ['end_session_endpoint', meta.end_session_endpoint],
    ] as const) {
      if (value === undefined) {
        if (name === 'end_session_endpoint') continue;
        throw new SsoError('sso_provider_error', `the discovery document has no ${name}`, { reason: 'invalid_response' });
      }
      let url: URL;
      try {
        url = new URL(value);
      } catch (e) {
        throw new SsoError('sso_provider_error', `the discovery document's ${name} is not a URL`, { reason: 'invalid_response', cause: e });
      }
      if (url.protocol !== 'https:' && !(insecure && isLoopbackHttp(url))) {
        throw new SsoError('sso_config_invalid', `the provider's ${name} is not https: ${url.origin}`, { reason: 'insecure_endpoint' });
      }
    }
    return new OidcClient(config, { ...options, scopes }, insecure);
  }

  get issuer(): string {
    return this.config.serverMetadata().issuer;
  }

  /** Whether the provider publishes an end-session endpoint (RP-initiated logout). */
  get supportsLogout(): boolean {
    return this.config.serverMetadata().end_session_endpoint !== undefined;
  }

  /**
   * One sign-in attempt: loopback listener, authorization request in the browser, code exchange,
   * ID token validation. The listener is closed whichever way it ends.
   */
  async signIn(opts: SignInOptions): Promise<SignInResult> {
    const listener = await LoopbackListener.open({ port: this.options.loopbackPort, lang: opts.lang });
    try {
      opts.onListening?.(listener.redirectUri);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.extraParams ?? {})) {
        if (PROTECTED_PARAMS.has(k)) throw new SsoError('sso_config_invalid', `the authorization parameter ${k} is set by the client`, { reason: k });
        params[k] = v;
      }
      Object.assign(params, {
        redirect_uri: listener.redirectUri,
        scope: (this.options.scopes ?? ['openid']).join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const acrValues = this.options.acrValues ?? [];
      if (acrValues.length) params['acr_values'] = acrValues.join(' ');
      const url = oidc.buildAuthorizationUrl(this.config, params);

      const pending = listener.waitForCallback({ state, timeoutMs: opts.timeoutMs ?? DEFAULT_SIGN_IN_TIMEOUT_MS, signal: opts.signal });
      pending.catch(() => undefined); // handled below; an opener failure must not leave it unobserved
      try {
        await opts.opener.open(url.href);
      } catch (e) {
        throw e instanceof SsoError ? e : new SsoError('sso_browser_failed', `the browser could not be opened: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const callback = await pending;
      try {
        const res = await oidc.authorizationCodeGrant(this.config, callback.url, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
        const claims = res.claims();
        if (!claims) throw new SsoError('sso_id_token_invalid', 'no ID token in the token response', { reason: 'missing' });
        this.checkAuthenticationContext(claims);
        callback.finish({ ok: true });
        return { tokens: tokensOf(res, Date.now()), claims, redirectUri: listener.redirectUri };
      } catch (e) {
        const err = fromLibraryError(e, 'token');
        callback.finish({ ok: false, error: err });
        throw err;
      }
    } finally {
      await listener.close();
    }
  }

  /**
   * Refresh Token Grant. A new ID token, if any, is validated by the library; `expectedSubject`
   * (the session's person at the provider) must then match its `sub`. `scope` (a subset of the
   * granted one) and `resource` (RFC 8707) narrow the new access token, for a token handed to a
   * local application.
   */
  async refresh(refreshToken: string, opts: RefreshOptions = {}): Promise<RefreshResult> {
    const params = new URLSearchParams();
    if (opts.scope !== undefined) params.set('scope', opts.scope);
    for (const r of typeof opts.resource === 'string' ? [opts.resource] : (opts.resource ?? [])) params.append('resource', r);
    let res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      res = await oidc.refreshTokenGrant(this.config, refreshToken, params);
    } catch (e) {
      throw fromLibraryError(e, 'refresh');
    }
    const claims = res.claims();
    if (claims && opts.expectedSubject !== undefined && claims.sub !== opts.expectedSubject) {
      throw new SsoError('sso_id_token_invalid', 'the refreshed ID token names another subject', { reason: 'subject' });
    }
    return { tokens: tokensOf(res, Date.now()), claims };
  }

  /** RP-initiated logout: the provider's end-session URL with `id_token_hint` (and where to come back). */
  logoutUrl(idToken: string, opts: { readonly postLogoutRedirectUri?: string | undefined; readonly state?: string | undefined } = {}): URL {
    if (!this.supportsLogout) throw new SsoError('sso_provider_error', 'the provider publishes no end_session_endpoint', { reason: 'no_end_session_endpoint' });
    const params: Record<string, string> = { id_token_hint: idToken, client_id: this.options.clientId };
    if (opts.postLogoutRedirectUri !== undefined) params['post_logout_redirect_uri'] = opts.postLogoutRedirectUri;
    if (opts.state !== undefined) params['state'] = opts.state;
    try {
      return oidc.buildEndSessionUrl(this.config, params);
    } catch (e) {
      throw fromLibraryError(e, 'logout');
    }
  }

  /** Whether this client talks plain http to a loopback provider (the explicit test/local exception). */
  get insecureLoopback(): boolean {
    return this.insecure;
  }

  /**
   * What the library leaves to the client: `iat` not in the future (beyond `MAX_IAT_AHEAD_S`);
   * `acr` one of the requested `acr_values`; every required `amr` value present.
   */
  private checkAuthenticationContext(claims: IdTokenClaims): void {
    if (claims.iat > Math.floor(Date.now() / 1000) + MAX_IAT_AHEAD_S) {
      throw new SsoError('sso_id_token_invalid', `the ID token is issued in the future (iat ${claims.iat})`, { reason: 'issued_at' });
    }
    const acrValues = this.options.acrValues ?? [];
    if (acrValues.length && (typeof claims.acr !== 'string' || !acrValues.includes(claims.acr))) {
      throw new SsoError('sso_id_token_invalid', `acr ${typeof claims.acr === 'string' ? claims.acr : '(none)'} is not one of the requested acr_values`, { reason: 'acr' });
    }
    const required = this.options.requiredAmr ?? [];
    if (required.length) {
      const amr = Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === 'string') : [];
      const missing = required.filter((r) => !amr.includes(r));
      if (missing.length) throw new SsoError('sso_id_token_invalid', `amr lacks ${missing.join(', ')}`, { reason: 'amr' });
    }
  }
}
