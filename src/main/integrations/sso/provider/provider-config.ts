/**
 * Configuration file of the embedded provider (docs/sso-provider.md): a JSON file validated with
 * zod. Unknown keys, wrong types and insecure values are errors naming the field
 * (`SsoError('sso_config_invalid')`, `reason` = the dotted path). Relative paths are taken from
 * the file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { SsoError } from '../sso-error.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** A string that parses as a URL and passes `problems` (each returned text is one issue). */
const url = (problems: (u: URL) => readonly (string | false)[]) =>
  z.string().superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL' });
      return;
    }
    for (const p of problems(u)) if (p !== false) ctx.addIssue({ code: 'custom', message: p });
  });

const isLoopbackHttp = (u: URL): boolean => u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname);

/** https://, or http:// on a loopback host (the workstation-local provider, tests); served at the root. */
const issuerUrl = url((u) => [
  u.protocol !== 'https:' && !isLoopbackHttp(u) && 'must be https:// (http:// only on 127.0.0.1, [::1] or localhost)',
  (u.search !== '' || u.hash !== '' || u.username !== '') && 'no query, fragment or credentials',
  u.pathname !== '/' && 'no path: the provider is served at the root of its origin',
]).refine((v) => !v.endsWith('/'), 'no trailing slash');

const redirectUri = url((u) => [
  u.hash !== '' && 'a redirect URI has no fragment',
  u.protocol !== 'https:' && !isLoopbackHttp(u) && !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(u.protocol) &&
    'https://, http:// on a loopback address, or a private-use scheme (reverse domain)',
]);

const assertEndpoint = url((u) => [
  (u.protocol !== 'http:' || u.hostname !== '127.0.0.1' || u.port === '' || u.pathname !== '/tessera/assert' || u.search !== '') &&
    'must be http://127.0.0.1:<port>/tessera/assert',
]);

const token = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, 'printable ASCII without spaces, quotes or backslashes, 1–128 characters');

const clientSchema = z
  .strictObject({
    clientId: token,
    /** Confidential (web) clients only; native clients are public and use PKCE alone. */
    clientSecret: z.string().min(32, 'at least 32 characters').max(256).optional(),
    applicationType: z.enum(['native', 'web']).default('native'),
    redirectUris: z.array(redirectUri).min(1).max(32),
    postLogoutRedirectUris: z.array(redirectUri).max(32).default([]),
    scopes: z.array(token).max(32).default(['openid', 'profile', 'rpps']),
  })
  .superRefine((c, ctx) => {
    if (c.applicationType === 'web' && c.clientSecret === undefined) ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'required for a web client' });
  });

const lifetimes = z
  .strictObject({
    authorizationCodeSeconds: z.int().min(10).max(600).default(60),
    accessTokenSeconds: z.int().min(60).max(86_400).default(600),
    idTokenSeconds: z.int().min(60).max(86_400).default(600),
    /** 0: no refresh tokens. */
    refreshTokenSeconds: z.int().min(0).max(30 * 86_400).default(8 * 3600),
    sessionSeconds: z.int().min(60).max(86_400).default(12 * 3600),
    interactionSeconds: z.int().min(60).max(3600).default(600),
  })
  .prefault({});

const workstationKey = z.strictObject({
  name: z.string().min(1).max(128),
  /** SPKI PEM file of the workstation's ECDSA P-256 public key. */
  publicKeyFile: z.string().min(1),
});

const acrRule = z.strictObject({
  /** The rule applies when the login's amr contains all of these. */
  amr: z.array(z.string().regex(/^[a-z]{2,8}$/)).min(1).max(8),
  acr: token,
});

export const providerConfigSchema = z.strictObject({
  issuer: issuerUrl,
  listen: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      /** Default: the issuer's port. */
      port: z.int().min(0).max(65_535).optional(),
    })
    .prefault({}),
  /** Folder of the signing keys and cookie keys (created 0700). */
  keysDir: z.string().min(1),
  clients: z.array(clientSchema).min(1).max(256),
  tokens: lifetimes,
  agent: z
    .strictObject({
      /** The workstation agent's loopback assertion endpoint; absent: interactive page only. */
      assertionEndpoint: assertEndpoint.optional(),
      workstationKeys: z.array(workstationKey).max(10_000).default([]),
      /** Oldest two-factor authentication accepted in a proof (seconds; the EXI 14 window). */
      maxAuthAgeSeconds: z.int().min(60).max(24 * 3600).default(4 * 3600),
      /** A provider session older than this is asserted again by the agent at the next authorization (0: at every one). */
      reassertAfterSeconds: z.int().min(0).max(24 * 3600).default(300),
      /** Refuse a CPS session's proof that the card itself did not sign (needs `trustAnchors`). */
      requireCardSignature: z.boolean().default(false),
    })
    .prefault({}),
  /** PEM files of the CPS trust anchors (roots and issuing CAs); present: CPS proofs must carry a chain that verifies. */
  trustAnchors: z.array(z.string().min(1)).max(64).default([]),
  acr: z
    .strictObject({
      rules: z.array(acrRule).max(32).default([{ amr: ['mfa'], acr: 'urn:tessera:acr:2fa' }]),
      default: token.default('urn:tessera:acr:exi14'),
    })
    .prefault({}),
});

export type ProviderConfig = z.infer<typeof providerConfigSchema>;

/** Validates a parsed object; `baseDir` resolves relative paths. */
export function parseProviderConfig(value: unknown, baseDir: string): ProviderConfig {
  const r = providerConfigSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue ? issue.path.map(String).join('.') || '(root)' : '(root)';
    const text = issue?.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}` : (issue?.message ?? 'invalid');
    const at = issue?.code === 'unrecognized_keys' && field === '(root)' ? issue.keys[0] ?? field : field;
    throw new SsoError('sso_config_invalid', `provider configuration: ${at}: ${text}`, { reason: at });
  }
  const c = r.data;
  if (c.agent.requireCardSignature && c.trustAnchors.length === 0) {
    throw new SsoError('sso_config_invalid', 'provider configuration: agent.requireCardSignature: needs trustAnchors (the card signature counts only with a certificate chain checked against them)', { reason: 'agent.requireCardSignature' });
  }
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const seen = new Set<string>();
  for (const [i, cl] of c.clients.entries()) {
    if (seen.has(cl.clientId)) throw new SsoError('sso_config_invalid', `provider configuration: clients.${i}.clientId: duplicate ${cl.clientId}`, { reason: `clients.${i}.clientId` });
    seen.add(cl.clientId);
  }
  return {
    ...c,
    keysDir: abs(c.keysDir),
    trustAnchors: c.trustAnchors.map(abs),
    agent: { ...c.agent, workstationKeys: c.agent.workstationKeys.map((k) => ({ ...k, publicKeyFile: abs(k.publicKeyFile) })) },
  };
}

/** Reads and validates the file; unreadable or non-JSON files are `sso_config_invalid` too. */
export function loadProviderConfig(file: string): ProviderConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SsoError('sso_config_invalid', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { reason: 'file', cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SsoError('sso_config_invalid', `${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`, { reason: 'file', cause: e });
  }
  return parseProviderConfig(value, dirname(resolve(file)));
}
