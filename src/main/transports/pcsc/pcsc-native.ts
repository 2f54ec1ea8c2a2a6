/**
 * The slice of the `@pokusew/pcsclite` addon the transport uses, as interfaces, so the reader
 * monitor can be exercised with a fake context in unit tests. Production always loads the real
 * addon (`loadPcscLite`), lazily: a CLI command that never touches a reader never loads it.
 */
import { createRequire } from 'node:module';

export interface NativeReaderStatus {
  state: number;
  atr?: Buffer;
}

export interface NativeCardReader {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_STATE_MUTE: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  on(type: 'status', listener: (status: NativeReaderStatus) => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  on(type: 'end', listener: () => void): unknown;
  connect(options: { share_mode?: number; protocol?: number }, cb: (err: Error | null | undefined, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | null | undefined, response: Buffer) => void): void;
  close(): void;
}

export interface NativePcscContext {
  on(type: 'reader', listener: (reader: NativeCardReader) => void): unknown;
  on(type: 'error', listener: (error: Error) => void): unknown;
  close(): void;
}

export type PcscContextFactory = () => NativePcscContext;

let cached: PcscContextFactory | undefined;

export function loadPcscLite(): PcscContextFactory {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = require('@pokusew/pcsclite') as PcscContextFactory;
  }
  return cached;
}
