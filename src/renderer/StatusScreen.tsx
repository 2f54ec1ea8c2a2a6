import { useCallback, useEffect, useRef, useState } from 'react';
import { healthLine, sessionLine, statusWords, type Language } from '../shared/status-text.js';
import type { StatusView } from '../shared/status-view.js';
import { windowWords } from './i18n.js';
import type { StatusClient } from './status-client.js';

type ScreenState = { kind: 'absent' } | { kind: 'loading' } | { kind: 'failed' } | { kind: 'status'; status: StatusView };

export interface StatusScreenProps {
  client: StatusClient | null;
  language: Language;
}

export function StatusScreen({ client, language }: StatusScreenProps) {
  const words = windowWords[language];
  const [state, setState] = useState<ScreenState>(client ? { kind: 'loading' } : { kind: 'absent' });
  // Counts pushed updates: an answer to a read that started before a push is older than it.
  const pushes = useRef(0);

  const refresh = useCallback(async () => {
    if (!client) return;
    const startedAt = pushes.current;
    const reading = await client.read();
    if (pushes.current !== startedAt) return;
    setState(reading.kind === 'status' ? { kind: 'status', status: reading.status } : { kind: 'failed' });
  }, [client]);

  useEffect(() => {
    if (!client) return undefined;
    const unsubscribe = client.subscribe((status) => {
      pushes.current += 1;
      setState({ kind: 'status', status });
    });
    void refresh();
    return unsubscribe;
  }, [client, refresh]);

  return (
    <>
      <header className="banner">
        <h1 className="product">{statusWords[language].product}</h1>
      </header>
      <main aria-labelledby="status-heading">
        <section className="status" aria-live="polite">
          <h2 id="status-heading">{words.heading}</h2>
          <StatusBody state={state} language={language} />
        </section>
        {client && (
          <button type="button" className="refresh" onClick={() => void refresh()}>
            {words.refresh}
          </button>
        )}
      </main>
    </>
  );
}

function StatusBody({ state, language }: { state: ScreenState; language: Language }) {
  const words = windowWords[language];
  switch (state.kind) {
    case 'absent':
      return (
        <>
          <p className="session session-absent">{words.notConnected}</p>
          <p className="help">{words.notConnectedHelp}</p>
        </>
      );
    case 'loading':
      return <p className="session">{words.loading}</p>;
    case 'failed':
      return (
        <p className="session session-failed" role="alert">
          {words.readFailed}
        </p>
      );
    case 'status': {
      const health = healthLine(state.status, language);
      return (
        <>
          <p className={`session session-${state.status.session}`}>{sessionLine(state.status, language)}</p>
          {health && (
            <p className={`health health-${state.status.health}`} role={state.status.health === 'error' ? 'alert' : 'status'}>
              {health}
            </p>
          )}
        </>
      );
    }
  }
}
