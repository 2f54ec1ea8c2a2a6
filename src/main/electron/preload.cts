/**
 * Preload of every Tessera window. CommonJS because a sandboxed preload cannot be an ES
 * module, and self-contained because a sandboxed preload can require `electron` but not our
 * own files.
 *
 * It exposes exactly `TesseraApi` as `window.tessera`: no `ipcRenderer`, no event objects.
 * Answers and pushes are validated by the renderer (`createTesseraApi` in shared/bridge.ts
 * wraps this object), since this file cannot load the validators.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type {
  apiEventChannels as contractEventChannels,
  apiInvokeChannels as contractInvokeChannels,
  apiKey as contractApiKey,
  TesseraApi,
} from '../../shared/ipc-contract.js';

// Restated because they cannot be imported at run time; the types make tsc reject any drift.
const invokeChannels: typeof contractInvokeChannels = {
  getStatus: 'tessera:status:get',
  getPrompt: 'tessera:prompt:get',
  submitPin: 'tessera:pin:submit',
  cancelPin: 'tessera:pin:cancel',
  cancelTouch: 'tessera:key:cancel-touch',
  lock: 'tessera:session:lock',
  signOut: 'tessera:session:sign-out',
  useSecurityKey: 'tessera:session:use-security-key',
  retryConnection: 'tessera:agent:retry-connection',
  enrol: 'tessera:enrol:start',
  cancelEnrol: 'tessera:enrol:cancel',
  getSettings: 'tessera:settings:get',
  setSettings: 'tessera:settings:set',
};
const eventChannels: typeof contractEventChannels = {
  onStatus: 'tessera:status:changed',
  onPrompt: 'tessera:prompt:changed',
  onEnrolProgress: 'tessera:enrol:progress',
};
const apiKey: typeof contractApiKey = 'tessera';

type Invoker = (...args: unknown[]) => Promise<unknown>;
type Subscriber = (listener: (payload: unknown) => void) => () => void;

function invoker(channel: string): Invoker {
  return (...args) => ipcRenderer.invoke(channel, ...args);
}

function subscriber(channel: string): Subscriber {
  return (listener) => {
    // Only the payload crosses: never the IPC event (it holds `sender`, an ipcRenderer).
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  };
}

const api: Record<string, Invoker | Subscriber> = {};
for (const [method, channel] of Object.entries(invokeChannels)) api[method] = invoker(channel);
for (const [method, channel] of Object.entries(eventChannels)) api[method] = subscriber(channel);

// The shape is TesseraApi's (the tables above are its methods); the renderer validates the data.
contextBridge.exposeInMainWorld(apiKey, Object.freeze(api) as unknown as TesseraApi);
