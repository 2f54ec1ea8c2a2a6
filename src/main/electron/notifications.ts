/**
 * Which desktop notifications a status change deserves, as a pure function of the previous
 * memory, the new status and the clock. The shell shows what it answers (when the user's
 * settings allow notifications); tests check it state by state.
 *
 * - the re-identification window is about to end: once per window (person and end time);
 * - degraded mode: once per reason when it starts, and once when the last reason clears;
 * - the agent stops answering: once, until it answers again.
 */
import { degradedReasonText, formatDuration, statusWords, type Language } from '../../shared/status-text.js';
import { personSession, timeLeftMs, type StatusView } from '../../shared/status-view.js';

/** How long before the end of the window the person is warned. */
export const expiryWarningMs = 5 * 60_000;

export interface NotifierMemory {
  /** `person id + window end` of the window already warned about. */
  warnedWindow: string | null;
  /** Degraded reason codes already announced. */
  degraded: readonly string[];
  agentError: boolean;
}

export const freshMemory: NotifierMemory = { warnedWindow: null, degraded: [], agentError: false };

export type NotificationKind = 'window-expiring' | 'degraded' | 'recovered' | 'agent-error';

export interface ShellNotification {
  kind: NotificationKind;
  title: string;
  body: string;
}

const words: Record<Language, { expiringTitle: string; expiringBody: (left: string) => string; degradedTitle: string; recoveredTitle: string; recoveredBody: string; errorTitle: string }> = {
  fr: {
    expiringTitle: 'Fin de la fenêtre de ré-identification',
    expiringBody: (left) => `Plus que ${left}\u00a0: il faudra ensuite votre carte et votre code PIN.`,
    degradedTitle: 'Mode dégradé',
    recoveredTitle: 'Fin du mode dégradé',
    recoveredBody: 'Tous les services répondent de nouveau.',
    errorTitle: 'Tessera ne répond pas',
  },
  en: {
    expiringTitle: 'Re-identification window ending',
    expiringBody: (left) => `Only ${left} left: then your card and PIN will be needed.`,
    degradedTitle: 'Degraded mode',
    recoveredTitle: 'Degraded mode over',
    recoveredBody: 'Every service answers again.',
    errorTitle: 'Tessera does not answer',
  },
};

export interface NotifierStep {
  memory: NotifierMemory;
  notifications: ShellNotification[];
}

export function notificationsFor(memory: NotifierMemory, view: StatusView, now: number, lang: Language): NotifierStep {
  const w = words[lang];
  const out: ShellNotification[] = [];

  let warnedWindow = memory.warnedWindow;
  const s = personSession(view);
  const left = timeLeftMs(view, now);
  if (s && s.state === 'active' && left !== null && left > 0 && left <= expiryWarningMs) {
    const key = `${s.person.id} ${s.windowEnd}`;
    if (warnedWindow !== key) {
      warnedWindow = key;
      out.push({ kind: 'window-expiring', title: w.expiringTitle, body: w.expiringBody(formatDuration(left, lang)) });
    }
  }

  const codes = view.degraded.reasons.map((r) => r.code);
  for (const code of codes) {
    if (!memory.degraded.includes(code)) out.push({ kind: 'degraded', title: w.degradedTitle, body: degradedReasonText(code, lang) });
  }
  if (codes.length === 0 && memory.degraded.length > 0) out.push({ kind: 'recovered', title: w.recoveredTitle, body: w.recoveredBody });

  const agentError = view.agent === 'error';
  if (agentError && !memory.agentError) out.push({ kind: 'agent-error', title: w.errorTitle, body: statusWords[lang].agentError });

  return { memory: { warnedWindow, degraded: codes, agentError }, notifications: out };
}
