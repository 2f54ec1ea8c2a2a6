/**
 * openid-client (and oauth4webapi under it) errors → `SsoError` with a stable code. The library
 * does every protocol check; this table only names what it found.
 */
import { AuthorizationResponseError, ClientError, ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';
import { SsoError, type IdTokenProblem } from '../sso-error.js';

/** What the library reports in `cause` of a failed comparison or timestamp check. */
interface CheckDetail {
  readonly claim?: unknown;
  readonly attribute?: unknown;
}

const CLAIM_PROBLEMS: Readonly<Record<string, IdTokenProblem>> = {
  iss: 'issuer',
  aud: 'audience',
  azp: 'audience',
  nonce: 'nonce',
  exp: 'expired',
  nbf: 'issued_at',
  iat: 'issued_at',
  auth_time: 'expired',
};

/** Network errors under `fetch` (undici puts the socket error in `cause`). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function causeOf(e: unknown): unknown {
  return e instanceof Error ? e.cause : undefined;
}

function detailOf(e: ClientError): CheckDetail {
  const inner = causeOf(e);
  const detail = inner instanceof Error ? inner.cause : inner;
  return typeof detail === 'object' && detail !== null ? (detail as CheckDetail) : {};
}

/** The first string `code` down the cause chain that `accept` takes (a socket or TLS error under `fetch failed`). */
function codeInCauses(e: unknown, accept: (code: string) => boolean): string | undefined {
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 4; c = causeOf(c), depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && accept(code)) return code;
  }
  return undefined;
}

function idTokenInvalid(problem: IdTokenProblem, e: unknown): SsoError {
  return new SsoError('sso_id_token_invalid', `ID token refused (${problem}): ${e instanceof Error ? e.message : String(e)}`, { reason: problem, cause: e });
}

/** `what` names the step for the log (`discovery`, `token`, `refresh`, `jwks`...). */
export function fromLibraryError(e: unknown, what: string): SsoError {
  if (e instanceof SsoError) return e;
  // our own fetch's refusal (bounded-fetch.ts), wrapped by the library
  if (e instanceof Error && e.cause instanceof SsoError) return e.cause;
  if (e instanceof ResponseBodyError || e instanceof AuthorizationResponseError) {
    const description = e.error_description;
    return new SsoError('sso_provider_error', `${what}: the provider answered ${e.error}${description ? `: ${description}` : ''}`, {
      reason: description ? `${e.error} (${description})` : e.error,
      providerError: e.error,
      ...(description ? { providerErrorDescription: description } : {}),
      cause: e,
    });
  }
  if (e instanceof WWWAuthenticateChallengeError) {
    // 401 with a challenge: the token endpoint refused the client's authentication (RFC 6749 §5.2 invalid_client).
    const params = e.cause[0]?.parameters;
    const error = params?.error ?? (e.status === 401 ? 'invalid_client' : `http_${e.status}`);
    const description = params?.error_description;
    return new SsoError('sso_provider_error', `${what}: the provider refused the client (${e.status} ${error})`, {
      reason: description ? `${error} (${description})` : error,
      providerError: error,
      ...(description ? { providerErrorDescription: description } : {}),
      cause: e,
    });
  }
  if (e instanceof ClientError) {
    const detail = detailOf(e);
    const claim = typeof detail.claim === 'string' ? detail.claim : undefined;
    switch (e.code) {
      case 'OAUTH_TIMEOUT':
        return new SsoError('sso_provider_slow', `${what}: no answer from the provider in time`, { reason: what, cause: e });
      case 'OAUTH_ABORT':
        return new SsoError('sso_cancelled', `${what}: cancelled`, { cause: e });
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
        return idTokenInvalid((claim !== undefined ? CLAIM_PROBLEMS[claim] : undefined) ?? 'malformed', e);
      case 'OAUTH_KEY_SELECTION_FAILED':
        return idTokenInvalid('signature', e);
      case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
        if (detail.attribute === 'issuer') return new SsoError('sso_provider_error', `${what}: the discovery document names another issuer`, { reason: 'issuer_mismatch', cause: e });
        return new SsoError('sso_provider_error', `${what}: ${e.message}`, { reason: 'invalid_response', cause: e });
      case 'OAUTH_HTTP_REQUEST_FORBIDDEN':
      case 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN':
        return new SsoError('sso_config_invalid', `${what}: the provider uses a non-https address`, { reason: 'insecure_endpoint', cause: e });
      case 'OAUTH_INVALID_RESPONSE':
      case 'OAUTH_PARSE_ERROR': {
        const inner = causeOf(e);
        const text = `${e.message} ${inner instanceof Error ? inner.message : ''}`;
        if (/signature verification failed/i.test(text)) return idTokenInvalid('signature', e);
        if (/"state"/.test(text)) return new SsoError('sso_state_mismatch', `${what}: ${text}`, { reason: 'state', cause: e });
        if (/"id_token"|ID Token/.test(text)) return idTokenInvalid(/does not contain|must be/.test(text) ? 'missing' : 'malformed', e);
        if (/JWT|JWS/.test(text)) return idTokenInvalid('malformed', e);
        return new SsoError('sso_provider_error', `${what}: unusable answer from the provider (${text.trim()})`, { reason: 'invalid_response', cause: e });
      }
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
        return new SsoError('sso_provider_error', `${what}: unusable answer from the provider (${e.message})`, { reason: 'invalid_response', cause: e });
      default:
        break;
    }
  }
  const fetchFailed = e instanceof TypeError && e.message === 'fetch failed';
  // Under `fetch failed`, any code names the cause: a socket error, or TLS (e.g. UNABLE_TO_GET_ISSUER_CERT_LOCALLY: the provider's CA is not trusted).
  const errno = codeInCauses(e, (code) => UNREACHABLE.has(code) || (fetchFailed && code !== 'ERR_INVALID_ARG_TYPE'));
  if (errno !== undefined || fetchFailed) {
    return new SsoError('sso_provider_unreachable', `${what}: ${errno ?? 'fetch failed'}`, { reason: errno ?? 'network', cause: e });
  }
  if (e instanceof DOMException && e.name === 'TimeoutError') return new SsoError('sso_provider_slow', `${what}: no answer in time`, { reason: what, cause: e });
  return new SsoError('sso_provider_error', `${what}: ${e instanceof Error ? e.message : String(e)}`, { reason: 'unexpected', cause: e });
}
