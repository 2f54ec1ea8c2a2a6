/**
 * The typed contract between the Electron main process and the renderer, in one place.
 *
 * - The preload script exposes `TesseraApi` as `window.tessera` (and nothing else).
 * - The main process answers the invoke channels and validates every payload on receipt
 *   with the validators below, before any handler runs.
 * - The renderer only sees `TesseraApi`; it never touches `ipcRenderer` or a channel name.
 *
 * This module is pure data and functions: no Electron, no Node, no DOM.
 */
import type { Result } from './result.js';
import { isStatusView, type StatusView } from './status-view.js';

export type { Result, IpcError, IpcErrorCode } from './result.js';
export type { StatusView } from './status-view.js';

/** Every IPC channel name. Renderer → main requests use invoke; main → renderer pushes use send. */
export const IpcChannel = {
  /** invoke, no arguments → Result<StatusView> */
  getStatus: 'tessera:status:get',
  /** send from main, one StatusView argument */
  statusChanged: 'tessera:status:changed',
} as const;
export type IpcChannelName = (typeof IpcChannel)[keyof typeof IpcChannel];

/** What the renderer gets as `window.tessera`. */
export interface TesseraApi {
  /** The current status, as the main process knows it. */
  getStatus(): Promise<Result<StatusView>>;
  /** Called on every status change; returns the function that unsubscribes. */
  onStatus(listener: (status: StatusView) => void): () => void;
}

/** The name under which the preload exposes the API in the renderer's main world. */
export const apiKey = 'tessera';

/** Requests: the argument tuple each invoke channel accepts, and what it answers. */
export interface InvokeContract {
  [IpcChannel.getStatus]: { args: []; value: StatusView };
}
export type InvokeChannel = keyof InvokeContract;

/** One hand-written validator per invoke channel, applied by main to the raw arguments. */
export const requestValidators: { [C in InvokeChannel]: (args: readonly unknown[]) => args is InvokeContract[C]['args'] } = {
  [IpcChannel.getStatus]: (args): args is [] => args.length === 0,
};

/** Payload validators for main → renderer pushes, applied by the preload on receipt. */
export const eventValidators = {
  [IpcChannel.statusChanged]: isStatusView,
} as const;

/** Validator for the answer of an invoke channel, applied by the preload on receipt. */
export function isResultOf<T>(isValue: (x: unknown) => x is T, x: unknown): x is Result<T> {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  if (o.ok === true) return isValue(o.value);
  if (o.ok !== false || typeof o.error !== 'object' || o.error === null) return false;
  const e = o.error as Record<string, unknown>;
  return typeof e.code === 'string' && typeof e.message === 'string';
}

/** Answer validators per invoke channel. */
export const responseValidators: { [C in InvokeChannel]: (x: unknown) => x is Result<InvokeContract[C]['value']> } = {
  [IpcChannel.getStatus]: (x): x is Result<StatusView> => isResultOf(isStatusView, x),
};
