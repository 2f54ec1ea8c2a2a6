/**
 * The PIN pad: whose card, masked digits, tries left, why the PIN is asked again, and cancel.
 * Works with the keyboard alone (digits, Backspace, Enter to confirm, Escape to cancel) and
 * with the on-screen buttons (touch, or Tab + Enter/Space).
 *
 * The PIN is a string while it is typed (a JavaScript string cannot be wiped): the state is
 * cleared before `submitPin` is awaited, and no other reference to it is kept.
 */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { TesseraApi } from '../shared/ipc-contract.js';
import type { Prompt } from '../shared/prompt.js';
import type { WindowWords } from './i18n.js';

type PinPrompt = Extract<Prompt, { kind: 'pin' }>;

export interface PinPadProps {
  prompt: PinPrompt;
  api: TesseraApi;
  words: WindowWords;
}

const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export function PinPad({ prompt, api, words }: PinPadProps) {
  const w = words.pin;
  const [digits, setDigits] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const { min, max } = prompt.length;

  useEffect(() => input.current?.focus(), []);

  const change = (next: string) => {
    setError(null);
    setDigits(next.replace(/[^0-9]/g, '').slice(0, max));
  };

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (sending) return;
    if (digits.length < min) {
      setError(w.length(min, max));
      input.current?.focus();
      return;
    }
    const typed = digits;
    setDigits('');
    setSending(true);
    const answer = await api.submitPin(prompt.requestId, typed);
    setSending(false);
    // On success the core pushes the next prompt (or none); this pad then goes away.
    if (!answer.ok) setError(words.errors[answer.error.code]);
  };

  const cancel = () => {
    setDigits('');
    void api.cancelPin(prompt.requestId);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
    }
  };

  const tries = prompt.triesLeft;
  const why =
    prompt.reason === 'wrong_pin' ? w.wrongPin(tries) : prompt.reason === 'second_factor' ? w.secondFactor : prompt.reason === 'enrolment' ? w.enrolment[prompt.means] : null;

  return (
    <section className="prompt pin-pad" aria-labelledby="pin-heading" onKeyDown={onKeyDown}>
      <h2 id="pin-heading">{w.heading[prompt.means]}</h2>
      <p className="pin-holder">{w.holder(prompt.holder, prompt.means)}</p>
      {why && (
        <p className={prompt.reason === 'wrong_pin' ? 'message message-error' : 'message'} role={prompt.reason === 'wrong_pin' ? 'alert' : undefined}>
          {why}
        </p>
      )}
      {tries !== undefined && prompt.reason !== 'wrong_pin' && <p className="pin-tries">{w.triesLeft(tries)}</p>}
      {tries === 1 && <p className="message message-warning">{w.lastTry[prompt.means]}</p>}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor="pin-input" className="pin-label">
          {w.label} <span className="hint">({w.length(min, max)})</span>
        </label>
        <input
          id="pin-input"
          ref={input}
          className="pin-input"
          type="password"
          inputMode="numeric"
          autoComplete="off"
          spellCheck={false}
          maxLength={max}
          value={digits}
          disabled={sending}
          aria-invalid={error !== null}
          aria-describedby="pin-error pin-count"
          onChange={(e) => change(e.target.value)}
        />
        <p id="pin-count" className="sr-only" aria-live="polite">
          {w.typed(digits.length)}
        </p>
        <p id="pin-error" className="message message-error" role="alert">
          {error ?? ''}
        </p>
        <div className="keypad" role="group" aria-label={w.label}>
          {keys.map((d) => (
            <button key={d} type="button" className="key" aria-label={w.digit(d)} disabled={sending || digits.length >= max} onClick={() => change(digits + d)}>
              {d}
            </button>
          ))}
          <button type="button" className="key key-erase" aria-label={w.eraseLabel} disabled={sending || digits.length === 0} onClick={() => change(digits.slice(0, -1))}>
            {w.erase}
          </button>
          <button type="button" className="key" aria-label={w.digit('0')} disabled={sending || digits.length >= max} onClick={() => change(`${digits}0`)}>
            0
          </button>
          <button type="submit" className="key key-submit" disabled={sending}>
            {w.submit}
          </button>
        </div>
        <div className="actions">
          <button type="button" className="button button-secondary" onClick={cancel}>
            {w.cancel}
          </button>
        </div>
      </form>
    </section>
  );
}
