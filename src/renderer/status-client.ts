/**
 * The renderer's only way to the agent: `window.tessera`, wrapped so that every answer and
 * every push is checked against the shared contract. A broken or hostile bridge shows an
 * error, never its content.
 */
import { createTesseraApi, transportOverApi } from '../shared/bridge.js';
import type { TesseraApi } from '../shared/ipc-contract.js';

/** Null when the page runs without a bridge (a plain browser): there is no agent to talk to. */
export function connectApi(bridge: unknown): TesseraApi | null {
  const transport = transportOverApi(bridge);
  return transport ? createTesseraApi(transport) : null;
}
