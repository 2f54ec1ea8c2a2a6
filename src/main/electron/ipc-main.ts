/**
 * Main-process side of the IPC contract: one registration per invoke channel, each wrapped so
 * that the sender is checked, the arguments are validated, and errors become `Result`s.
 *
 * Electron is reached through the two small interfaces below; `ipcMain` satisfies them, and so
 * does a fake in tests.
 */
import { requestValidators, type InvokeChannel, type InvokeContract } from '../../shared/ipc-contract.js';
import { IpcErrorCode, err, ok, type Result } from '../../shared/result.js';

export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The main process's implementation of each invoke channel, on validated arguments. */
export type InvokeHandlers = {
  [C in InvokeChannel]: (...args: InvokeContract[C]['args']) => InvokeContract[C]['value'] | Promise<InvokeContract[C]['value']>;
};

export interface IpcRegistrationOptions {
  /** Decides whether a frame URL is one of the app's own pages. */
  isTrustedSender(frameUrl: string | null | undefined): boolean;
  /** Where failures are recorded (the renderer only gets a code). */
  log(message: string, cause?: unknown): void;
}

async function answer<C extends InvokeChannel>(
  channel: C,
  handler: InvokeHandlers[C],
  options: IpcRegistrationOptions,
  event: InvokeEventLike,
  args: readonly unknown[],
): Promise<Result<InvokeContract[C]['value']>> {
  if (!options.isTrustedSender(event.senderFrame?.url)) {
    options.log(`ipc ${channel}: refused, sender ${event.senderFrame?.url ?? '(gone)'} is not an app page`);
    return err({ code: IpcErrorCode.forbidden, message: 'sender is not an app page' });
  }
  const validate: (a: readonly unknown[]) => a is InvokeContract[C]['args'] = requestValidators[channel];
  if (!validate(args)) {
    options.log(`ipc ${channel}: refused, invalid arguments`);
    return err({ code: IpcErrorCode.invalidRequest, message: `invalid arguments for ${channel}` });
  }
  try {
    const call = handler as (...a: InvokeContract[C]['args']) => InvokeContract[C]['value'] | Promise<InvokeContract[C]['value']>;
    return ok(await call(...args));
  } catch (cause) {
    options.log(`ipc ${channel}: handler failed`, cause);
    return err({ code: IpcErrorCode.internal, message: `${channel} failed` });
  }
}

/** Registers every invoke channel of the contract; returns the function that unregisters them. */
export function registerIpcHandlers(ipc: IpcMainLike, handlers: InvokeHandlers, options: IpcRegistrationOptions): () => void {
  const channels = Object.keys(handlers) as InvokeChannel[];
  for (const channel of channels) {
    ipc.handle(channel, (event, ...args) => answer(channel, handlers[channel], options, event, args));
  }
  return () => {
    for (const channel of channels) ipc.removeHandler(channel);
  };
}
