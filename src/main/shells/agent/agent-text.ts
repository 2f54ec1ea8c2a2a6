/** One line of text per agent record, for the headless agent's terminal and the demo. */
import { message, type Lang } from '../../i18n/messages.js';
import type { AgentRecord } from './agent.js';

/** Why the minimal session decided what it did, as a person reads it. */
const SESSION_REASONS: Record<string, [string, string]> = {
  two_factor: ['authentification à deux facteurs', 'two-factor authentication'],
  card_removed: ['carte retirée', 'card removed'],
  user_lock: ['verrouillage demandé', 'lock requested'],
  exi14_window: ['badge reconnu, dans la fenêtre de réidentification', 'badge recognised, inside the re-identification window'],
  window_expired: ['fenêtre de réidentification expirée : code PIN requis', 're-identification window expired: PIN required'],
  other_person: ['badge d’une autre personne : authentification complète requise', 'another person’s badge: full sign-in required'],
  not_same_means: ['moyen non enrôlé pour cette session : authentification complète requise', 'means not enrolled for this session: full sign-in required'],
  no_session: ['aucune session à déverrouiller', 'no session to unlock'],
  badge_not_enrolled: ['badge non enrôlé', 'badge not enrolled'],
  badge_revoked: ['badge révoqué', 'badge revoked'],
  badge_auth_failed: ['le badge n’a pas prouvé sa clé', 'the badge failed to prove its key'],
};

export function describeRecord(r: AgentRecord, lang: Lang): string {
  const fr = lang === 'fr';
  switch (r.type) {
    case 'daemon':
      return r.status === 'up'
        ? (fr ? 'Service PC/SC joignable.' : 'PC/SC service reachable.')
        : `${message('daemon_unavailable', lang)} ${fr ? `Nouvel essai dans ${r.retryInMs ?? 0} ms.` : `Retrying in ${r.retryInMs ?? 0} ms.`}`;
    case 'reader':
      return r.status === 'added' ? `${fr ? 'Lecteur connecté' : 'Reader connected'} : ${r.reader}` : `${fr ? 'Lecteur retiré' : 'Reader removed'} : ${r.reader}`;
    case 'card':
      return r.status === 'inserted'
        ? `${fr ? 'Carte insérée' : 'Card inserted'} (${r.reader}) : ${r.cardType ?? '?'} — ${r.detail ?? ''}`
        : `${fr ? 'Carte retirée' : 'Card removed'} (${r.reader})`;
    case 'login':
      if (r.status === 'succeeded') {
        const how = r.means === 'cps' ? ['carte CPS + code PIN', 'CPS card + PIN'] : ['badge + code PIN', 'badge + PIN'];
        const who = `${r.subject.name}${r.subject.rpps ? ` (RPPS ${r.subject.rpps})` : ''}`;
        return fr ? `Authentification réussie : ${who} — ${how[0]}, ${r.ms} ms` : `Signed in: ${who} — ${how[1]}, ${r.ms} ms`;
      }
      return message(r.code, lang, { ...(r.retriesLeft !== undefined ? { retriesLeft: r.retriesLeft } : {}), reason: r.reason ?? r.code, reader: r.reader });
    case 'session': {
      const states: Record<string, [string, string]> = {
        active: ['Session ouverte', 'Session open'],
        locked: ['Session verrouillée', 'Session locked'],
        none: ['Aucune session', 'No session'],
      };
      const [f, e] = states[r.state] ?? [r.state, r.state];
      const why = SESSION_REASONS[r.reason];
      return `${fr ? f : e}${r.subject ? ` — ${r.subject}` : ''}${why ? ` (${fr ? why[0] : why[1]})` : ''}`;
    }
  }
}
