/**
 * The minimal session of the foundation slice: opened by a two-factor `AuthEvent`, locked when
 * the card that opened it leaves its reader. The session-engine issue replaces it with the RIE
 * policy, the EXI 14 window and the audit trail; the states here are a subset of that machine.
 */
import type { AuthEvent, Subject } from '../means/auth-event.js';

export type SessionState =
  | { readonly state: 'none' }
  | { readonly state: 'active'; readonly subject: Subject; readonly means: AuthEvent['means']; readonly since: Date; readonly reader?: string }
  | { readonly state: 'locked'; readonly subject: Subject; readonly means: AuthEvent['means']; readonly since: Date; readonly lockedAt: Date; readonly reason: 'card_removed' };

export type SessionDecision =
  | { readonly decision: 'opened'; readonly reason: 'two_factor' }
  | { readonly decision: 'refused'; readonly reason: 'not_two_factor' }
  | { readonly decision: 'locked'; readonly reason: 'card_removed' }
  | { readonly decision: 'ignored'; readonly reason: 'not_session_card' | 'no_session' };

export class MinimalSession {
  private current: SessionState = { state: 'none' };
  private readonly listeners = new Set<(s: SessionState, d: SessionDecision) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  get state(): SessionState {
    return this.current;
  }

  onChange(listener: (s: SessionState, d: SessionDecision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A possession factor plus a knowledge or inherence factor opens the session. */
  authenticated(event: AuthEvent): SessionDecision {
    const f = new Set(event.factors);
    if (!(f.has('possession') && (f.has('knowledge') || f.has('inherence')))) {
      return this.decide({ decision: 'refused', reason: 'not_two_factor' });
    }
    this.current = {
      state: 'active',
      subject: event.subject,
      means: event.means,
      since: event.at,
      ...(event.reader ? { reader: event.reader } : {}),
    };
    return this.decide({ decision: 'opened', reason: 'two_factor' });
  }

  cardRemoved(reader: string): SessionDecision {
    const s = this.current;
    if (s.state !== 'active') return this.decide({ decision: 'ignored', reason: 'no_session' });
    if (s.reader !== reader) return this.decide({ decision: 'ignored', reason: 'not_session_card' });
    this.current = { state: 'locked', subject: s.subject, means: s.means, since: s.since, lockedAt: this.now(), reason: 'card_removed' };
    return this.decide({ decision: 'locked', reason: 'card_removed' });
  }

  private decide(d: SessionDecision): SessionDecision {
    if (d.decision === 'opened' || d.decision === 'locked') {
      for (const l of [...this.listeners]) l(this.current, d);
    }
    return d;
  }
}
