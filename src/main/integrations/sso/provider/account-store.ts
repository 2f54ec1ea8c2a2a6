/**
 * The provider's storage (an oidc-provider adapter, in memory) with the one query the library's
 * own memory adapter lacks: every session of an account, so the agent's logout can end them,
 * together with the grants (and so the codes, access and refresh tokens) they hold.
 *
 * Entries expire with the lifetime oidc-provider gives them; expired ones are swept at most once
 * a minute. The provider is meant for one site's workstations: a restart signs everyone out.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** Models whose entries belong to a grant (revoked with it). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

export class AccountStore {
  private readonly entries = new Map<string, Entry>();
  private readonly byUid = new Map<string, string>();
  private readonly byUserCode = new Map<string, string>();
  private readonly byGrant = new Map<string, Set<string>>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The adapter factory to give oidc-provider (`adapter` configuration). */
  adapterFactory(): (model: string) => Adapter {
    return (model: string) => this.adapter(model);
  }

  get size(): number {
    return this.entries.size;
  }

  private get(key: string): AdapterPayload | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    return e.payload;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    const { uid, userCode, grantId } = e.payload;
    if (typeof uid === 'string' && this.byUid.get(uid) === key) this.byUid.delete(uid);
    if (typeof userCode === 'string' && this.byUserCode.get(userCode) === key) this.byUserCode.delete(userCode);
    if (typeof grantId === 'string') {
      const members = this.byGrant.get(grantId);
      members?.delete(key);
      if (members?.size === 0) this.byGrant.delete(grantId);
    }
  }

  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [key, e] of this.entries) if (e.expiresAt <= now) this.remove(key);
  }

  private revokeGrant(grantId: string): void {
    for (const key of [...(this.byGrant.get(grantId) ?? [])]) this.remove(key);
    this.byGrant.delete(grantId);
    this.remove(`Grant:${grantId}`);
  }

  /**
   * Ends every session of `accountId` for which `which(session)` is true (default: all), and the
   * grants those sessions hold with their codes and tokens. Returns how many sessions ended.
   */
  endSessions(accountId: string, which: (session: AdapterPayload) => boolean = () => true): number {
    let ended = 0;
    for (const [key, e] of [...this.entries]) {
      if (!key.startsWith('Session:') || e.payload.accountId !== accountId || !which(e.payload)) continue;
      for (const auth of Object.values(e.payload.authorizations ?? {})) {
        if (typeof auth.grantId === 'string') this.revokeGrant(auth.grantId);
      }
      this.remove(key);
      ended += 1;
    }
    return ended;
  }

  private adapter(model: string): Adapter {
    const key = (id: string): string => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        this.sweep();
        const k = key(id);
        this.remove(k);
        const expiresAt = typeof expiresIn === 'number' ? this.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        this.entries.set(k, { payload, expiresAt });
        if (model === 'Session' && typeof payload.uid === 'string') this.byUid.set(payload.uid, k);
        if (typeof payload.userCode === 'string') this.byUserCode.set(payload.userCode, k);
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') {
          const members = this.byGrant.get(payload.grantId) ?? new Set<string>();
          members.add(k);
          this.byGrant.set(payload.grantId, members);
        }
      },
      find: async (id) => this.get(key(id)),
      findByUid: async (uid) => {
        const k = this.byUid.get(uid);
        return k !== undefined ? this.get(k) : undefined;
      },
      findByUserCode: async (code) => {
        const k = this.byUserCode.get(code);
        return k !== undefined ? this.get(k) : undefined;
      },
      consume: async (id) => {
        const p = this.get(key(id));
        if (p) p.consumed = Math.floor(this.now() / 1000);
      },
      destroy: async (id) => {
        this.remove(key(id));
      },
      revokeByGrantId: async (grantId) => {
        this.revokeGrant(grantId);
      },
    };
  }
}
