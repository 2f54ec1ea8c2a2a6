/**
 * The two ends of any bridge that carries the contract (Electron IPC, the demo's WebSocket):
 *
 * - `createTesseraApi(transport)`: the renderer's end. Builds `TesseraApi` over a transport
 *   that can invoke a channel and listen to one, validating every answer and every push.
 * - `dispatchInvoke(host, channel, args)`: the host's end. Validates the channel and its
 *   arguments, turns a PIN into bytes, calls the host and answers a `Result`, never a throw.
 *
 * `TesseraHost` is what the agent core offers the UI (the web shell's UiCore implements it;
 * Electron main and the web shell both dispatch to it). Pure: no Electron, no Node, no DOM.
 */
import {
  apiEventChannels,
  apiInvokeChannels,
  eventValidators,
  isInvokeChannel,
  requestValidators,
  responseValidators,
  type EventChannel,
  type EventContract,
  type InvokeChannel,
  type InvokeValue,
  type TesseraApi,
} from './ipc-contract.js';
import { pinBytes } from './prompt.js';
import { IpcErrorCode, err, type Result } from './result.js';

type Awaitable<T> = T | Promise<T>;

type InvokeMethod = keyof typeof apiInvokeChannels;
type EventMethod = keyof typeof apiEventChannels;

/**
 * The host side of `TesseraApi`: the same methods, except that `submitPin` gets the PIN as
 * bytes. Ownership of those bytes passes to the host, which wipes them (`fill(0)`) once used
 * (for a CPS login: the PIN provider hands them to the login, which wipes them after VERIFY).
 */
export type TesseraHost = {
  [M in Exclude<InvokeMethod, 'submitPin'>]: (...args: Parameters<TesseraApi[M]>) => Awaitable<Awaited<ReturnType<TesseraApi[M]>>>;
} & {
  submitPin(requestId: string, pin: Uint8Array): Awaitable<Result<null>>;
} & Pick<TesseraApi, EventMethod>;

const methodOfChannel = new Map<InvokeChannel, InvokeMethod>(
  (Object.entries(apiInvokeChannels) as [InvokeMethod, InvokeChannel][]).map(([method, channel]) => [channel, method]),
);

export interface DispatchOptions {
  /** Where refusals and failures are recorded; the caller only gets a code. Never given a PIN. */
  log(message: string, cause?: unknown): void;
}

/** Answers one request for the host. Never throws; never logs the arguments. */
export async function dispatchInvoke(host: TesseraHost, channel: unknown, args: readonly unknown[], options: DispatchOptions): Promise<Result<unknown>> {
  if (!isInvokeChannel(channel)) {
    options.log(`invoke: refused, unknown channel`);
    return err({ code: IpcErrorCode.invalidRequest, message: 'unknown channel' });
  }
  const validate: (a: readonly unknown[]) => boolean = requestValidators[channel];
  if (!validate(args)) {
    options.log(`invoke ${channel}: refused, invalid arguments`);
    return err({ code: IpcErrorCode.invalidRequest, message: `invalid arguments for ${channel}` });
  }
  const method = methodOfChannel.get(channel);
  if (method === undefined) return err({ code: IpcErrorCode.internal, message: `${channel} has no method` });
  let pin: Uint8Array | undefined;
  try {
    if (method === 'submitPin') {
      pin = pinBytes(args[1] as string);
      return await host.submitPin(args[0] as string, pin);
    }
    const call = host[method] as (...a: readonly unknown[]) => Awaitable<Result<unknown>>;
    return await call.apply(host, [...args]);
  } catch (cause) {
    // A host that failed may not have taken ownership of the PIN: wipe it here.
    pin?.fill(0);
    options.log(`invoke ${channel}: handler failed`, cause);
    return err({ code: IpcErrorCode.internal, message: `${channel} failed` });
  }
}

/** What a bridge must carry: request/answer on a channel, and pushes on a channel. */
export interface BridgeTransport {
  invoke(channel: InvokeChannel, args: readonly unknown[]): Promise<unknown>;
  /** Subscribes to a push channel; returns the function that unsubscribes. */
  listen(channel: EventChannel, listener: (payload: unknown) => void): () => void;
}

async function validatedInvoke<C extends InvokeChannel>(transport: BridgeTransport, channel: C, args: readonly unknown[]): Promise<Result<InvokeValue<C>>> {
  let answer: unknown;
  try {
    answer = await transport.invoke(channel, args);
  } catch {
    return err({ code: IpcErrorCode.unavailable, message: `${channel}: the bridge failed` });
  }
  const isAnswer: (x: unknown) => x is Result<InvokeValue<C>> = responseValidators[channel];
  return isAnswer(answer) ? answer : err({ code: IpcErrorCode.internal, message: `${channel}: the answer breaks the contract` });
}

function validatedListen<E extends EventChannel>(transport: BridgeTransport, channel: E, listener: (payload: EventContract[E]) => void): () => void {
  const isPayload: (x: unknown) => x is EventContract[E] = eventValidators[channel];
  // A push that breaks the contract is dropped, never displayed.
  return transport.listen(channel, (payload) => {
    if (isPayload(payload)) listener(payload);
  });
}

/** The renderer's `TesseraApi` over any transport, with every answer and push validated on receipt. */
export function createTesseraApi(transport: BridgeTransport): TesseraApi {
  const c = apiInvokeChannels;
  const e = apiEventChannels;
  return {
    getStatus: () => validatedInvoke(transport, c.getStatus, []),
    onStatus: (listener) => validatedListen(transport, e.onStatus, listener),
    getPrompt: () => validatedInvoke(transport, c.getPrompt, []),
    onPrompt: (listener) => validatedListen(transport, e.onPrompt, listener),
    submitPin: (requestId, digits) => validatedInvoke(transport, c.submitPin, [requestId, digits]),
    cancelPin: (requestId) => validatedInvoke(transport, c.cancelPin, [requestId]),
    cancelTouch: (requestId) => validatedInvoke(transport, c.cancelTouch, [requestId]),
    lock: () => validatedInvoke(transport, c.lock, []),
    signOut: () => validatedInvoke(transport, c.signOut, []),
    useSecurityKey: () => validatedInvoke(transport, c.useSecurityKey, []),
    retryConnection: () => validatedInvoke(transport, c.retryConnection, []),
    enrol: (request) => validatedInvoke(transport, c.enrol, [request]),
    cancelEnrol: (enrolmentId) => validatedInvoke(transport, c.cancelEnrol, [enrolmentId]),
    onEnrolProgress: (listener) => validatedListen(transport, e.onEnrolProgress, listener),
    getSettings: () => validatedInvoke(transport, c.getSettings, []),
    setSettings: (changes) => validatedInvoke(transport, c.setSettings, [changes]),
  };
}

/**
 * Subscribes a sink to every push of the host (what Electron main sends to its windows and the
 * web shell to its sockets); returns the function that unsubscribes them all.
 */
export function forwardHostEvents(host: TesseraHost, send: <E extends EventChannel>(channel: E, payload: EventContract[E]) => void): () => void {
  const offs = [
    host.onStatus((status) => send(apiEventChannels.onStatus, status)),
    host.onPrompt((prompt) => send(apiEventChannels.onPrompt, prompt)),
    host.onEnrolProgress((progress) => send(apiEventChannels.onEnrolProgress, progress)),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** Every method name of `TesseraApi`, request methods first. */
export const apiMethodNames: readonly (keyof TesseraApi)[] = [
  ...(Object.keys(apiInvokeChannels) as InvokeMethod[]),
  ...(Object.keys(apiEventChannels) as EventMethod[]),
];

const channelMethods = new Map<string, keyof TesseraApi>([
  ...(Object.entries(apiInvokeChannels) as [InvokeMethod, string][]).map(([m, c]): [string, keyof TesseraApi] => [c, m]),
  ...(Object.entries(apiEventChannels) as [EventMethod, string][]).map(([m, c]): [string, keyof TesseraApi] => [c, m]),
]);

/**
 * A transport over an object that claims to be `TesseraApi` (what the preload or the web
 * bridge put at `window.tessera`), or null when it lacks a method. Wrapped in
 * `createTesseraApi`, it gives the renderer an API whose answers and pushes are validated.
 */
export function transportOverApi(raw: unknown): BridgeTransport | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const o = raw as Record<string, unknown>;
  if (!apiMethodNames.every((m) => typeof o[m] === 'function')) return null;
  const method = (channel: string) => o[channelMethods.get(channel) ?? ''] as (...a: unknown[]) => unknown;
  return {
    invoke: async (channel, args) => method(channel)(...args),
    listen: (channel, listener) => {
      const off = method(channel)(listener);
      return typeof off === 'function' ? () => void off() : () => undefined;
    },
  };
}
