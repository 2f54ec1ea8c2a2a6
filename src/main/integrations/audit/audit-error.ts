/**
 * Errors of the audit trail (integrations layer). Codes are stable (CLI JSON, tests). Messages
 * name files, lines and fields, never a record's free content.
 */
import { TesseraError } from '../../errors.js';

export type AuditErrorCode =
  /** An input to a record is outside the closed set (unknown field, wrong type, looks like a secret). */
  | 'audit_record_invalid'
  /** The log cannot be opened, read, written or synced (permissions, disk full, missing file). */
  | 'audit_io'
  /** The log on disk cannot be continued safely (damage other than a torn last line). */
  | 'audit_log_corrupt'
  /** The log was closed; no more appends. */
  | 'audit_closed'
  /** A forwarding sink failed to deliver (retried by the forwarder). */
  | 'audit_sink_failed';

export class AuditError extends TesseraError<AuditErrorCode> {
  readonly layer = 'integration' as const;
}
