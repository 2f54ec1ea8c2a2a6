/**
 * The agent as the screens see it: the status and the prompt, read once and then followed
 * through pushes. An answer to a read that started before a push is older than that push and
 * is dropped.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TesseraApi } from '../shared/ipc-contract.js';
import { noPrompt, type Prompt } from '../shared/prompt.js';
import type { StatusView } from '../shared/status-view.js';

export type StatusReading = { kind: 'absent' } | { kind: 'loading' } | { kind: 'failed' } | { kind: 'status'; status: StatusView };

export interface AgentState {
  reading: StatusReading;
  prompt: Prompt;
  refresh(): Promise<void>;
}

export function useAgent(api: TesseraApi | null): AgentState {
  const [reading, setReading] = useState<StatusReading>(api ? { kind: 'loading' } : { kind: 'absent' });
  const [prompt, setPrompt] = useState<Prompt>(noPrompt);
  const statusPushes = useRef(0);
  const promptPushes = useRef(0);

  const refresh = useCallback(async () => {
    if (!api) return;
    const statusAt = statusPushes.current;
    const promptAt = promptPushes.current;
    const [status, current] = await Promise.all([api.getStatus(), api.getPrompt()]);
    if (statusPushes.current === statusAt) setReading(status.ok ? { kind: 'status', status: status.value } : { kind: 'failed' });
    if (promptPushes.current === promptAt && current.ok) setPrompt(current.value);
  }, [api]);

  useEffect(() => {
    if (!api) return undefined;
    const offStatus = api.onStatus((status) => {
      statusPushes.current += 1;
      setReading({ kind: 'status', status });
    });
    const offPrompt = api.onPrompt((next) => {
      promptPushes.current += 1;
      setPrompt(next);
    });
    void refresh();
    return () => {
      offStatus();
      offPrompt();
    };
  }, [api, refresh]);

  return { reading, prompt, refresh };
}

/** The current time, updated every `periodMs` (the countdowns). */
export function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}
