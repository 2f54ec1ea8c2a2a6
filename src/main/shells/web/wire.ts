/**
 * The frames the web shell and the browser bridge exchange over the WebSocket: the Electron IPC
 * contract (`src/shared/ipc-contract.ts`) carried as JSON. An invoke is a request with an id and
 * the channel's argument tuple; its answer is the channel's `Result`; a push is an event channel
 * with its one payload. What a channel accepts or answers is checked by the contract's own
 * validators on each side; this module only checks the envelope.
 *
 * Pure: no Node, no DOM. The renderer's bridge (`src/renderer/web-bridge.ts`) imports it too.
 */

/** WebSocket path of the bridge. */
export const bridgePath = '/bridge';
/** WebSocket path of the simulator control panel (demo only). */
export const simulatorPath = '/simulator-bridge';
/** Query parameter of the launch URL carrying the per-launch token. */
export const tokenParam = 'token';
/** Largest frame either side accepts (a PIN or a status is far smaller). */
export const maxFrameBytes = 16 * 1024;
/** Requests one connection may have in progress; more are answered `busy`. */
export const maxPendingPerConnection = 16;

export interface InvokeFrame {
  readonly t: 'invoke';
  /** Chosen by the client, echoed in the answer: a positive safe integer. */
  readonly id: number;
  readonly channel: string;
  readonly args: readonly unknown[];
}

export interface ResultFrame {
  readonly t: 'result';
  readonly id: number;
  readonly result: unknown;
}

export interface EventFrame {
  readonly t: 'event';
  readonly channel: string;
  readonly payload: unknown;
}

export type ServerFrame = ResultFrame | EventFrame;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

function isChannelName(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= 64;
}

function parseJson(text: string): unknown {
  if (text.length > maxFrameBytes) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The id of a frame that is at least an object with a valid id (to answer a bad request), else undefined. */
export function frameId(text: string): number | undefined {
  const o = parseJson(text);
  return isRecord(o) && isId(o.id) ? o.id : undefined;
}

/** A client frame, or undefined when the text is not a well-formed invoke envelope. */
export function parseInvokeFrame(text: string): InvokeFrame | undefined {
  const o = parseJson(text);
  if (!isRecord(o) || o.t !== 'invoke' || !isId(o.id) || !isChannelName(o.channel) || !Array.isArray(o.args)) return undefined;
  if (Object.keys(o).some((k) => k !== 't' && k !== 'id' && k !== 'channel' && k !== 'args')) return undefined;
  return { t: 'invoke', id: o.id, channel: o.channel, args: o.args as unknown[] };
}

/** A server frame, or undefined when the text is not a well-formed result or event envelope. */
export function parseServerFrame(text: string): ServerFrame | undefined {
  const o = parseJson(text);
  if (!isRecord(o)) return undefined;
  if (o.t === 'result' && isId(o.id) && 'result' in o) return { t: 'result', id: o.id, result: o.result };
  if (o.t === 'event' && isChannelName(o.channel) && 'payload' in o) return { t: 'event', channel: o.channel, payload: o.payload };
  return undefined;
}

/** True when `key` is an own property of `table` (never one inherited from Object.prototype). */
export function hasOwn<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.prototype.hasOwnProperty.call(table, key);
}
