/**
 * The native OpenID Connect client (RFC 8252): what the token vault, the UI and the CLI use.
 */
export { DiscoveredClient, type Discover } from './discovered-client.js';
export { OidcClient, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_SIGN_IN_TIMEOUT_MS, type OidcClientOptions, type OidcTokens, type IdTokenClaims, type SignInOptions, type SignInResult, type RefreshOptions, type RefreshResult } from './oidc-client.js';
export { LoopbackListener, LOOPBACK_HOST, CALLBACK_PATH, type LoopbackListenerOptions, type CallbackWait, type Callback, type CallbackOutcome, type RejectedReason } from './loopback-listener.js';
export { systemBrowserOpener, printBrowserOpener, systemOpenCommand, assertBrowsableUrl, type BrowserOpener, type OpenCommand } from './browser-opener.js';
export { CALLBACK_PAGE_CSP } from './callback-page.js';
export { fromLibraryError } from './library-errors.js';
export { SsoError, isSsoError, type SsoErrorCode, type IdTokenProblem } from '../sso-error.js';
