/**
 * The agent's web SSO, built from the validated configuration (docs/configuration.md, `sso.*`):
 *
 *  - with `sso.issuerUrl` (+ `sso.clientId`): the session-bound token vault (refresh token in the
 *    OS keychain) and the token broker on the control channel; the OpenID Connect client is
 *    discovered on first use, so an agent started while the provider is down still starts;
 *  - with `sso.autoSignIn` (default on): after each recorded two-factor decision that opens a
 *    session, the person is signed in through the browser opener and the vault keeps the tokens;
 *    an ID token whose `sso.subjectClaim` is not the person's RPPS number is never kept;
 *  - with `sso.assertion.port`: the loopback assertion endpoint and its workstation key
 *    (`sso.assertion.keyDir`), asserting to `sso.assertion.providers` (default: the issuer) and
 *    notifying them at sign-out, window end and lock;
 *  - with `sso.browserLogout` (default on) and no assertion endpoint: when the vault drops a
 *    person's tokens (sign-out, window end, another person in front), the provider's end-session
 *    page is opened so the browser's session at the provider ends too.
 *
 * Nothing here talks to the network at build time. What goes wrong later (provider down, browser
 * missing, keychain locked) is reported through `onEvent`, never thrown at the session engine.
 */
import { ConfigError } from '../../config/config-error.js';
import type { AgentConfig } from '../../config/schema.js';
import { isLoopbackHost } from '../../config/schema.js';
import { OsKeychain, type SecretStore } from '../../integrations/keychain/index.js';
import type { AgentAssertionOptions } from '../../integrations/sso/assertion/index.js';
import { rppsSubject, type AutoSignInOptions, type AutoSignInResult, type ClosableOpener } from '../../integrations/sso/auto-signin.js';
import { DiscoveredClient, systemBrowserOpener, type OidcClientOptions } from '../../integrations/sso/client/index.js';
import type { DropReason } from '../../integrations/sso/tokens/index.js';
import { oidcTokenSource } from '../../integrations/sso/tokens/index.js';
import type { AgentRuntimeOptions } from './agent-runtime.js';

/** What the configured SSO reports (no token, ever). */
export type SsoEvent =
  | { readonly type: 'sso_signed_in'; readonly person: string; readonly amr: readonly string[] }
  | { readonly type: 'sso_sign_in_failed'; readonly person: string; readonly code: string; readonly reason?: string; readonly message: string }
  | { readonly type: 'sso_logout_opened'; readonly person: string; readonly reason: DropReason }
  | { readonly type: 'sso_warning'; readonly code: string; readonly message: string };

export interface SsoFromConfigOptions {
  /** A fresh browser opener per sign-in or logout page (default: the system browser). */
  readonly opener?: () => ClosableOpener | Promise<ClosableOpener>;
  /** Where refresh tokens live (default: the OS keychain). */
  readonly store?: SecretStore;
  readonly onEvent?: (event: SsoEvent) => void;
  /** Timeout of each request to the provider (default: the client's, 10 s). */
  readonly requestTimeoutMs?: number;
}

export interface ConfiguredSso {
  /** Spread into `startAgentRuntime` / `startUiAgent`. */
  readonly runtime: Pick<AgentRuntimeOptions, 'tokens' | 'autoSignIn' | 'assertion'>;
  /** The lazily discovered client, when an issuer is configured. */
  readonly client: DiscoveredClient | undefined;
}

/** Drops after which the provider session is ended in the browser (not when the agent itself stops, nor after the provider refused the refresh). */
const LOGOUT_REASONS: ReadonlySet<DropReason> = new Set(['signed_out', 'window_expired', 'replaced']);

function codeOf(e: unknown): { code: string; reason?: string; message: string } {
  const o = e as { code?: unknown; reason?: unknown } | null;
  const code = typeof o?.code === 'string' ? o.code : 'internal';
  const reason = typeof o?.reason === 'string' ? o.reason : undefined;
  return { code, ...(reason !== undefined ? { reason } : {}), message: e instanceof Error ? e.message : String(e) };
}

/** The assertion endpoint's options, or undefined when `sso.assertion.port` is unset. */
function assertionFrom(config: AgentConfig): AgentAssertionOptions | undefined {
  const a = config.sso.assertion;
  if (a.port === undefined) return undefined;
  const providers = a.providers.length > 0 ? [...a.providers] : config.sso.issuerUrl !== undefined ? [config.sso.issuerUrl] : [];
  if (providers.length === 0) {
    throw new ConfigError('sso.assertion.providers: required with sso.assertion.port when sso.issuerUrl is unset', {
      problem: 'config.wrong_type',
      field: 'sso.assertion.providers',
      allowed: 'the issuers this agent asserts to (or set sso.issuerUrl)',
    });
  }
  return { keyDir: a.keyDir, port: a.port, providers, cardSignature: a.cardSignature };
}

export function ssoFromConfig(config: AgentConfig, opts: SsoFromConfigOptions = {}): ConfiguredSso {
  const s = config.sso;
  const assertion = assertionFrom(config);
  if (s.issuerUrl === undefined || s.clientId === undefined) return { runtime: assertion ? { assertion } : {}, client: undefined };

  const emit = opts.onEvent ?? ((): void => undefined);
  const opener = opts.opener ?? ((): ClosableOpener => systemBrowserOpener());
  const issuer = new URL(s.issuerUrl);
  const clientOptions: OidcClientOptions = {
    issuer: s.issuerUrl,
    clientId: s.clientId,
    scopes: s.scopes,
    acrValues: s.acrValues,
    requiredAmr: s.requiredAmr,
    loopbackPort: s.loopbackPort,
    requestTimeoutMs: opts.requestTimeoutMs,
    // The schema accepts plain http only towards this machine; the client wants that said.
    insecureLoopbackIssuer: issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname),
  };
  const client = new DiscoveredClient(clientOptions);
  // The provider's `sub` of each person's sign-in: their refreshes must name the same.
  const subjects = new Map<string, string>();

  const logout =
    s.browserLogout && !assertion
      ? async (info: { readonly person: string; readonly reason: DropReason; readonly idTokenHint?: string }): Promise<void> => {
          if (!LOGOUT_REASONS.has(info.reason) || info.idTokenHint === undefined) return;
          const url = await client.logoutUrl(info.idTokenHint);
          if (!url) return;
          const o = await opener();
          try {
            await o.open(url.href);
          } finally {
            await o.close?.().catch(() => undefined);
          }
          emit({ type: 'sso_logout_opened', person: info.person, reason: info.reason });
        }
      : undefined;

  const autoSignIn: Omit<AutoSignInOptions, 'engine' | 'vault'> | undefined = s.autoSignIn
    ? {
        client,
        opener,
        subjectFor: rppsSubject,
        subjectClaim: s.subjectClaim,
        timeoutMs: s.signInTimeoutSeconds * 1000,
        // OpenID Connect Core §11: a refresh token for offline use is granted after an explicit consent prompt.
        ...(s.scopes.includes('offline_access') ? { extraParams: { prompt: 'consent' } } : {}),
        onSignedIn: (r: AutoSignInResult) => {
          subjects.set(r.person, r.subject);
          emit({ type: 'sso_signed_in', person: r.person, amr: r.amr });
        },
        onError: (e, person) => emit({ type: 'sso_sign_in_failed', person, ...codeOf(e) }),
      }
    : undefined;

  return {
    client,
    runtime: {
      tokens: {
        store: opts.store ?? new OsKeychain(),
        source: oidcTokenSource(client, { expectedSubjectFor: (person) => subjects.get(person) }),
        ...(logout ? { logout } : {}),
        onWarning: (code, message) => emit({ type: 'sso_warning', code, message }),
      },
      ...(autoSignIn ? { autoSignIn } : {}),
      ...(assertion ? { assertion } : {}),
    },
  };
}
