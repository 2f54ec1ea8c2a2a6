/**
 * The OpenID Connect client as a long-running agent needs it: discovered on first use, not at
 * start. The provider may be down when the workstation boots (the degraded mode the probe
 * reports); the agent must start all the same and sign people in once it answers. A failed
 * discovery is not remembered: the next sign-in or refresh tries again. A successful one is kept
 * for the life of the agent (the library refetches the provider's keys itself when they rotate).
 */
import type { RefreshOptions, RefreshResult, SignInOptions, SignInResult } from './oidc-client.js';
import { OidcClient, type OidcClientOptions } from './oidc-client.js';

export type Discover = (options: OidcClientOptions) => Promise<OidcClient>;

export class DiscoveredClient {
  private pending: Promise<OidcClient> | undefined;

  constructor(
    readonly options: OidcClientOptions,
    private readonly discover: Discover = (o) => OidcClient.discover(o),
  ) {}

  /** The discovered client; discovery runs now if it has not succeeded yet (concurrent callers share one). */
  client(): Promise<OidcClient> {
    if (!this.pending) {
      const attempt = this.discover(this.options);
      this.pending = attempt;
      attempt.catch(() => {
        if (this.pending === attempt) this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** Whether a discovery has succeeded (no network call). */
  async discovered(): Promise<boolean> {
    const p = this.pending;
    if (!p) return false;
    try {
      await p;
      return true;
    } catch {
      return false;
    }
  }

  async signIn(opts: SignInOptions): Promise<SignInResult> {
    return (await this.client()).signIn(opts);
  }

  async refresh(refreshToken: string, opts: RefreshOptions = {}): Promise<RefreshResult> {
    return (await this.client()).refresh(refreshToken, opts);
  }

  /** The provider's end-session URL for `idToken`, or undefined when it publishes none. */
  async logoutUrl(idToken: string): Promise<URL | undefined> {
    const c = await this.client();
    return c.supportsLogout ? c.logoutUrl(idToken) : undefined;
  }
}
