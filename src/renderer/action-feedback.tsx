/**
 * Runs an action of the API and says how it went: nothing while it runs (the button is
 * disabled), then an error sentence as an alert, or an optional confirmation as a status.
 */
import { useCallback, useState } from 'react';
import type { Result } from '../shared/result.js';
import type { WindowWords } from './i18n.js';

export type Feedback = { kind: 'idle' } | { kind: 'running' } | { kind: 'done'; text: string | null } | { kind: 'failed'; text: string };

export function useAction(words: WindowWords) {
  const [feedback, setFeedback] = useState<Feedback>({ kind: 'idle' });
  const run = useCallback(
    async <T,>(action: () => Promise<Result<T>>, confirmation: string | null = null): Promise<T | undefined> => {
      setFeedback({ kind: 'running' });
      const result = await action();
      if (result.ok) {
        setFeedback({ kind: 'done', text: confirmation });
        return result.value;
      }
      setFeedback({ kind: 'failed', text: words.errors[result.error.code] });
      return undefined;
    },
    [words],
  );
  return { feedback, run, busy: feedback.kind === 'running', reset: () => setFeedback({ kind: 'idle' }) };
}

export function FeedbackLine({ feedback }: { feedback: Feedback }) {
  // The live regions exist before their text does, so screen readers announce the change.
  return (
    <>
      <p className="feedback feedback-error" role="alert">
        {feedback.kind === 'failed' ? feedback.text : ''}
      </p>
      <p className="feedback feedback-ok" role="status">
        {feedback.kind === 'done' && feedback.text ? feedback.text : ''}
      </p>
    </>
  );
}
