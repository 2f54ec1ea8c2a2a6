/**
 * What the tray shows, as plain data: icon state, tooltip and menu items, a pure function of
 * the status, the clock and the language. `tray.ts` turns it into Electron objects; tests
 * check it per state.
 */
import { degradedLines, formatDuration, sessionLine, statusWords, trayTooltip, type Language } from '../../shared/status-text.js';
import { isDegraded, isTwoFactorSession, personSession, timeLeftMs, trayStateOf, type StatusView, type TrayState } from '../../shared/status-view.js';

export const trayActions = [
  'show-status',
  'lock',
  'sign-out',
  'use-security-key',
  'retry-connection',
  'enrol-badge',
  'enrol-fido2',
  'settings',
  'about',
  'quit',
] as const;
export type TrayAction = (typeof trayActions)[number];

export type TrayMenuItem =
  | { kind: 'label'; label: string }
  | { kind: 'action'; action: TrayAction; label: string }
  | { kind: 'separator' };

export interface TrayModel {
  icon: TrayState;
  tooltip: string;
  menu: TrayMenuItem[];
}

/** Labels of the action items (`show-status` is the status line itself). */
const actionLabels: Record<Language, Record<Exclude<TrayAction, 'show-status'>, string>> = {
  fr: {
    lock: 'Verrouiller maintenant',
    'sign-out': 'Fermer la session',
    'use-security-key': 'J’ai oublié ma carte — utiliser une clé de sécurité',
    'retry-connection': 'Réessayer la connexion',
    'enrol-badge': 'Enrôler un badge…',
    'enrol-fido2': 'Enrôler une clé de sécurité…',
    settings: 'Paramètres…',
    about: 'À propos de Tessera',
    quit: 'Quitter Tessera',
  },
  en: {
    lock: 'Lock now',
    'sign-out': 'Sign out',
    'use-security-key': 'I forgot my card — use a security key',
    'retry-connection': 'Retry connection',
    'enrol-badge': 'Enrol a badge…',
    'enrol-fido2': 'Enrol a security key…',
    settings: 'Settings…',
    about: 'About Tessera',
    quit: 'Quit Tessera',
  },
};

export interface TrayModelOptions {
  language: Language;
}

function statusLabel(view: StatusView, now: number, language: Language): string {
  const left = timeLeftMs(view, now);
  const line = sessionLine(view, language);
  return left !== null && view.session.state !== 'expired' ? `${line} — ${formatDuration(left, language)}` : line;
}

export function trayModel(view: StatusView, now: number, options: TrayModelOptions): TrayModel {
  const { language } = options;
  const labels = actionLabels[language];
  const action = (a: Exclude<TrayAction, 'show-status'>): TrayMenuItem => ({ kind: 'action', action: a, label: labels[a] });
  const state = view.session.state;
  // The status line opens the window: on Linux and macOS the menu is the only way to it.
  const menu: TrayMenuItem[] = [{ kind: 'action', action: 'show-status', label: statusLabel(view, now, language) }, { kind: 'separator' }];

  if (state === 'active') menu.push(action('lock'));
  if (personSession(view)) menu.push(action('sign-out'));
  if (view.allowed.securityKey && state !== 'active' && state !== 'authenticating') menu.push(action('use-security-key'));

  if (view.agent === 'error' || isDegraded(view)) {
    menu.push({ kind: 'separator' });
    if (view.agent === 'error') menu.push({ kind: 'label', label: statusWords[language].agentError });
    for (const line of degradedLines(view, language)) menu.push({ kind: 'label', label: line });
    menu.push(action('retry-connection'));
  }

  if (isTwoFactorSession(view) && view.allowed.enrol.length > 0) {
    menu.push({ kind: 'separator' });
    if (view.allowed.enrol.includes('badge')) menu.push(action('enrol-badge'));
    if (view.allowed.enrol.includes('fido2')) menu.push(action('enrol-fido2'));
  }

  menu.push({ kind: 'separator' });
  if (view.allowed.settings) menu.push(action('settings'));
  menu.push(action('about'));
  if (view.allowed.quit) menu.push({ kind: 'separator' }, action('quit'));
  return { icon: trayStateOf(view), tooltip: trayTooltip(view, now, language), menu };
}

/** Product name for window titles, from the same dictionary as the tray. */
export function productName(language: Language): string {
  return statusWords[language].product;
}
