import { useCallback, useEffect, useRef, useState } from 'react';
import { degradedLines, sessionLine, statusWords, type Language } from '../shared/status-text.js';
import type { TesseraApi } from '../shared/ipc-contract.js';
import type { StatusView } from '../shared/status-view.js';
import { windowWords } from './i18n.js';

type ScreenState = { kind: 'absent' } | { kind: 'loading' } | { kind: 'failed' } | { kind: 'status'; status: StatusView };

export interface StatusScreenProps {
  client: TesseraApi | null;
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
    const reading = await client.getStatus();
    if (pushes.current !== startedAt) return;
    setState(reading.ok ? { kind: 'status', status: reading.value } : { kind: 'failed' });
  }, [client]);

  useEffect(() => {
    if (!client) return undefined;
    const unsubscribe = client.onStatus((status) => {
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
      return (
        <>
          <p className={`session session-${state.status.session.state}`}>{sessionLine(state.status, language)}</p>
          {degradedLines(state.status, language).map((line) => (
            <p key={line} className="health health-degraded" role="status">
              {line}
            </p>
          ))}
        </>
      );
    }
  }
}
