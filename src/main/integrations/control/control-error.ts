/**
 * Errors of the local control channel (integrations layer). Codes are stable (CLI exit and JSON
 * output, tests); what a person reads is in `i18n/messages.ts`.
 */
import { TesseraError } from '../../errors.js';

export type ControlErrorCode =
  /** Nothing listens on the socket (absent, or a stale file): no agent runs for this user. */
  | 'agent_not_running'
  /** The socket exists but this process may not connect (another user's agent). */
  | 'control_refused'
  /** The socket path or its folder is unsafe (owned by another user, not a socket, open to others), or an agent already listens there. */
  | 'control_insecure_path'
  /** The other side sent something outside the protocol. */
  | 'control_protocol'
  /** No answer in time. */
  | 'control_timeout'
  /** The agent answered `ok: false`; `remoteCode` carries its code. */
  | 'control_remote_error';

export class ControlError extends TesseraError<ControlErrorCode> {
  readonly layer = 'integration' as const;
  /** For `control_remote_error`: the error code the agent sent. */
  readonly remoteCode: string | undefined;
  /** The socket or pipe path involved. */
  readonly path: string | undefined;
  constructor(code: ControlErrorCode, message: string, opts: { remoteCode?: string; path?: string; cause?: unknown } = {}) {
    super(code, message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.remoteCode = opts.remoteCode;
    this.path = opts.path;
  }
}
