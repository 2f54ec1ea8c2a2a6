/**
 * What every `tessera desfire ...` sub-command shares: the one option parse, argument checks,
 * and the KMS / badge connections opened for one command and always released.
 */
import { parseArgs } from 'node:util';
import { recognizeCard } from '../../../means/card-recognition.js';
import { BadgeError, DEFAULT_BADGE_AID, type AuthMode } from '../../../means/desfire/index.js';
import { openKmsFile, type Kms } from '../../../integrations/kms/index.js';
import type { CardChannel } from '../../../transports/card-channel.js';
import type { ReaderMonitor } from '../../../transports/pcsc/reader-monitor.js';
import { UsageError } from '../cli-output.js';
import { withMonitor } from '../with-monitor.js';

export function parseDesfireArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      reader: { type: 'string' },
      kms: { type: 'string' },
      'new-kms': { type: 'string' },
      aid: { type: 'string' },
      'key-no': { type: 'string' },
      'key-version': { type: 'string' },
      'auth-mode': { type: 'string' },
      register: { type: 'string' },
      person: { type: 'string' },
      name: { type: 'string' },
      'cps-reader': { type: 'string' },
      trust: { type: 'string', multiple: true },
      config: { type: 'string' },
      'audit-dir': { type: 'string' },
      operator: { type: 'string', multiple: true },
      'max-tries': { type: 'string' },
      'pins-stdin': { type: 'boolean' },
      'pin-stdin': { type: 'boolean' },
      enrolment: { type: 'string' },
      by: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export type DesfireValues = ReturnType<typeof parseDesfireArgs>['values'];

export const need = (v: string | undefined, flag: string): string => {
  if (v === undefined || v === '') throw new UsageError(`${flag} is required`);
  return v;
};

export function intArg(v: string | undefined, flag: string, min: number, max: number, dflt?: number): number {
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new UsageError(`${flag} <n> is required`);
  }
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag}: expected an integer from ${min} to ${max}`);
  return n;
}

export function aidArg(v: string | undefined): Buffer {
  if (v === undefined) return Buffer.from(DEFAULT_BADGE_AID);
  if (!/^[0-9a-fA-F]{6}$/.test(v)) throw new UsageError('--aid: expected 3 bytes (6 hex digits)');
  return Buffer.from(v, 'hex');
}

export function modeArg(v: string | undefined): AuthMode {
  if (v === undefined || v === 'auto' || v === 'ev1' || v === 'ev2') return v ?? 'auto';
  throw new UsageError('--auth-mode: expected auto, ev1 or ev2');
}

/** Opens the KMS for one command and always closes it (wipes keys, logs out of the token). */
export async function withKms<T>(path: string, fn: (kms: Kms) => Promise<T>): Promise<T> {
  const kms = openKmsFile(path);
  try {
    return await fn(kms);
  } finally {
    await kms.close();
  }
}

/** The badge in `reader` on an already started monitor, checked to be a DESFire card first (exit 6 otherwise). */
export function onBadge<T>(m: ReaderMonitor, reader: string, fn: (ch: CardChannel) => Promise<T>): Promise<T> {
  return m.withCard(reader, async (ch) => {
    const kind = await recognizeCard(ch);
    if (kind.type !== 'desfire') throw new BadgeError('unsupported_card', `card in ${reader} is not a DESFire badge (${kind.type}: ${kind.detail})`);
    return fn(ch);
  });
}

/** The badge in `reader`, on a monitor started for this command. */
export function withBadge<T>(reader: string, fn: (ch: CardChannel) => Promise<T>): Promise<T> {
  return withMonitor((m) => onBadge(m, reader, fn));
}
