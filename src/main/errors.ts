/**
 * Base of every error the core raises on purpose.
 *
 * Each layer has one error family (a subclass with its own closed set of codes). `code` is
 * stable: CLI JSON output, audit records and tests rely on it. `message` is for logs and
 * developers (it may carry status words, never a PIN or key). What a person reads is chosen
 * from the code in exactly one place: `src/main/i18n/messages.ts`.
 */
export type Layer = 'transport' | 'protocol' | 'means' | 'session' | 'integration' | 'config' | 'shell';

export abstract class TesseraError<C extends string = string> extends Error {
  abstract readonly layer: Layer;
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function isTesseraError(e: unknown): e is TesseraError {
  return e instanceof TesseraError;
}
