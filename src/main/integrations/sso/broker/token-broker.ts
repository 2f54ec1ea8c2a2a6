/**
 * The token broker: a local application (a thick patient-record client) asks the agent, over
 * the control channel, for an access token for one configured audience instead of running its
 * own browser sign-in. It gets one only when
 *  1. the process at the other end of the socket is identified (`peer-process.ts`) and EVERY
 *     process holding that connection runs an allow-listed executable (real path, and SHA-256
 *     when the allow-list pins it);
 *  2. that allow-list entry names the audience, and the audience is configured;
 *  3. the session vault hands out a token for it (the person's 2FA session is active and inside
 *     its window; see `session-token-vault.ts`).
 *
 * How a token for an audience is obtained (token exchange, RFC 8693, is not offered by every
 * provider, so it is not used): the session's own access token when its `aud` already names the
 * audience; otherwise a refresh grant narrowed by the configured RFC 8707 `resource` and/or
 * `scope` of that audience (cached per audience until it nears expiry).
 *
 * Every hand-out and every refusal is written to the audit log BEFORE the answer goes out; when
 * the record cannot be written, nothing is handed out.
 */
import { realpath } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { AuditInput } from '../../audit/record.js';
import type { TokenResult } from '../../control/protocol.js';
import { looksSecret } from '../../audit/record.js';
import { SsoError } from '../sso-error.js';
import type { HandedToken, TokenRequest, VaultView } from '../tokens/session-token-vault.js';
import { identifyPeer, type PeerIdentity, type PeerProcess } from './peer-process.js';

export interface BrokerApplication {
  /** Absolute path of the executable (symbolic links are resolved before comparing). */
  readonly path: string;
  /** SHA-256 (hex) the executable must have, when pinned. */
  readonly sha256?: string;
  /** Audiences this application may get a token for. */
  readonly audiences: readonly string[];
}

export interface BrokerAudience {
  readonly audience: string;
  /** RFC 8707 resource indicator sent with the narrowed refresh. */
  readonly resource?: string;
  /** Space-separated scopes asked for with the narrowed refresh (a subset of those granted). */
  readonly scope?: string;
}

/** What the broker needs from the session vault. */
export interface BrokerVault {
  token(req: TokenRequest): Promise<HandedToken>;
  view(): VaultView | undefined;
}

export interface TokenBrokerOptions {
  readonly vault: BrokerVault;
  readonly applications: readonly BrokerApplication[];
  readonly audiences: readonly BrokerAudience[];
  /** Appends one audit record; resolves once it is durable. */
  readonly audit: (input: AuditInput) => Promise<unknown>;
  /** Finds the peer of a connection (default: `identifyPeer`, hashing when some entry pins a hash). */
  readonly identify?: (socket: Socket) => Promise<PeerIdentity>;
  /** Milliseconds since the epoch (default: the wall clock), for `expiresIn`. */
  readonly now?: () => number;
}

/** What the `token` method answers (the control channel's wire type). */
export type TokenGrant = TokenResult;

type Refusal = 'peer_unknown' | 'not_allowed' | 'audience_unknown' | 'no_token';

export class TokenBroker {
  private readonly audiences: ReadonlyMap<string, BrokerAudience>;
  private readonly identify: (socket: Socket) => Promise<PeerIdentity>;
  private readonly now: () => number;

  constructor(private readonly opts: TokenBrokerOptions) {
    this.audiences = new Map(opts.audiences.map((a) => [a.audience, a]));
    const hash = opts.applications.some((a) => a.sha256 !== undefined);
    this.identify = opts.identify ?? ((s) => identifyPeer(s, { hash }));
    this.now = opts.now ?? Date.now;
  }

  /** Answers one `token` request from the connection `socket`. */
  async request(params: { readonly audience: string }, socket: Socket): Promise<TokenGrant> {
    const { audience } = params;
    let peer: PeerIdentity;
    try {
      peer = await this.identify(socket);
    } catch (e) {
      throw await this.refuse('peer_unknown', audience, undefined, e instanceof SsoError ? e : new SsoError('sso_not_allowed', 'the asking process could not be identified', { reason: 'peer_unknown', cause: e }));
    }
    const first = peer.processes[0];
    const entry = await this.allowed(peer.processes, audience);
    if (!entry) throw await this.refuse('not_allowed', audience, first, new SsoError('sso_not_allowed', `${first?.exe ?? 'unknown'} may not get a token for ${audience}`, { reason: 'not_allow_listed' }));
    const conf = this.audiences.get(audience);
    if (!conf) throw await this.refuse('audience_unknown', audience, first, new SsoError('sso_no_token', `audience ${audience} is not configured`, { reason: 'audience_unknown' }));
    let handed: HandedToken;
    try {
      handed = await this.opts.vault.token({ audience, ...(conf.resource !== undefined ? { resource: conf.resource } : {}), ...(conf.scope !== undefined ? { scope: conf.scope } : {}) });
    } catch (e) {
      throw await this.refuse('no_token', audience, first, e);
    }
    await this.opts.audit({
      event: 'token_request',
      decision: 'allow',
      reason: 'broker.issued',
      person: handed.person,
      details: this.details(audience, first),
    });
    const expiresAt = handed.expiresAt.getTime();
    return {
      accessToken: handed.accessToken,
      tokenType: 'Bearer',
      audience,
      expiresAt: handed.expiresAt.toISOString(),
      expiresIn: Math.max(0, Math.floor((expiresAt - this.now()) / 1000)),
      person: handed.person,
    };
  }

  /** The allow-list entry that lets every holder of the connection have `audience`, if any. */
  private async allowed(processes: readonly PeerProcess[], audience: string): Promise<BrokerApplication | undefined> {
    if (processes.length === 0) return undefined;
    let match: BrokerApplication | undefined;
    for (const p of processes) {
      let found: BrokerApplication | undefined;
      for (const a of this.opts.applications) {
        if (!a.audiences.includes(audience)) continue;
        if ((await resolved(a.path)) !== p.exe) continue;
        if (a.sha256 !== undefined && a.sha256.toLowerCase() !== p.sha256) continue;
        found = a;
        break;
      }
      if (!found) return undefined;
      match ??= found;
    }
    return match;
  }

  private details(audience: string, p: PeerProcess | undefined): AuditInput['details'] {
    return {
      // An audience the configuration does not know is recorded only when it cannot be a smuggled secret.
      ...(this.audiences.has(audience) || !looksSecret(audience) ? { audience } : {}),
      ...(p ? { application: p.exe, peerPid: p.pid, ...(p.sha256 !== undefined ? { applicationSha256: p.sha256 } : {}) } : {}),
    };
  }

  /** Records the refusal, then gives back the error to throw. */
  private async refuse(why: Refusal, audience: string, p: PeerProcess | undefined, error: unknown): Promise<unknown> {
    const code = error instanceof SsoError ? (error.reason ?? error.code) : error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'failed';
    const person = this.opts.vault.view()?.person;
    await this.opts.audit({
      event: 'token_request',
      decision: 'deny',
      reason: `broker.${why}`,
      ...(person !== undefined ? { person } : {}),
      details: { ...this.details(audience, p), errorCode: /^[a-z0-9][a-z0-9_.:-]{0,63}$/.test(code) ? code : 'failed' },
    });
    return error;
  }
}

async function resolved(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}
