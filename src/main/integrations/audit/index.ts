/** Audit trail: typed records, canonical JSON, SHA-256 chain, durable log, verification, forwarding. */
export { AuditError, type AuditErrorCode } from './audit-error.js';
export { canonicalJson, type CanonicalValue } from './canonical-json.js';
export {
  AUDIT_DECISIONS,
  AUDIT_EVENTS,
  AUDIT_FORMAT_VERSION,
  GENESIS_HASH,
  MAX_RECORD_LINE_BYTES,
  SECRET_NAME,
  auditInputFromAuthEvent,
  checkAuditInput,
  hashBody,
  looksSecret,
  parseRecordLine,
  recordLine,
  sealRecord,
  type AuditDecision,
  type AuditDetails,
  type AuditEventKind,
  type AuditInput,
  type AuditRecord,
  type AuditRecordBody,
  type ParsedLine,
  type SecretKeysOf,
} from './record.js';
export { auditFileName, DEFAULT_BASE_NAME, listAuditFiles } from './files.js';
export { AuditLog, recordThenApply, type AuditLogOptions, type AuditSubscriber, type RepairReport, type WrittenRecord } from './audit-log.js';
export { verifyAuditFile, type AuditProblem, type BadRecord, type VerifyOptions, type VerifyResult } from './verify.js';
export { AuditSpool, type SpoolOptions, type SpoolWarning, type SpoolWarningCode, type SpooledRecord } from './spool.js';
export { AuditForwarder, type ForwarderOptions, type ForwarderState } from './forwarder.js';
export type { AuditSink } from './sinks/sink.js';
export { HttpCollectorSink, type HttpSinkOptions } from './sinks/http-sink.js';
export { SyslogSink, formatSyslog5424, syslogSeverity, type SyslogOptions } from './sinks/syslog-sink.js';
export {
  WindowsEventLogSink,
  eventCreateCommand,
  writeEventLogCommand,
  windowsEventType,
  WINDOWS_EVENT_IDS,
  MESSAGE_ENV,
  type WindowsEventCommand,
  type WindowsEventOptions,
  type WindowsEventType,
} from './sinks/windows-event-sink.js';
export { auditInputFromDecision } from './from-decision.js';
export { auditInputFromEnrolment, auditInputFromFidoEnrolment } from './from-enrolment.js';
