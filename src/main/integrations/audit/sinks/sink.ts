/**
 * Where the forwarder delivers records, one at a time and in order. `send` resolves once the
 * destination took the record (HTTP 2xx, datagram sent, TCP write flushed, event written) and
 * rejects to make the forwarder keep the record and retry later.
 */
import type { AuditRecord } from '../record.js';

export interface AuditSink {
  /** Short stable name (spool file names, warnings): letters, digits, dash. */
  readonly name: string;
  /** `line` is the record's canonical JSON without the newline. */
  send(record: AuditRecord, line: string): Promise<void>;
  close(): Promise<void>;
}
