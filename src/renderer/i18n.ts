/**
 * Words of the status window that are not about the session itself (those come from
 * `shared/status-text.ts`, shared with the tray). French first, English second.
 */
import { pickLanguage, type Language } from '../shared/status-text.js';

export interface WindowWords {
  heading: string;
  notConnected: string;
  notConnectedHelp: string;
  loading: string;
  readFailed: string;
  refresh: string;
}

export const windowWords: Record<Language, WindowWords> = {
  fr: {
    heading: 'État de la session',
    notConnected: 'Agent non connecté',
    notConnectedHelp: 'Cette fenêtre ne communique pas avec l’agent Tessera.',
    loading: 'Lecture de l’état…',
    readFailed: 'Impossible de lire l’état de l’agent.',
    refresh: 'Actualiser',
  },
  en: {
    heading: 'Session status',
    notConnected: 'Agent not connected',
    notConnectedHelp: 'This window is not talking to the Tessera agent.',
    loading: 'Reading status…',
    readFailed: 'Could not read the agent’s status.',
    refresh: 'Refresh',
  },
};

/** The display language, from the browser's preferred languages (French unless English comes first). */
export function browserLanguage(nav: Pick<Navigator, 'language' | 'languages'>): Language {
  return pickLanguage(nav.languages.length > 0 ? nav.languages : [nav.language]);
}
