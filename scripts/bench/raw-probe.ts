/**
 * The floor of the CPS login benchmark: raw APDU round trips through the `@pokusew/pcsclite`
 * addon + pcscd + vpcd to the simulator, with none of the agent's code on the path (its own
 * PC/SC context, an exclusive connection, `reader.transmit` in a loop).
 *
 * Close it only after `open()` resolved: the addon's reader `close()` leaves its status thread's
 * uv_async handle open (and the process alive forever) when it runs before that thread has
 * entered its first SCardGetStatusChange, so `open()` waits for every reader's first status.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadPcscLite, type NativeCardReader, type NativePcscContext } from '../../src/main/transports/pcsc/pcsc-native.js';

/** VERIFY, status form, PIN reference 01: the simulator answers 63Cx at once and nothing changes. */
export const NOOP_APDU = Buffer.from('00200001', 'hex');

export class RawProbe {
  private constructor(
    private readonly ctx: NativePcscContext,
    private readonly readers: readonly NativeCardReader[],
    private readonly reader: NativeCardReader,
  ) {}

  /** Builds a context and waits until `expectedReaders` are announced and have reported a status. */
  static async open(readerName: string, expectedReaders: number): Promise<RawProbe> {
    const ctx = loadPcscLite()();
    ctx.on('error', () => undefined);
    const readers: NativeCardReader[] = [];
    const statusSeen = new Set<NativeCardReader>();
    ctx.on('reader', (r: NativeCardReader) => {
      r.on('error', () => undefined);
      r.on('status', () => statusSeen.add(r));
      readers.push(r);
    });
    const deadline = Date.now() + 5000;
    while (readers.length < expectedReaders || statusSeen.size < readers.length) {
      if (Date.now() > deadline) {
        // Leaking the context is better than hanging the process on a premature close.
        throw new Error(`raw probe: ${readers.length}/${expectedReaders} readers announced, ${statusSeen.size} with a status, after 5 s`);
      }
      await sleep(5);
    }
    await sleep(20); // let each status thread get back into SCardGetStatusChange
    const reader = readers.find((r) => r.name === readerName);
    if (!reader) throw new Error(`raw probe: reader ${readerName} not announced`);
    return new RawProbe(ctx, readers, reader);
  }

  /**
   * `runs` back-to-back no-op round trips inside one exclusive connection; milliseconds each.
   * The first command after the connect is sent untimed: it pays for waking every thread on
   * the path (addon pool, pcscd, vpcd, card host), which the floor must not include.
   */
  async measure(runs: number): Promise<number[]> {
    const r = this.reader;
    const protocol = await new Promise<number>((ok, ko) =>
      r.connect({ share_mode: r.SCARD_SHARE_EXCLUSIVE, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 }, (err, p) => (err ? ko(err) : ok(p))),
    );
    try {
      const out: number[] = [];
      for (let i = -1; i < runs; i++) {
        const t0 = performance.now();
        const resp = await new Promise<Buffer>((ok, ko) => r.transmit(NOOP_APDU, 258, protocol, (err, res) => (err ? ko(err) : ok(res))));
        if (i >= 0) out.push(performance.now() - t0);
        if (resp.length !== 2) throw new Error(`raw probe: no-op APDU answered with ${resp.length} bytes`);
      }
      return out;
    } finally {
      await new Promise<void>((ok) => r.disconnect(r.SCARD_LEAVE_CARD, () => ok()));
    }
  }

  /**
   * Sends `apdus` as they are (e.g. the APDUs of one login, as the card logged them) inside one
   * exclusive connection and returns the milliseconds from the first command to the last
   * answer. The connection is released with a reset (not timed) so no verified PIN survives.
   */
  async replay(apdus: readonly Buffer[]): Promise<number> {
    const r = this.reader;
    const protocol = await new Promise<number>((ok, ko) =>
      r.connect({ share_mode: r.SCARD_SHARE_EXCLUSIVE, protocol: r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1 }, (err, p) => (err ? ko(err) : ok(p))),
    );
    try {
      const t0 = performance.now();
      for (const apdu of apdus) {
        const resp = await new Promise<Buffer>((ok, ko) => r.transmit(apdu, 65538, protocol, (err, res) => (err ? ko(err) : ok(res))));
        if (resp.length < 2) throw new Error(`raw probe: replayed APDU answered with ${resp.length} bytes`);
      }
      return performance.now() - t0;
    } finally {
      await new Promise<void>((ok) => r.disconnect(r.SCARD_RESET_CARD, () => ok()));
    }
  }

  close(): void {
    for (const r of this.readers) {
      try {
        r.close();
      } catch {
        // already closed by the addon
      }
    }
    this.ctx.close();
  }
}
