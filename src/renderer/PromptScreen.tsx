/** What the person must do now: the PIN pad, touch the key, present the badge, or a notice. */
import { useEffect, useRef, type ReactNode } from 'react';
import type { TesseraApi } from '../shared/ipc-contract.js';
import type { Prompt } from '../shared/prompt.js';
import type { WindowWords } from './i18n.js';
import { FeedbackLine, useAction } from './action-feedback.js';
import { PinPad } from './PinPad.js';

export interface PromptScreenProps {
  prompt: Exclude<Prompt, { kind: 'none' }>;
  api: TesseraApi;
  words: WindowWords;
  onDismiss(): void;
}

/** A waiting prompt: its heading takes the focus so screen readers read it at once. */
function Waiting({ heading, help, kind, children }: { heading: string; help: string; kind: string; children?: ReactNode }) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  return (
    <section className={`prompt prompt-${kind}`} aria-labelledby="prompt-heading" aria-live="assertive">
      <div className="prompt-icon" aria-hidden="true" />
      <h2 id="prompt-heading" tabIndex={-1} ref={title}>
        {heading}
      </h2>
      <p>{help}</p>
      {children}
    </section>
  );
}

export function PromptScreen({ prompt, api, words, onDismiss }: PromptScreenProps) {
  switch (prompt.kind) {
    case 'pin':
      // A new request starts a fresh pad (nothing typed carries over).
      return <PinPad key={prompt.requestId} prompt={prompt} api={api} words={words} />;
    case 'touch_key':
      return (
        <Waiting kind="touch-key" heading={words.touchKey.heading} help={words.touchKey.help}>
          {prompt.requestId !== undefined && <CancelTouch requestId={prompt.requestId} api={api} words={words} />}
        </Waiting>
      );
    case 'present_badge':
      return <Waiting kind="present-badge" heading={words.presentBadge.heading} help={words.presentBadge.help} />;
    case 'notice':
      return <Notice text={words.notice[prompt.code]} ok={words.ok} onDismiss={onDismiss} />;
  }
}

/** Cancels "touch your key": the key's operation is aborted (a cancel, not an error). */
function CancelTouch({ requestId, api, words }: { requestId: string; api: TesseraApi; words: WindowWords }) {
  const { feedback, run, busy } = useAction(words);
  return (
    <>
      <div className="actions">
        <button type="button" className="button button-secondary" disabled={busy} onClick={() => void run(() => api.cancelTouch(requestId))}>
          {words.touchKey.cancel}
        </button>
      </div>
      <FeedbackLine feedback={feedback} />
    </>
  );
}

function Notice({ text, ok, onDismiss }: { text: string; ok: string; onDismiss(): void }) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <section className="prompt prompt-notice">
      <p className="message message-error" role="alert">
        {text}
      </p>
      <div className="actions">
        <button type="button" className="button" ref={button} onClick={onDismiss}>
          {ok}
        </button>
      </div>
    </section>
  );
}
