/**
 * The one result shape that crosses the IPC boundary: a value, or an error a person can be
 * shown. Exceptions never cross it (Electron would serialise them lossily and may leak stack
 * traces into the renderer).
 */
export type Result<T, E = IpcError> = { ok: true; value: T } | { ok: false; error: E };

/** Closed set of error codes the main process may answer an IPC request with. */
export const IpcErrorCode = {
  /** The payload did not match the channel's contract. */
  invalidRequest: 'invalid-request',
  /** The request did not come from one of the app's own pages. */
  forbidden: 'forbidden',
  /** The handler failed; the details are in the main process log, not here. */
  internal: 'internal',
} as const;
export type IpcErrorCode = (typeof IpcErrorCode)[keyof typeof IpcErrorCode];

export interface IpcError {
  code: IpcErrorCode;
  /** For logs and developers; the renderer chooses what to display from `code`. */
  message: string;
}

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}
