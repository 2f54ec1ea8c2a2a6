/**
 * The agent side of the back-channel logout (docs/agent-assertion-protocol.md §6): when the
 * person's session ends at the workstation (sign-out, end of the EXI 14 window), each configured
 * provider is told with a notice signed by the workstation key, and ends that person's sessions.
 */
import type { Decision } from '../../../session/policy/decision.js';
import { SsoError } from '../sso-error.js';
import { AGENT_LOGOUT_PATH, workstationIssuer, type LogoutReason } from './protocol.js';
import { signLogout } from './sign.js';
import type { WorkstationKey } from './workstation-key.js';

export interface LogoutNotifierOptions {
  readonly key: WorkstationKey;
  readonly workstation: string;
  readonly providers: readonly string[];
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export interface LogoutOutcome {
  readonly issuer: string;
  readonly ok: boolean;
  /** HTTP status, or the failure code when nothing answered. */
  readonly status?: number;
  readonly error?: string;
}

/** The provider's logout endpoint for an issuer (`<issuer>/tessera/agent-logout`). */
export function logoutEndpoint(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}${AGENT_LOGOUT_PATH}`;
}

export class LogoutNotifier {
  constructor(private readonly opts: LogoutNotifierOptions) {}

  /** Tells every provider; never throws (a provider down is reported in its outcome). */
  async notifyLogout(person: { readonly id: string; readonly rpps?: string | undefined }, reason: LogoutReason = 'sign_out'): Promise<LogoutOutcome[]> {
    return Promise.all(
      this.opts.providers.map(async (issuer): Promise<LogoutOutcome> => {
        try {
          const body = await signLogout(this.opts.key, {
            iss: workstationIssuer(this.opts.workstation),
            aud: issuer,
            sub: person.id,
            ...(person.rpps !== undefined ? { rpps: person.rpps } : {}),
            reason,
            nowMs: (this.opts.now ?? Date.now)(),
          });
          const res = await fetch(logoutEndpoint(issuer), {
            method: 'POST',
            headers: { 'Content-Type': 'application/jwt' },
            body,
            redirect: 'error',
            signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
          });
          await res.arrayBuffer().catch(() => undefined);
          return { issuer, ok: res.status === 204 || res.status === 200, status: res.status };
        } catch (e) {
          const error = e instanceof SsoError ? e.code : e instanceof Error && e.name === 'TimeoutError' ? 'sso_provider_slow' : 'sso_provider_unreachable';
          return { issuer, ok: false, error };
        }
      }),
    );
  }
}

/**
 * Notifies the providers after each recorded `sign_out`, `expire` or `lock` decision about a
 * person (a user switch locks the person in front first). Returns the unsubscribe function.
 * `report` gets each provider's outcome.
 */
export function logoutOnSessionEnd(
  engine: { onRecorded(listener: (d: Decision) => void): () => void },
  notifier: Pick<LogoutNotifier, 'notifyLogout'>,
  report: (person: string, outcomes: readonly LogoutOutcome[]) => void = () => undefined,
): () => void {
  return engine.onRecorded((d) => {
    if ((d.decision !== 'sign_out' && d.decision !== 'expire' && d.decision !== 'lock') || d.person === undefined) return;
    const person = d.person;
    notifier
      .notifyLogout({ id: person, ...(d.rpps !== undefined ? { rpps: d.rpps } : {}) }, d.decision)
      .then((o) => report(person, o))
      .catch(() => undefined);
  });
}
