/**
 * The words for a status, in French first and English second. Shared by the tray (main
 * process) and the status window (renderer) so both say the same thing.
 */
import type { MeansKind, StatusView } from './status-view.js';

export const languages = ['fr', 'en'] as const;
export type Language = (typeof languages)[number];

/** French unless the first preferred language is English. Other languages fall back to French. */
export function pickLanguage(preferred: readonly string[]): Language {
  const first = preferred[0]?.toLowerCase() ?? '';
  return first === 'en' || first.startsWith('en-') ? 'en' : 'fr';
}

interface StatusWords {
  product: string;
  noSession: string;
  activeSession: (holder: string, means: string) => string;
  lockedSession: (holder: string, means: string) => string;
  means: Record<MeansKind, string>;
  degraded: string;
  error: string;
  tooltipNoSession: string;
  tooltipSession: (holder: string) => string;
}

export const statusWords: Record<Language, StatusWords> = {
  fr: {
    product: 'Tessera',
    noSession: 'Aucune session ouverte',
    activeSession: (holder, means) => `Session de ${holder} — ${means}`,
    lockedSession: (holder, means) => `Session de ${holder} verrouillée — ${means}`,
    means: { cps: 'carte CPS', desfire: 'badge sans contact', fido2: 'clé FIDO2' },
    degraded: 'Mode dégradé : le service d’identité est injoignable, la session locale continue.',
    error: 'L’agent a rencontré une erreur. Contactez le support informatique.',
    tooltipNoSession: 'Tessera — aucune session',
    tooltipSession: (holder) => `Tessera — session de ${holder}`,
  },
  en: {
    product: 'Tessera',
    noSession: 'No open session',
    activeSession: (holder, means) => `Session of ${holder} — ${means}`,
    lockedSession: (holder, means) => `Session of ${holder}, locked — ${means}`,
    means: { cps: 'CPS card', desfire: 'contactless badge', fido2: 'FIDO2 key' },
    degraded: 'Degraded mode: the identity service is unreachable, the local session goes on.',
    error: 'The agent hit an error. Contact IT support.',
    tooltipNoSession: 'Tessera — no session',
    tooltipSession: (holder) => `Tessera — session of ${holder}`,
  },
};

/** The main line of the status window. */
export function sessionLine(view: StatusView, lang: Language): string {
  const w = statusWords[lang];
  if (view.session === 'none') return w.noSession;
  const means = w.means[view.means];
  return view.session === 'active' ? w.activeSession(view.holder, means) : w.lockedSession(view.holder, means);
}

/** The health line, or null when everything is fine. */
export function healthLine(view: StatusView, lang: Language): string | null {
  if (view.health === 'ok') return null;
  return view.health === 'degraded' ? statusWords[lang].degraded : statusWords[lang].error;
}

export function trayTooltip(view: StatusView, lang: Language): string {
  const w = statusWords[lang];
  return view.session === 'none' ? w.tooltipNoSession : w.tooltipSession(view.holder);
}
