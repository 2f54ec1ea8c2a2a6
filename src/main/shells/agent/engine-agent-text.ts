/** One line of text per `EngineAgentRecord`, for the terminal of `tessera agent`. */
import { message, type Lang } from '../../i18n/messages.js';
import type { EngineAgentRecord } from './engine-agent.js';
import type { OsEventKind } from './os-events.js';

const DECISIONS: Record<string, [string, string]> = {
  open: ['Session ouverte', 'Session open'],
  unlock: ['Session déverrouillée', 'Session unlocked'],
  switch_user: ['Changement d’utilisateur', 'User switched'],
  lock: ['Session verrouillée', 'Session locked'],
  sign_out: ['Session fermée', 'Signed out'],
  refuse: ['Refusé', 'Refused'],
  require_second_factor: ['Second facteur requis', 'Second factor required'],
  expire: ['Session expirée', 'Session expired'],
  ignore: ['Sans effet', 'No change'],
};

const OS_TEXT: Record<OsEventKind, [string, string]> = {
  screen_locked: ['Écran verrouillé', 'Screen locked'],
  screen_unlocked: ['Écran déverrouillé', 'Screen unlocked'],
  sleep: ['Mise en veille', 'Going to sleep'],
  resume: ['Sortie de veille', 'Resumed'],
};

export function describeEngineRecord(r: EngineAgentRecord, lang: Lang): string {
  const fr = lang === 'fr';
  switch (r.type) {
    case 'daemon':
      return r.status === 'up'
        ? (fr ? 'Service PC/SC joignable.' : 'PC/SC service reachable.')
        : `${message('daemon_unavailable', lang)} ${fr ? `Mode dégradé ; nouvel essai dans ${r.retryInMs ?? 0} ms.` : `Degraded; retrying in ${r.retryInMs ?? 0} ms.`}`;
    case 'reader':
      return `${r.status === 'added' ? (fr ? 'Lecteur connecté' : 'Reader connected') : (fr ? 'Lecteur retiré' : 'Reader removed')} : ${r.reader}`;
    case 'card':
      return r.status === 'inserted' ? `${fr ? 'Carte insérée' : 'Card inserted'} (${r.reader}) : ${r.cardType ?? '?'}` : `${fr ? 'Carte retirée' : 'Card removed'} (${r.reader})`;
    case 'held_card':
      return r.status === 'held'
        ? `${fr ? 'Carte gardée vérifiée pour la session' : 'Card kept verified for the session'} (${r.reader})`
        : `${fr ? 'Carte réinitialisée' : 'Card reset'} (${r.reader}) : ${r.reason ?? '?'}`;
    case 'login':
      return message(r.code, lang, { ...(r.retriesLeft !== undefined ? { retriesLeft: r.retriesLeft } : {}), reason: r.reason ?? r.code, reader: r.reader });
    case 'decision': {
      const [f, e] = DECISIONS[r.decision] ?? [r.decision, r.decision];
      const who = r.person !== undefined ? ` — ${r.person}` : '';
      const how = r.means !== undefined ? ` [${r.means}${r.factors ? `: ${r.factors.join(' + ')}` : ''}]` : '';
      return `${fr ? f : e}${who}${how} : ${message(r.reason, lang)}`;
    }
    case 'os':
      return `${fr ? OS_TEXT[r.event][0] : OS_TEXT[r.event][1]} (${r.source})`;
    case 'error':
      return `${fr ? 'Erreur' : 'Error'} (${r.code}) : ${r.detail}`;
  }
}
