/**
 * Status: who is signed in, with which means and factors, time left in the window, SSO state,
 * degraded mode and why; and the actions the state and the policy allow.
 */
import type { TesseraApi } from '../shared/ipc-contract.js';
import { degradedReasonText, meansLine, sessionLine, ssoLine, statusWords, timeLeftLine, type Language } from '../shared/status-text.js';
import { isDegraded, isTwoFactorSession, personSession, timeLeftMs, type StatusView } from '../shared/status-view.js';
import { FeedbackLine, useAction } from './action-feedback.js';
import type { WindowWords } from './i18n.js';
import { useNow } from './use-agent.js';

export interface StatusScreenProps {
  status: StatusView;
  api: TesseraApi;
  language: Language;
  words: WindowWords;
  onEnrol(): void;
}

function clock(iso: string, language: Language): string {
  return new Date(iso).toLocaleTimeString(language === 'fr' ? 'fr-FR' : 'en-GB', { hour: '2-digit', minute: '2-digit' });
}

export function StatusScreen({ status, api, language, words, onEnrol }: StatusScreenProps) {
  const now = useNow(1000);
  const { feedback, run, busy } = useAction(words);
  const person = personSession(status);
  const state = status.session.state;
  const left = timeLeftMs(status, now);
  const means = meansLine(status, language);
  const timeLine = timeLeftLine(status, now, language, true);
  // While the agent does not answer, what is shown is its last known state: no session action.
  const unreachable = status.agent === 'error';
  const canUseKey = status.allowed.securityKey && state !== 'active' && state !== 'authenticating';
  const canEnrol = isTwoFactorSession(status) && status.allowed.enrol.length > 0;

  return (
    <section className="status" aria-labelledby="status-heading">
      <h2 id="status-heading">{words.heading}</h2>
      {status.agent === 'error' && (
        <div className="panel panel-error" role="alert">
          <p>{statusWords[language].agentError}</p>
        </div>
      )}
      {unreachable ? (
        <>
          <p className="session session-unreachable">{words.unreachable}</p>
          <p className="muted last-known">{words.lastKnown(sessionLine(status, language))}</p>
        </>
      ) : (
        <p className={`session session-${state}`}>{sessionLine(status, language)}</p>
      )}
      <dl className="facts">
        {person && (
          <>
            <dt>{words.who}</dt>
            <dd>
              {person.person.displayName} <span className="muted">· {words.personId(person.person.id)}</span>
            </dd>
          </>
        )}
        {means && (
          <>
            <dt>{words.means}</dt>
            <dd>{means}</dd>
          </>
        )}
        {person && timeLine && (
          <>
            <dt>{words.timeLeft}</dt>
            <dd className={left !== null && left < 5 * 60_000 ? 'time-left time-left-short' : 'time-left'}>
              <time dateTime={person.windowEnd}>{timeLine}</time>
            </dd>
          </>
        )}
        <dt>{words.sso}</dt>
        <dd className={status.sso?.state === 'error' ? 'sso sso-error' : 'sso'}>{ssoLine(status, language)}</dd>
        <dt>{words.readers}</dt>
        <dd>
          {status.readers.length === 0 ? (
            words.noReader
          ) : (
            <ul className="readers">
              {status.readers.map((r) => (
                <li key={r.name}>{words.readerCard(r.name, r.card)}</li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      {isDegraded(status) && (
        <div className="panel panel-warning" role="status" aria-labelledby="degraded-heading">
          <h3 id="degraded-heading">{words.degradedHeading}</h3>
          <p>{statusWords[language].degradedTitle}</p>
          <ul>
            {status.degraded.reasons.map((r) => (
              <li key={r.code}>
                {degradedReasonText(r.code, language)} <span className="muted">({statusWords[language].since(clock(r.since, language))})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="actions">
        {state === 'active' && (
          <button type="button" className="button" disabled={busy || unreachable} onClick={() => void run(() => api.lock())}>
            {words.lock}
          </button>
        )}
        {person && (
          <button type="button" className="button button-secondary" disabled={busy || unreachable} onClick={() => void run(() => api.signOut())}>
            {words.signOut}
          </button>
        )}
        {canUseKey && (
          <button type="button" className="button button-secondary" disabled={busy || unreachable} onClick={() => void run(() => api.useSecurityKey())}>
            {words.useSecurityKey}
          </button>
        )}
        {(isDegraded(status) || unreachable) && (
          <button type="button" className="button button-secondary" disabled={busy} onClick={() => void run(() => api.retryConnection(), words.actionDone)}>
            {words.retry}
          </button>
        )}
        {canEnrol && (
          <button type="button" className="button button-secondary" disabled={unreachable} onClick={onEnrol}>
            {words.nav.enrol}
          </button>
        )}
      </div>
      <FeedbackLine feedback={feedback} />
    </section>
  );
}
