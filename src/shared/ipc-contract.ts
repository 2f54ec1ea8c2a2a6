/**
 * The typed contract between the UI (renderer) and the agent core, in one place. Two bridges
 * carry it: the Electron preload (IPC) and the demo web shell (a WebSocket on 127.0.0.1).
 *
 * - The renderer only sees `TesseraApi` as `window.tessera`; it never names a channel.
 * - Each API method is one invoke channel (`apiInvokeChannels`), each `on*` one push channel
 *   (`apiEventChannels`).
 * - The host (Electron main or the web shell) validates every request's arguments with
 *   `requestValidators` before any handler runs (`dispatchInvoke` in `bridge.ts`); the client
 *   side validates every answer (`responseValidators`) and every push (`eventValidators`).
 * - Every answer is a `Result`; exceptions never cross.
 *
 * This module is pure data and functions: no Electron, no Node, no DOM.
 */
import { isEnrolProgress, isEnrolRequest, isEnrolStarted, type EnrolProgress, type EnrolRequest, type EnrolStarted } from './enrolment.js';
import { isPinDigits, isPrompt, type Prompt } from './prompt.js';
import { ipcErrorCodes, type Result } from './result.js';
import { isSettingsChange, isSettingsView, type SettingsView, type UserSettings } from './settings.js';
import { isStatusView, type StatusView } from './status-view.js';
import { isOneOf, isPlain, isText, isToken } from './validate.js';

export type { Result, IpcError, IpcErrorCode } from './result.js';
export type { StatusView } from './status-view.js';
export type { Prompt } from './prompt.js';
export type { EnrolProgress, EnrolRequest, EnrolStarted } from './enrolment.js';
export type { SettingsView, UserSettings } from './settings.js';

/** What an action answers when it has nothing to say but "done" (JSON-safe, unlike undefined). */
export type Done = null;

/** Every channel name. Invoke: renderer → host, answered. Push: host → renderer. */
export const IpcChannel = {
  getStatus: 'tessera:status:get',
  statusChanged: 'tessera:status:changed',
  getPrompt: 'tessera:prompt:get',
  promptChanged: 'tessera:prompt:changed',
  submitPin: 'tessera:pin:submit',
  cancelPin: 'tessera:pin:cancel',
  cancelTouch: 'tessera:key:cancel-touch',
  lock: 'tessera:session:lock',
  signOut: 'tessera:session:sign-out',
  useSecurityKey: 'tessera:session:use-security-key',
  retryConnection: 'tessera:agent:retry-connection',
  enrol: 'tessera:enrol:start',
  cancelEnrol: 'tessera:enrol:cancel',
  enrolProgress: 'tessera:enrol:progress',
  getSettings: 'tessera:settings:get',
  setSettings: 'tessera:settings:set',
} as const;
export type IpcChannelName = (typeof IpcChannel)[keyof typeof IpcChannel];

/** Requests: the argument tuple each invoke channel accepts, and the value it answers. */
export interface InvokeContract {
  [IpcChannel.getStatus]: { args: []; value: StatusView };
  [IpcChannel.getPrompt]: { args: []; value: Prompt };
  /** `digits`: the PIN as typed. The host turns it into bytes at once and wipes them after use. */
  [IpcChannel.submitPin]: { args: [requestId: string, digits: string]; value: Done };
  [IpcChannel.cancelPin]: { args: [requestId: string]; value: Done };
  /** `requestId`: the one the `touch_key` prompt carries. */
  [IpcChannel.cancelTouch]: { args: [requestId: string]; value: Done };
  [IpcChannel.lock]: { args: []; value: Done };
  [IpcChannel.signOut]: { args: []; value: Done };
  [IpcChannel.useSecurityKey]: { args: []; value: Done };
  [IpcChannel.retryConnection]: { args: []; value: Done };
  [IpcChannel.enrol]: { args: [request: EnrolRequest]; value: EnrolStarted };
  [IpcChannel.cancelEnrol]: { args: [enrolmentId: string]; value: Done };
  [IpcChannel.getSettings]: { args: []; value: SettingsView };
  [IpcChannel.setSettings]: { args: [changes: Partial<UserSettings>]; value: SettingsView };
}
export type InvokeChannel = keyof InvokeContract;
export type InvokeArgs<C extends InvokeChannel> = InvokeContract[C]['args'];
export type InvokeValue<C extends InvokeChannel> = InvokeContract[C]['value'];

/** Pushes: the one payload each push channel carries. */
export interface EventContract {
  [IpcChannel.statusChanged]: StatusView;
  [IpcChannel.promptChanged]: Prompt;
  [IpcChannel.enrolProgress]: EnrolProgress;
}
export type EventChannel = keyof EventContract;

/** What the renderer gets as `window.tessera`. Every method answers a `Result`, never throws on a refusal. */
export interface TesseraApi {
  getStatus(): Promise<Result<StatusView>>;
  /** Called on every status change; returns the function that unsubscribes. */
  onStatus(listener: (status: StatusView) => void): () => void;
  /** The prompt in force now (the window may open after it was pushed). */
  getPrompt(): Promise<Result<Prompt>>;
  onPrompt(listener: (prompt: Prompt) => void): () => void;
  /**
   * Answers a PIN prompt. The renderer's string cannot be wiped: callers drop every reference
   * to it at once (the PIN pad clears its state before awaiting). The host converts it to a
   * byte buffer on receipt and wipes that buffer after use.
   */
  submitPin(requestId: string, digits: string): Promise<Result<Done>>;
  cancelPin(requestId: string): Promise<Result<Done>>;
  /**
   * Cancels "touch your key" (the `touch_key` prompt's request id): the key's operation is
   * aborted and the login or enrolment ends as cancelled, not as an error.
   */
  cancelTouch(requestId: string): Promise<Result<Done>>;
  lock(): Promise<Result<Done>>;
  signOut(): Promise<Result<Done>>;
  /** "I forgot my card — use a security key": starts the FIDO2 fallback (a touch_key prompt follows). */
  useSecurityKey(): Promise<Result<Done>>;
  /** Degraded mode or agent error: try the readers, the provider and the core again now. */
  retryConnection(): Promise<Result<Done>>;
  /** Starts enrolling a badge or key inside the current two-factor session; progress is pushed. */
  enrol(request: EnrolRequest): Promise<Result<EnrolStarted>>;
  cancelEnrol(enrolmentId: string): Promise<Result<Done>>;
  onEnrolProgress(listener: (progress: EnrolProgress) => void): () => void;
  getSettings(): Promise<Result<SettingsView>>;
  /** Changes what the policy allows; a refused setting answers `not-allowed` and changes nothing. */
  setSettings(changes: Partial<UserSettings>): Promise<Result<SettingsView>>;
}

/** The name under which the preload exposes the API in the renderer's main world. */
export const apiKey = 'tessera';

type InvokeMethod = { [M in keyof TesseraApi]: M extends `on${string}` ? never : M }[keyof TesseraApi];
type EventMethod = Exclude<keyof TesseraApi, InvokeMethod>;

/** Which invoke channel each request method of `TesseraApi` calls. */
export const apiInvokeChannels = {
  getStatus: IpcChannel.getStatus,
  getPrompt: IpcChannel.getPrompt,
  submitPin: IpcChannel.submitPin,
  cancelPin: IpcChannel.cancelPin,
  cancelTouch: IpcChannel.cancelTouch,
  lock: IpcChannel.lock,
  signOut: IpcChannel.signOut,
  useSecurityKey: IpcChannel.useSecurityKey,
  retryConnection: IpcChannel.retryConnection,
  enrol: IpcChannel.enrol,
  cancelEnrol: IpcChannel.cancelEnrol,
  getSettings: IpcChannel.getSettings,
  setSettings: IpcChannel.setSettings,
} as const satisfies Record<InvokeMethod, InvokeChannel>;

/** Which push channel each `on*` method of `TesseraApi` listens to. */
export const apiEventChannels = {
  onStatus: IpcChannel.statusChanged,
  onPrompt: IpcChannel.promptChanged,
  onEnrolProgress: IpcChannel.enrolProgress,
} as const satisfies Record<EventMethod, EventChannel>;

const none = (args: readonly unknown[]): args is [] => args.length === 0;
const oneToken = (args: readonly unknown[]): args is [string] => args.length === 1 && isToken(args[0]);

/** One hand-written validator per invoke channel, applied by the host to the raw arguments. */
export const requestValidators: { [C in InvokeChannel]: (args: readonly unknown[]) => args is InvokeArgs<C> } = {
  [IpcChannel.getStatus]: none,
  [IpcChannel.getPrompt]: none,
  [IpcChannel.submitPin]: (args): args is [string, string] => args.length === 2 && isToken(args[0]) && isPinDigits(args[1]),
  [IpcChannel.cancelPin]: oneToken,
  [IpcChannel.cancelTouch]: oneToken,
  [IpcChannel.lock]: none,
  [IpcChannel.signOut]: none,
  [IpcChannel.useSecurityKey]: none,
  [IpcChannel.retryConnection]: none,
  [IpcChannel.enrol]: (args): args is [EnrolRequest] => args.length === 1 && isEnrolRequest(args[0]),
  [IpcChannel.cancelEnrol]: oneToken,
  [IpcChannel.getSettings]: none,
  [IpcChannel.setSettings]: (args): args is [Partial<UserSettings>] => args.length === 1 && isSettingsChange(args[0]),
};

/** Payload validators for pushes, applied by the client side on receipt. */
export const eventValidators: { [E in EventChannel]: (x: unknown) => x is EventContract[E] } = {
  [IpcChannel.statusChanged]: isStatusView,
  [IpcChannel.promptChanged]: isPrompt,
  [IpcChannel.enrolProgress]: isEnrolProgress,
};

export const maxErrorMessageLength = 500;

/** Validator for an answer: `{ ok: true, value }` with a valid value, or a contract error. */
export function isResultOf<T>(isValue: (x: unknown) => x is T, x: unknown): x is Result<T> {
  if (!isPlain(x)) return false;
  if (x.ok === true) return Object.keys(x).length === 2 && 'value' in x && isValue(x.value);
  if (x.ok !== false || !isPlain(x.error) || Object.keys(x).length !== 2) return false;
  const e = x.error;
  return isOneOf(ipcErrorCodes, e.code) && isText(e.message, maxErrorMessageLength);
}

const isDone = (x: unknown): x is Done => x === null;

function answerOf<T>(isValue: (x: unknown) => x is T): (x: unknown) => x is Result<T> {
  return (x): x is Result<T> => isResultOf(isValue, x);
}

/** Answer validators per invoke channel, applied by the client side on receipt. */
export const responseValidators: { [C in InvokeChannel]: (x: unknown) => x is Result<InvokeValue<C>> } = {
  [IpcChannel.getStatus]: answerOf(isStatusView),
  [IpcChannel.getPrompt]: answerOf(isPrompt),
  [IpcChannel.submitPin]: answerOf(isDone),
  [IpcChannel.cancelPin]: answerOf(isDone),
  [IpcChannel.cancelTouch]: answerOf(isDone),
  [IpcChannel.lock]: answerOf(isDone),
  [IpcChannel.signOut]: answerOf(isDone),
  [IpcChannel.useSecurityKey]: answerOf(isDone),
  [IpcChannel.retryConnection]: answerOf(isDone),
  [IpcChannel.enrol]: answerOf(isEnrolStarted),
  [IpcChannel.cancelEnrol]: answerOf(isDone),
  [IpcChannel.getSettings]: answerOf(isSettingsView),
  [IpcChannel.setSettings]: answerOf(isSettingsView),
};

export function isInvokeChannel(x: unknown): x is InvokeChannel {
  return typeof x === 'string' && Object.hasOwn(requestValidators, x);
}
