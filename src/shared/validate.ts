/**
 * Small hand-written checks the contract validators are built from. Pure: no Electron, no
 * Node, no DOM. Every check answers a boolean and never throws, whatever it is given.
 */

export type Plain = Record<string, unknown>;

/** A plain object (not null, not an array). */
export function isPlain(x: unknown): x is Plain {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function isOneOf<T extends string>(values: readonly T[], x: unknown): x is T {
  return typeof x === 'string' && (values as readonly string[]).includes(x);
}

/** True when every own key of `o` is one of `keys` (extra fields are refused, not ignored). */
export function hasOnlyKeys(o: object, keys: readonly string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/** A string of 1..max characters that is not only white space. */
export function isText(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length <= max && x.trim().length > 0;
}

/** Request, enrolment and reason identifiers: short, printable, no spaces. */
export const tokenPattern = /^[A-Za-z0-9_.:-]{1,64}$/;
export function isToken(x: unknown): x is string {
  return typeof x === 'string' && tokenPattern.test(x);
}

/** Machine codes (reason codes, failure codes): lower-case snake case. */
export const codePattern = /^[a-z][a-z0-9_]{0,63}$/;
export function isCode(x: unknown): x is string {
  return typeof x === 'string' && codePattern.test(x);
}

/** A UTC instant written as `Date.prototype.toISOString` writes it. */
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
export function isIsoInstant(x: unknown): x is string {
  return typeof x === 'string' && isoPattern.test(x) && Number.isFinite(Date.parse(x));
}

export function isIntegerIn(x: unknown, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

/** An array of at most `max` items, each passing `item`. */
export function isArrayOf<T>(x: unknown, max: number, item: (y: unknown) => y is T): x is T[] {
  return Array.isArray(x) && x.length <= max && x.every((y) => item(y));
}

/** An optional field: absent (or undefined) or passing `check`. */
export function optional<T>(x: unknown, check: (y: unknown) => y is T): x is T | undefined {
  return x === undefined || check(x);
}
