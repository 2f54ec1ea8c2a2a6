/**
 * Canonical JSON for audit records: object keys sorted by UTF-16 code units at every depth, no
 * whitespace, `undefined` members left out, only safe integers as numbers. Two programs that agree
 * on a record's fields produce the same bytes, so the SHA-256 of a line is reproducible.
 */
import { AuditError } from './audit-error.js';

export type CanonicalValue =
  | string
  | number
  | boolean
  | null
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined };

export function canonicalJson(value: CanonicalValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new AuditError('audit_record_invalid', `canonical JSON holds safe integers only, got ${String(value)}`);
      return String(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${(value as readonly CanonicalValue[]).map(canonicalJson).join(',')}]`;
  const obj = value as { readonly [key: string]: CanonicalValue | undefined };
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
