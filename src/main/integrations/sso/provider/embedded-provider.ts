/**
 * The embedded OpenID provider (docs/sso-provider.md) on `oidc-provider`: clients from the
 * configuration file, Authorization Code flow with PKCE required for every client, signing and
 * cookie keys kept on disk (0600 in a 0700 folder), and the agent-asserted login
 * (docs/agent-assertion-protocol.md):
 *
 *   GET /interaction/<uid>             login prompt → 302 to the agent's /tessera/assert with a
 *                                      fresh nonce (single use, 60 s, bound to <uid>);
 *                                      consent prompt → granted for the configured clients.
 *   GET /interaction/<uid>/assertion   the agent's answer: `proof` → verified → login completed
 *                                      without a prompt; `error=no_session` → the sign-in page.
 *   POST /tessera/agent-logout         a logout notice signed by a workstation key → that
 *                                      person's sessions asserted by that workstation end.
 * Everything else is oidc-provider's own (discovery, authorize, token, userinfo, jwks, end_session).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { interactionPolicy, type Account, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { TrustStore, TrustStoreError } from '../../../means/cps/trust-store.js';
import { AGENT_LOGOUT_PATH, MAX_JWS_BYTES, NONCE_TTL_S, REQUEST_PARAMS, RESPONSE_PARAMS, accountIdFor, amrFor, type ProofClaims } from '../assertion/protocol.js';
import { SsoError } from '../sso-error.js';
import { AccountStore } from './account-store.js';
import { NonceStore, ReplayCache } from './nonce-store.js';
import { PAGE_HEADERS, errorPage, loggedOutPage, logoutPage, pageLang, refusedPage, signInPage } from './pages.js';
import type { ProviderConfig } from './provider-config.js';
import { loadOrCreateProviderSecrets } from './signing-keys.js';
import { WorkstationKeyRing, verifyLogout, verifyProof } from './verify-proof.js';

/** What the provider tells its host (the CLI prints it as JSON lines). Never a token or a proof. */
export type ProviderEvent =
  | { readonly event: 'login'; readonly account: string; readonly workstation: string; readonly amr: readonly string[]; readonly acr: string }
  | { readonly event: 'proof_refused'; readonly reason: string; readonly detail: string }
  | { readonly event: 'no_session'; readonly interaction: string }
  | { readonly event: 'agent_logout'; readonly account: string; readonly workstation: string; readonly sessionsEnded: number }
  | { readonly event: 'logout_refused'; readonly reason: string }
  | { readonly event: 'server_error'; readonly detail: string };

export interface EmbeddedProviderOptions {
  readonly config: ProviderConfig;
  readonly log?: (e: ProviderEvent) => void;
  readonly now?: () => number;
}

export interface EmbeddedProvider {
  readonly issuer: string;
  /** Where it listens (`http://host:port`). */
  readonly listening: string;
  readonly provider: Provider;
  /** Ends every provider session of an account (all workstations). */
  endSessionsOf(accountId: string): number;
  close(): Promise<void>;
}

interface KnownAccount {
  readonly claims: ProofClaims;
}

/** The acr of a login: the first rule whose amr are all present, else the default. */
export function acrFor(amr: readonly string[], acr: ProviderConfig['acr']): string {
  return acr.rules.find((r) => r.amr.every((m) => amr.includes(m)))?.acr ?? acr.default;
}

/** Pro Santé Connect-like claims of a person (`sub` = RPPS, or the local id). */
function personClaims(accountId: string, c: ProofClaims): { sub: string } & Record<string, string> {
  const p = c.person;
  return {
    sub: accountId,
    name: p.name,
    ...(p.given_name ? { given_name: p.given_name } : {}),
    ...(p.family_name ? { family_name: p.family_name } : {}),
    preferred_username: p.rpps ?? p.id,
    ...(p.rpps ? { SubjectNameID: `8${p.rpps}` } : {}),
    ...(p.profession ? { profession: p.profession } : {}),
  };
}

/**
 * oidc-provider's prompts plus one check: a provider session older than `reassertAfterS` is asked
 * to log in again, which goes through the agent again (no prompt for the person). So whoever is
 * at the workstation now is who gets signed in, even if a lock notice was lost.
 */
function loginPolicy(reassertAfterS: number): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('tessera_reassert', 'the workstation must assert the session again', (ctx) => {
      const { session, result } = ctx.oidc;
      const stale = session?.accountId !== undefined && result?.login === undefined && session.past(reassertAfterS);
      return stale ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function trustFrom(files: readonly string[]): TrustStore | undefined {
  if (files.length === 0) return undefined;
  try {
    return TrustStore.fromPemFiles(files);
  } catch (e) {
    if (e instanceof TrustStoreError) throw new SsoError('sso_config_invalid', `trustAnchors: ${e.message}`, { reason: 'trustAnchors', cause: e });
    throw e;
  }
}

export async function startEmbeddedProvider(opts: EmbeddedProviderOptions): Promise<EmbeddedProvider> {
  const { config } = opts;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const issuer = config.issuer;
  const secrets = await loadOrCreateProviderSecrets(config.keysDir);
  const ring = await WorkstationKeyRing.fromFiles(config.agent.workstationKeys);
  const trust = trustFrom(config.trustAnchors);
  const store = new AccountStore(now);
  const nonces = new NonceStore(NONCE_TTL_S * 1000, now);
  const replays = new ReplayCache(now);
  const accounts = new Map<string, KnownAccount>();
  /** `${account}|${loginTs}` → kids of the workstations that asserted that login, kept as long as a session may live. */
  const loginWorkstations = new Map<string, { kids: Set<string>; expiresAt: number }>();
  let lastSweep = 0;
  const rememberLogin = (key: string, kid: string): void => {
    const t = now();
    if (t - lastSweep > 60_000) {
      lastSweep = t;
      for (const [k, v] of loginWorkstations) if (v.expiresAt <= t) loginWorkstations.delete(k);
    }
    const entry = loginWorkstations.get(key) ?? { kids: new Set<string>(), expiresAt: 0 };
    entry.kids.add(kid);
    entry.expiresAt = t + config.tokens.sessionSeconds * 1000;
    loginWorkstations.set(key, entry);
  };
  const t = config.tokens;
  const acrValues = [...new Set([...config.acr.rules.map((r) => r.acr), config.acr.default])];

  const configuration: Configuration = {
    adapter: store.adapterFactory(),
    clients: config.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret !== undefined ? { client_secret: c.clientSecret } : {}),
      application_type: c.applicationType,
      token_endpoint_auth_method: c.clientSecret !== undefined ? 'client_secret_basic' : 'none',
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      grant_types: t.refreshTokenSeconds > 0 ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      scope: [...new Set(['openid', ...c.scopes, ...(t.refreshTokenSeconds > 0 ? ['offline_access'] : [])])].join(' '),
    })),
    jwks: { keys: secrets.jwks.keys.map((k) => ({ ...k })) },
    cookies: { keys: [...secrets.cookieKeys] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: {
      // oidc-provider puts acr, amr and auth_time in the ID token only when a scope (or the
      // claims parameter) asks for them: the openid scope always does here.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      rpps: ['SubjectNameID', 'profession'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'rpps'],
    acrValues,
    ttl: {
      AuthorizationCode: t.authorizationCodeSeconds,
      AccessToken: t.accessTokenSeconds,
      IdToken: t.idTokenSeconds,
      RefreshToken: t.refreshTokenSeconds > 0 ? t.refreshTokenSeconds : 1,
      Session: t.sessionSeconds,
      Grant: t.sessionSeconds,
      Interaction: t.interactionSeconds,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.set(PAGE_HEADERS);
          ctx.body = logoutPage(pageLang(ctx.get('accept-language')), form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.set(PAGE_HEADERS);
          ctx.body = loggedOutPage(pageLang(ctx.get('accept-language')));
        },
      },
    },
    interactions: { policy: loginPolicy(config.agent.reassertAfterSeconds), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string): Account | undefined => {
      const known = accounts.get(sub);
      if (!known) return undefined;
      return { accountId: sub, claims: () => personClaims(sub, known.claims) };
    },
    renderError: (ctx, out) => {
      ctx.set(PAGE_HEADERS);
      ctx.body = errorPage(pageLang(ctx.get('accept-language')), String(out.error), out.error_description !== undefined ? String(out.error_description) : undefined);
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx: unknown, err: Error) => log({ event: 'server_error', detail: err.message }));
  const oidc = provider.callback();

  const html = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, PAGE_HEADERS).end(body);
  };

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return html(res, 400, errorPage(pageLang(req.headers['accept-language']), 'invalid_request'));
    const lang = pageLang(req.headers['accept-language']);
    if (details.prompt.name === 'login') {
      const endpoint = config.agent.assertionEndpoint;
      if (!endpoint) return html(res, 200, signInPage(lang, `/interaction/${uid}`));
      const to = new URL(endpoint);
      to.searchParams.set(REQUEST_PARAMS.nonce, nonces.issue(uid));
      to.searchParams.set(REQUEST_PARAMS.issuer, issuer);
      to.searchParams.set(REQUEST_PARAMS.returnTo, `${issuer}/interaction/${uid}/assertion`);
      res.writeHead(302, { Location: to.href, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).end();
      return;
    }
    if (details.prompt.name === 'consent') {
      // Every client is configured by IT (no dynamic registration): what it asks is granted.
      const accountId = details.session?.accountId;
      const clientId = details.params['client_id'];
      if (!accountId || typeof clientId !== 'string') return html(res, 400, errorPage(lang, 'invalid_request'));
      const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId });
      const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    html(res, 400, errorPage(lang, 'unsupported_prompt'));
  }

  async function assertion(req: IncomingMessage, res: ServerResponse, uid: string, url: URL): Promise<void> {
    const lang = pageLang(req.headers['accept-language']);
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid || details.prompt.name !== 'login') return html(res, 400, errorPage(lang, 'invalid_request'));
    const retry = `/interaction/${uid}`;
    const error = url.searchParams.get(RESPONSE_PARAMS.error);
    const proof = url.searchParams.get(RESPONSE_PARAMS.proof);
    if (proof === null || error !== null) {
      if (error === 'no_session') {
        log({ event: 'no_session', interaction: uid });
        return html(res, 200, signInPage(lang, retry));
      }
      // Only the protocol's values are echoed (the page and the log never carry what a URL made up).
      const reason = error === 'invalid_request' || error === 'server_error' ? `agent_${error}` : 'agent_no_answer';
      log({ event: 'proof_refused', reason, detail: 'the agent answered without a proof' });
      return html(res, 400, refusedPage(lang, reason, retry));
    }
    let verified;
    try {
      verified = await verifyProof(proof, {
        issuer,
        ring,
        consumeNonce: (n) => nonces.consume(n, uid),
        ...(trust ? { trust } : {}),
        maxAuthAgeS: config.agent.maxAuthAgeSeconds,
        requireCardSignature: config.agent.requireCardSignature,
        nowMs: now(),
      });
    } catch (e) {
      if (!(e instanceof SsoError)) throw e;
      const reason = e.reason ?? e.code;
      log({ event: 'proof_refused', reason, detail: e.message });
      return html(res, 400, refusedPage(lang, reason, retry));
    }
    const c = verified.claims;
    const accountId = accountIdFor(c.person);
    // `hwk` only when the provider itself verified the card's signature over this login's nonce.
    const amr = amrFor(c.means, c.factors, verified.cardSigned);
    const acr = acrFor(amr, config.acr);
    const ts = Math.floor(now() / 1000);
    accounts.set(accountId, { claims: c });
    rememberLogin(`${accountId}|${ts}`, verified.workstation.kid);
    log({ event: 'login', account: accountId, workstation: verified.workstation.name, amr, acr });
    await provider.interactionFinished(req, res, { login: { accountId, amr, acr, ts, remember: false } }, { mergeWithLastSubmission: false });
  }

  async function agentLogout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, body?: object): void => {
      res.writeHead(status, { 'Cache-Control': 'no-store', ...(body ? { 'Content-Type': 'application/json' } : {}) }).end(body ? JSON.stringify(body) : undefined);
    };
    if (req.method !== 'POST') return answer(405, { error: 'invalid_request' });
    if ((req.headers['content-type'] ?? '').split(';')[0]?.trim() !== 'application/jwt') return answer(415, { error: 'invalid_request', reason: 'content_type' });
    const body = await readBody(req, MAX_JWS_BYTES);
    if (body === undefined) return answer(413, { error: 'invalid_request', reason: 'too_large' });
    try {
      const { claims, workstation } = await verifyLogout(body.trim(), { issuer, ring, firstUse: (j, until) => replays.firstUse(j, until), nowMs: now() });
      const accountId = accountIdFor({ id: claims.sub, ...(claims.rpps !== undefined ? { rpps: claims.rpps } : {}) });
      const ended = store.endSessions(accountId, (s) => loginWorkstations.get(`${accountId}|${String(s.loginTs)}`)?.kids.has(workstation.kid) === true);
      log({ event: 'agent_logout', account: accountId, workstation: workstation.name, sessionsEnded: ended });
      answer(204);
    } catch (e) {
      if (!(e instanceof SsoError)) throw e;
      log({ event: 'logout_refused', reason: e.reason ?? e.code });
      answer(400, { error: 'invalid_request', reason: e.reason ?? e.code });
    }
  }

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === AGENT_LOGOUT_PATH) return agentLogout(req, res);
    const m = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/assertion)?$/.exec(url.pathname);
    if (m?.[1] !== undefined) {
      if (req.method !== 'GET') return html(res, 405, errorPage(pageLang(req.headers['accept-language']), 'invalid_request'));
      return m[2] ? assertion(req, res, m[1], url) : interaction(req, res, m[1]);
    }
    await oidc(req, res);
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const lang = pageLang(req.headers['accept-language']);
      // interactionDetails throws SessionNotFound when the interaction cookie is missing or stale.
      const name = e instanceof Error ? e.name : 'Error';
      if (name !== 'SessionNotFound') log({ event: 'server_error', detail: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) html(res, name === 'SessionNotFound' ? 400 : 500, errorPage(lang, name === 'SessionNotFound' ? 'invalid_request' : 'server_error'));
      else res.destroy();
    });
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  const port = config.listen.port ?? Number(new URL(issuer).port || (new URL(issuer).protocol === 'https:' ? 443 : 80));
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(e.code === 'EADDRINUSE' ? new SsoError('sso_port_in_use', `${config.listen.host}:${port} is in use`, { cause: e }) : e);
    };
    server.once('error', onError);
    server.listen(port, config.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    issuer,
    listening: `http://${host}:${addr.port}`,
    provider,
    endSessionsOf: (accountId) => store.endSessions(accountId),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
