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
  /** The agent core is not running or not reachable (the UI offers "retry the connection"). */
  unavailable: 'unavailable',
  /** The policy does not let this user do that (Settings, Quit, enrolment of that kind...). */
  notAllowed: 'not-allowed',
  /** The PIN request or enrolment the id names is over (answered, cancelled, replaced). */
  staleRequest: 'stale-request',
  /** Lock, sign out or enrol with nobody signed in. */
  noSession: 'no-session',
  /** Enrolment needs a two-factor session in front. */
  needsTwoFactor: 'needs-two-factor',
  /** Another operation of the same kind is in progress. */
  busy: 'busy',
} as const;
export type IpcErrorCode = (typeof IpcErrorCode)[keyof typeof IpcErrorCode];

export const ipcErrorCodes: readonly IpcErrorCode[] = Object.values(IpcErrorCode);

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
