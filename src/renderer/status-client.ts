/**
 * The renderer's only way to the agent: `window.tessera`, checked against the shared contract.
 * Answers are validated here as well, so a broken main process shows an error, not garbage.
 */
import { eventValidators, IpcChannel, responseValidators, type TesseraApi } from '../shared/ipc-contract.js';
import type { StatusView } from '../shared/status-view.js';

export type StatusReading = { kind: 'status'; status: StatusView } | { kind: 'failed'; code: string };

export interface StatusClient {
  read(): Promise<StatusReading>;
  subscribe(listener: (status: StatusView) => void): () => void;
}

function isApi(x: unknown): x is TesseraApi {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return typeof o.getStatus === 'function' && typeof o.onStatus === 'function';
}

/** Null when the page runs outside the desktop app (plain browser): there is no bridge. */
export function connectStatusClient(bridge: unknown): StatusClient | null {
  if (!isApi(bridge)) return null;
  const isAnswer = responseValidators[IpcChannel.getStatus];
  const isStatus = eventValidators[IpcChannel.statusChanged];
  return {
    async read() {
      let answer: unknown;
      try {
        answer = await bridge.getStatus();
      } catch {
        return { kind: 'failed', code: 'ipc-failed' };
      }
      if (!isAnswer(answer)) return { kind: 'failed', code: 'invalid-answer' };
      return answer.ok ? { kind: 'status', status: answer.value } : { kind: 'failed', code: answer.error.code };
    },
    subscribe(listener) {
      return bridge.onStatus((status: unknown) => {
        if (isStatus(status)) listener(status);
      });
    },
  };
}
