/**
 * Main-process side of the IPC contract: one registration per invoke channel, each checking
 * the sender before `dispatchInvoke` validates the arguments and calls the host. Errors come
 * back as `Result`s.
 *
 * Electron is reached through the two small interfaces below; `ipcMain` satisfies them, and so
 * does a fake in tests.
 */
import { dispatchInvoke, type TesseraHost } from '../../shared/bridge.js';
import { requestValidators, type InvokeChannel } from '../../shared/ipc-contract.js';
import { IpcErrorCode, err, type Result } from '../../shared/result.js';

export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcRegistrationOptions {
  /** Decides whether a frame URL is one of the app's own pages. */
  isTrustedSender(frameUrl: string | null | undefined): boolean;
  /** Where failures are recorded (the renderer only gets a code). */
  log(message: string, cause?: unknown): void;
}

async function answer(host: TesseraHost, channel: InvokeChannel, options: IpcRegistrationOptions, event: InvokeEventLike, args: readonly unknown[]): Promise<Result<unknown>> {
  if (!options.isTrustedSender(event.senderFrame?.url)) {
    options.log(`ipc ${channel}: refused, sender ${event.senderFrame?.url ?? '(gone)'} is not an app page`);
    return err({ code: IpcErrorCode.forbidden, message: 'sender is not an app page' });
  }
  return dispatchInvoke(host, channel, args, options);
}

/** Registers every invoke channel of the contract; returns the function that unregisters them. */
export function registerIpcHandlers(ipc: IpcMainLike, host: TesseraHost, options: IpcRegistrationOptions): () => void {
  const channels = Object.keys(requestValidators) as InvokeChannel[];
  for (const channel of channels) {
    ipc.handle(channel, (event, ...args) => answer(host, channel, options, event, args));
  }
  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}
