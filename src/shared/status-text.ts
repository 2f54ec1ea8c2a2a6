/**
 * The words for a status, in French first and English second. Shared by the tray and the
 * notifications (main process) and the screens (renderer) so all say the same thing.
 * Pure: no Electron, no Node, no DOM.
 */
import type { FactorKind, MeansKind, SessionState, SsoState, StatusView } from './status-view.js';
import { degradedReasonCodes, personSession, timeLeftMs, type KnownDegradedReason } from './status-view.js';

export const languages = ['fr', 'en'] as const;
export type Language = (typeof languages)[number];

/** French unless the first preferred language is English. Other languages fall back to French. */
export function pickLanguage(preferred: readonly string[]): Language {
  const first = preferred[0]?.toLowerCase() ?? '';
  return first === 'en' || first.startsWith('en-') ? 'en' : 'fr';
}

interface StatusWords {
  product: string;
  state: Record<SessionState, string>;
  sessionOf: (name: string, state: SessionState) => string;
  means: Record<MeansKind, string>;
  factors: Record<FactorKind, string>;
  meansWithFactors: (means: string, factors: string) => string;
  /** `plural`: the leading unit counts two or more (French agrees "restante(s)" with it). */
  timeLeft: (duration: string, plural: boolean) => string;
  windowOver: string;
  minutes: (n: number) => string;
  hoursMinutes: (h: number, m: number) => string;
  seconds: (n: number) => string;
  sso: Record<SsoState, (provider: string) => string>;
  ssoNone: string;
  degradedTitle: string;
  degradedReason: Record<KnownDegradedReason, string>;
  degradedOther: (code: string) => string;
  since: (time: string) => string;
  agentError: string;
  tooltip: (line: string) => string;
}

export const statusWords: Record<Language, StatusWords> = {
  fr: {
    product: 'Tessera',
    state: {
      none: 'Aucune session ouverte',
      authenticating: 'Authentification en cours…',
      active: 'Session ouverte',
      locked: 'Session verrouillée',
      expired: 'Session expirée\u00a0: ré-authentification complète nécessaire',
    },
    sessionOf: (name, state) =>
      state === 'active' ? `Session de ${name}` : state === 'locked' ? `Session de ${name} verrouillée` : `Session de ${name} expirée`,
    means: { cps: 'carte CPS', desfire: 'badge sans contact', fido2: 'clé de sécurité FIDO2' },
    factors: { possession: 'possession', knowledge: 'code PIN', inherence: 'biométrie' },
    meansWithFactors: (means, factors) => `${means} (${factors})`,
    timeLeft: (d, plural) => `${d} ${plural ? 'restantes' : 'restante'} avant nouvelle authentification`,
    windowOver: 'Fenêtre de ré-identification écoulée',
    minutes: (n) => `${n} min`,
    hoursMinutes: (h, m) => `${h} h ${String(m).padStart(2, '0')}`,
    seconds: (n) => `${n} s`,
    sso: {
      'signed-in': (p) => `Connecté à ${p}`,
      'signed-out': (p) => `Non connecté à ${p}`,
      error: (p) => `Connexion à ${p} en erreur`,
    },
    ssoNone: 'Authentification unique web non configurée',
    degradedTitle: 'La session locale continue\u00a0; ces services sont indisponibles\u00a0:',
    degradedReason: {
      pcsc_unavailable: 'Le service des lecteurs de cartes ne répond pas.',
      idp_unreachable: 'Le fournisseur d’identité est injoignable.',
      network_down: 'Le réseau est coupé.',
      audit_unreachable: 'Le journal d’audit central est injoignable\u00a0; les traces sont gardées localement.',
      fido2_unavailable: 'Les clés de sécurité ne sont pas accessibles.',
    },
    degradedOther: (code) => `Service indisponible (${code}).`,
    since: (t) => `depuis ${t}`,
    agentError: 'L’agent Tessera ne répond pas. Réessayez la connexion ou contactez le support informatique.',
    tooltip: (line) => `Tessera — ${line}`,
  },
  en: {
    product: 'Tessera',
    state: {
      none: 'No open session',
      authenticating: 'Authenticating…',
      active: 'Session open',
      locked: 'Session locked',
      expired: 'Session expired: full authentication needed',
    },
    sessionOf: (name, state) =>
      state === 'active' ? `Session of ${name}` : state === 'locked' ? `Session of ${name}, locked` : `Session of ${name}, expired`,
    means: { cps: 'CPS card', desfire: 'contactless badge', fido2: 'FIDO2 security key' },
    factors: { possession: 'possession', knowledge: 'PIN', inherence: 'biometrics' },
    meansWithFactors: (means, factors) => `${means} (${factors})`,
    timeLeft: (d) => `${d} left before authenticating again`,
    windowOver: 'Re-identification window over',
    minutes: (n) => `${n} min`,
    hoursMinutes: (h, m) => `${h} h ${String(m).padStart(2, '0')}`,
    seconds: (n) => `${n} s`,
    sso: {
      'signed-in': (p) => `Signed in to ${p}`,
      'signed-out': (p) => `Not signed in to ${p}`,
      error: (p) => `Sign-in to ${p} failed`,
    },
    ssoNone: 'Web single sign-on not configured',
    degradedTitle: 'The local session goes on; these services are unavailable:',
    degradedReason: {
      pcsc_unavailable: 'The smart card reader service does not answer.',
      idp_unreachable: 'The identity provider is unreachable.',
      network_down: 'The network is down.',
      audit_unreachable: 'The central audit log is unreachable; records are kept locally.',
      fido2_unavailable: 'Security keys cannot be reached.',
    },
    degradedOther: (code) => `Service unavailable (${code}).`,
    since: (t) => `since ${t}`,
    agentError: 'The Tessera agent does not answer. Retry the connection or contact IT support.',
    tooltip: (line) => `Tessera — ${line}`,
  },
};

/** Who and in which state: "Session de Dr Marie Curie verrouillée", or the bare state. */
export function sessionLine(view: StatusView, lang: Language): string {
  const w = statusWords[lang];
  const s = personSession(view);
  return s ? w.sessionOf(s.person.displayName, s.state) : w.state[view.session.state];
}

/** "carte CPS (possession, code PIN)"; null without a person session. */
export function meansLine(view: StatusView, lang: Language): string | null {
  const s = personSession(view);
  if (!s) return null;
  const w = statusWords[lang];
  const factors = s.factors.map((f) => w.factors[f]).join(', ');
  return factors ? w.meansWithFactors(w.means[s.means], factors) : w.means[s.means];
}

/** A duration's words and the count of its leading unit (hours, minutes or seconds). */
function durationOf(ms: number, lang: Language, seconds: boolean): { text: string; count: number } {
  const w = statusWords[lang];
  const left = Math.max(0, ms);
  if (seconds && left < 60_000) {
    const s = Math.ceil(left / 1000);
    return { text: w.seconds(s), count: s };
  }
  const minutes = Math.ceil(left / 60_000);
  if (minutes < 60) return { text: w.minutes(minutes), count: minutes };
  const hours = Math.floor(minutes / 60);
  return { text: w.hoursMinutes(hours, minutes % 60), count: hours };
}

/**
 * A duration as people read it: minutes (rounded up, so "1 min" is shown until the end),
 * hours and minutes from one hour, seconds in the last minute when `seconds` is asked for.
 * A time already past reads as none left ("0 min"), never a negative count.
 */
export function formatDuration(ms: number, lang: Language, seconds = false): string {
  return durationOf(ms, lang, seconds).text;
}

/**
 * "3 h 59 restantes…", "1 h 00 restante…", "1 min restante…", "Fenêtre … écoulée", or null
 * without a person session. French agrees with the leading unit: plural from two (1 h 30 is
 * still one hour and a half, singular).
 */
export function timeLeftLine(view: StatusView, now: number, lang: Language, seconds = false): string | null {
  const left = timeLeftMs(view, now);
  if (left === null) return null;
  const w = statusWords[lang];
  if (left <= 0) return w.windowOver;
  const { text, count } = durationOf(left, lang, seconds);
  return w.timeLeft(text, count >= 2);
}

export function ssoLine(view: StatusView, lang: Language): string {
  const w = statusWords[lang];
  return view.sso ? w.sso[view.sso.state](view.sso.provider) : w.ssoNone;
}

export function degradedReasonText(code: string, lang: Language): string {
  const w = statusWords[lang];
  return (degradedReasonCodes as readonly string[]).includes(code) ? w.degradedReason[code as KnownDegradedReason] : w.degradedOther(code);
}

/** One sentence per degraded reason (empty when not degraded). */
export function degradedLines(view: StatusView, lang: Language): string[] {
  return view.degraded.reasons.map((r) => degradedReasonText(r.code, lang));
}

/** Tray tooltip: the session line, and the time left when there is a session. */
export function trayTooltip(view: StatusView, now: number, lang: Language): string {
  const left = timeLeftMs(view, now);
  const line = sessionLine(view, lang);
  return statusWords[lang].tooltip(left !== null && view.session.state === 'active' ? `${line} — ${formatDuration(left, lang)}` : line);
}
