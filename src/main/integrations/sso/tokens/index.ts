/** Web SSO tokens bound to the session: the vault and the interface it needs from the OIDC client. */
export {
  DEFAULT_EXPIRES_IN_S,
  MAX_TOKEN_LENGTH,
  checkTokenAnswer,
  isProviderUnreachable,
  jwtAudiences,
  type RefreshContext,
  type RefreshNarrowing,
  type TokenEndpointAnswer,
  type TokenSource,
} from './token-source.js';
export {
  SessionTokenVault,
  refreshAccount,
  type DegradedState,
  type DropReason,
  type HandedToken,
  type SessionTokenVaultOptions,
  type TokenRequest,
  type VaultEngine,
  type VaultView,
} from './session-token-vault.js';
export { answerFromOidcTokens, oidcTokenSource, type OidcTokenSourceOptions, type RefreshingClient } from './oidc-token-source.js';
