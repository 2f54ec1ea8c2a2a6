/**
 * Preload of the status window. CommonJS because a sandboxed preload cannot be an ES module,
 * and self-contained because a sandboxed preload can require `electron` but not our own files.
 *
 * It exposes exactly `TesseraApi` as `window.tessera`: no `ipcRenderer`, no event objects.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { IpcChannel as ContractChannel, TesseraApi, StatusView, apiKey as contractApiKey } from '../../shared/ipc-contract.js';

// Restated because it cannot be imported at run time; the types make tsc reject any drift.
const channel: typeof ContractChannel = { getStatus: 'tessera:status:get', statusChanged: 'tessera:status:changed' };
const apiKey: typeof contractApiKey = 'tessera';

const api: TesseraApi = {
  getStatus: () => ipcRenderer.invoke(channel.getStatus),
  onStatus(listener) {
    const forward = (_event: IpcRendererEvent, status: StatusView) => listener(status);
    ipcRenderer.on(channel.statusChanged, forward);
    return () => {
      ipcRenderer.removeListener(channel.statusChanged, forward);
    };
  },
};

contextBridge.exposeInMainWorld(apiKey, api);
