import type { TesseraApi } from '../shared/ipc-contract.js';

declare global {
  interface Window {
    /** Exposed by the preload script inside the desktop app; absent in a plain browser. */
    readonly tessera?: TesseraApi;
  }
}
