/**
 * Errors of the web SSO integration (OpenID Connect client and loopback redirect, embedded
 * provider, token vault and broker). Codes are stable: CLI JSON output and exit codes, audit
 * records and tests rely on them; what a person reads is in `i18n/messages.ts`.
 *
 * `message` is for logs: it may name an endpoint or the library's own error code, never a token,
 * a code verifier or an authorization code.
 */
import { TesseraError } from '../../errors.js';

export type SsoErrorCode =
  /** The provider could not be reached (connection refused, DNS, TLS, reset). */
  | 'sso_provider_unreachable'
  /** The provider accepted the connection but did not answer within the per-request timeout. */
  | 'sso_provider_slow'
  /** The provider answered with an OAuth/OIDC error (`providerError`, `providerErrorDescription`) or an unusable answer. */
  | 'sso_provider_error'
  /** The person did not finish signing in before the attempt's deadline. */
  | 'sso_timeout'
  /** The attempt was cancelled by the caller (abort signal). */
  | 'sso_cancelled'
  /** The authorization response's `state` is not the one this attempt sent. */
  | 'sso_state_mismatch'
  /** The ID token failed validation (signature, iss, aud, exp, iat, nonce, acr/amr). `reason` says which. */
  | 'sso_id_token_invalid'
  /** The fixed loopback port is already taken by another process. */
  | 'sso_port_in_use'
  /** The configuration cannot be used (e.g. an http issuer without the explicit loopback exception). */
  | 'sso_config_invalid'
  /** The browser could not be opened. */
  | 'sso_browser_failed'
  /** No usable token (missing, expired refresh token, not bound to the session). */
  | 'sso_no_token'
  /** The OS keychain (secret store) refused or is unavailable. */
  | 'sso_keychain_unavailable'
  /** A local application asked for a token it is not allowed to get. */
  | 'sso_not_allowed'
  /** The embedded provider refused an agent's signed proof or logout notice; `reason` says which check (docs/agent-assertion-protocol.md). */
  | 'sso_assertion_invalid'
  /** A key folder or key file is open to others, not ours, or a link: refused, never repaired. */
  | 'sso_key_storage_insecure';

/** Why an ID token was refused (`reason` of `sso_id_token_invalid`). */
export type IdTokenProblem = 'signature' | 'issuer' | 'audience' | 'nonce' | 'expired' | 'issued_at' | 'acr' | 'amr' | 'missing' | 'malformed';

export class SsoError extends TesseraError<SsoErrorCode> {
  readonly layer = 'integration' as const;
  /** A finer, stable reason (e.g. `signature`, `audience` for `sso_id_token_invalid`). */
  readonly reason: string | undefined;
  /** For `sso_provider_error`: the provider's `error` value (e.g. `access_denied`). */
  readonly providerError: string | undefined;
  /** For `sso_provider_error`: the provider's `error_description`, if any (shown as the provider wrote it). */
  readonly providerErrorDescription: string | undefined;

  constructor(code: SsoErrorCode, message: string, opts: { reason?: string; providerError?: string; providerErrorDescription?: string; cause?: unknown } = {}) {
    super(code, message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.reason = opts.reason;
    this.providerError = opts.providerError;
    this.providerErrorDescription = opts.providerErrorDescription;
  }
}

export function isSsoError(e: unknown): e is SsoError {
  return e instanceof SsoError;
}
