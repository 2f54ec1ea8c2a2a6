/** One line of text per agent record, for the headless agent's terminal and the demo. */
import { message, type Lang } from '../../i18n/messages.js';
import type { AgentRecord } from './agent.js';

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
        return fr
          ? `Authentification réussie : ${r.subject.name} (RPPS ${r.subject.rpps ?? '?'}) — carte CPS + code PIN, ${r.ms} ms`
          : `Signed in: ${r.subject.name} (RPPS ${r.subject.rpps ?? '?'}) — CPS card + PIN, ${r.ms} ms`;
      }
      return message(r.code, lang, { ...(r.retriesLeft !== undefined ? { retriesLeft: r.retriesLeft } : {}), reason: r.reason ?? r.code, reader: r.reader });
    case 'session': {
      const states: Record<string, [string, string]> = {
        active: ['Session ouverte', 'Session open'],
        locked: ['Session verrouillée (carte retirée)', 'Session locked (card removed)'],
        none: ['Aucune session', 'No session'],
      };
      const [f, e] = states[r.state] ?? [r.state, r.state];
      return `${fr ? f : e}${r.subject ? ` — ${r.subject}` : ''}`;
    }
  }
}
