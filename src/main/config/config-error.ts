/**
 * The configuration layer's one error family. `code` is always `config_invalid` (stable for the
 * CLI and callers); `problem`, `field` and `allowed` say precisely what is wrong and what would
 * be accepted, and choose the sentence a person reads (`config.*` in `i18n/messages.ts`).
 */
import { TesseraError } from '../errors.js';

export type ConfigProblem =
  | 'config.unknown_key'
  | 'config.wrong_type'
  | 'config.out_of_range'
  | 'config.not_allowed'
  | 'config.insecure_url'
  | 'config.insecure_file'
  | 'config.unreadable'
  | 'config.not_json'
  | 'config.bad_source';

export interface ConfigErrorDetail {
  readonly problem?: ConfigProblem;
  /** Dotted path of the setting (`session.windowMinutes`). */
  readonly field?: string;
  /** What the field accepts. */
  readonly allowed?: string;
  /** The source that carried the value (file path, registry key, plist). */
  readonly source?: string;
  /** A file the problem is about (unreadable, insecure). */
  readonly file?: string;
}

export class ConfigError extends TesseraError<'config_invalid'> {
  readonly layer = 'config' as const;
  readonly problem: ConfigProblem | undefined;
  readonly field: string | undefined;
  readonly allowed: string | undefined;
  readonly source: string | undefined;
  readonly file: string | undefined;
  constructor(message: string, detail: ConfigErrorDetail = {}) {
    super('config_invalid', message);
    this.problem = detail.problem;
    this.field = detail.field;
    this.allowed = detail.allowed;
    this.source = detail.source;
    this.file = detail.file;
  }
}
