/**
 * Reader monitor: the PC/SC daemon's readers and cards as typed events.
 *
 * - Lists readers; reports readers added/removed and cards inserted/removed.
 * - Survives the daemon going away: the addon's context errors out and never recovers, so the
 *   monitor reports `daemon-down` (with the removals that implies), drops the context, and
 *   builds a new one with exponential back-off once the daemon answers again (`daemon-up`).
 * - Never lets an addon error escape as an unhandled `'error'` event.
 * - Hands out exclusive card connections (`connect`, `withCard`); `withCard` may hand one over to
 *   its caller (`lease.keep()`), who then owns it until `release()` resets the card.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonReachable } from './pcsc-daemon.js';
import { PcscError, toPcscError } from './pcsc-error.js';
import { PcscCardChannel } from './pcsc-card-channel.js';
import { loadPcscLite, type NativeCardReader, type NativePcscContext, type PcscContextFactory } from './pcsc-native.js';

export type ReaderEvent =
  | { type: 'reader-added'; reader: string }
  | { type: 'reader-removed'; reader: string }
  | { type: 'card-inserted'; reader: string; atr: Buffer }
  | { type: 'card-removed'; reader: string }
  | { type: 'daemon-down'; error: PcscError; retryInMs: number }
  | { type: 'daemon-up' };

export interface ReaderInfo {
  name: string;
  cardPresent: boolean;
  /** ATR of the card in the reader; empty when the card is mute. */
  atr?: Buffer;
}

export interface ReaderMonitorOptions {
  /** Injected in unit tests; the real addon otherwise. */
  contextFactory?: PcscContextFactory;
  /** Back-off between reconnection attempts: initial delay, doubled up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** How to tell the daemon is there before building a context. */
  probeDaemon?: () => Promise<boolean>;
}

interface ReaderEntry {
  native: NativeCardReader;
  present: boolean;
  atr: Buffer | undefined;
  channels: Set<PcscCardChannel>;
}

type Listener = (event: ReaderEvent) => void;

/** A connection taken out of `withCard`: still exclusive, the card's security state intact. */
export interface KeptCard {
  readonly channel: PcscCardChannel;
  /** Ends the connection with a card reset (idempotent); the next `connect` to that reader and `stop` wait for it. */
  release(): Promise<void>;
}

/** Given to the function of `withCard`: `keep()` hands the connection to the caller instead of resetting it on return. */
export interface CardLease {
  keep(): KeptCard;
}

export class ReaderMonitor {
  private context: NativePcscContext | undefined;
  private readonly readers = new Map<string, ReaderEntry>();
  private readonly listeners = new Set<Listener>();
  private running = false;
  private up = false;
  private reportedDown = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly factory: () => PcscContextFactory;
  private readonly probe: () => Promise<boolean>;
  private readonly statusSeen = new Set<string>();
  /** Resets still running after `withCard` returned; the next connection to that reader waits. */
  private readonly releasing = new Map<string, Promise<void>>();
  /** Connections handed out by `lease.keep()` and not released yet (reset at `stop`). */
  private readonly kept = new Set<KeptCard>();

  constructor(opts: ReaderMonitorOptions = {}) {
    this.backoff = opts.backoff ?? { initialMs: 250, maxMs: 5000 };
    this.retryDelay = this.backoff.initialMs;
    const injected = opts.contextFactory;
    this.factory = injected ? () => injected : loadPcscLite;
    this.probe = opts.probeDaemon ?? (() => daemonReachable());
  }

  /** Subscribe to events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get daemonUp(): boolean {
    return this.up;
  }

  /** Starts watching. Resolves once the daemon was reached (or immediately reported down). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.attach();
  }

  /** Stops watching and releases every native handle so the process can exit. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await Promise.allSettled([...this.kept].map((k) => k.release()));
    await Promise.allSettled([...this.releasing.values()]);
    // The addon leaks a handle (and the process never exits) when a reader is closed before
    // its status thread has started: wait, briefly, for every reader's first status.
    const deadline = Date.now() + 500;
    while (this.up && [...this.readers.keys()].some((n) => !this.statusSeen.has(n)) && Date.now() < deadline) await sleep(10);
    await this.detach(false);
  }

  list(): ReaderInfo[] {
    return [...this.readers.entries()].map(([name, r]) => ({
      name,
      cardPresent: r.present,
      ...(r.present && r.atr ? { atr: Buffer.from(r.atr) } : {}),
    }));
  }

  /**
   * Waits until the reader list has settled after start: the addon announces readers and their
   * first status asynchronously. Returns when every announced reader has reported a status, or
   * after `timeoutMs` (a daemon with no reader at all).
   */
  async settled(timeoutMs = 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.up && Date.now() < deadline) {
      if (this.readers.size > 0 && [...this.readers.keys()].every((n) => this.statusSeen.has(n))) return;
      await sleep(10);
    }
  }

  /** Resolves with the first card present (in `reader`, or any reader), or rejects on timeout. */
  waitForCard(reader: string | undefined, timeoutMs: number): Promise<{ reader: string; atr: Buffer }> {
    for (const info of this.list()) {
      if (info.cardPresent && (!reader || info.name === reader)) return Promise.resolve({ reader: info.name, atr: info.atr ?? Buffer.alloc(0) });
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new PcscError('no_card', `no card presented${reader ? ` in ${reader}` : ''} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on((ev) => {
        if (ev.type === 'card-inserted' && (!reader || ev.reader === reader)) {
          clearTimeout(timer);
          off();
          resolve({ reader: ev.reader, atr: ev.atr });
        }
      });
    });
  }

  /** Opens an exclusive connection to the card in `readerName`. */
  async connect(readerName: string): Promise<PcscCardChannel> {
    await this.releasing.get(readerName);
    const entry = this.readers.get(readerName);
    if (!this.up) throw new PcscError('daemon_unavailable', 'the PC/SC daemon is not reachable');
    if (!entry) throw new PcscError('reader_unavailable', `unknown reader: ${readerName}`);
    if (!entry.present) throw new PcscError('no_card', `no card in ${readerName}`);
    const channel = await PcscCardChannel.open(entry.native, readerName, entry.atr ?? Buffer.alloc(0));
    entry.channels.add(channel);
    channel.onClose(() => entry.channels.delete(channel));
    return channel;
  }

  /**
   * Runs `fn` inside one exclusive connection (the multi-APDU transaction) and releases it; the
   * card is reset on release so no verified-PIN state outlives the operation. The result is
   * returned while the reset runs: the connection stays exclusive until the reset is done, and
   * the next `connect` to that reader (and `stop`) waits for it.
   *
   * When `fn` calls `lease.keep()` and returns normally, the connection is not released: the
   * caller owns it (`KeptCard.release()` resets the card then). When `fn` throws, it is released
   * as usual, kept or not.
   */
  async withCard<T>(readerName: string, fn: (channel: PcscCardChannel, lease: CardLease) => Promise<T>): Promise<T> {
    const channel = await this.connect(readerName);
    let kept: KeptCard | undefined;
    const lease: CardLease = { keep: () => (kept ??= this.keepChannel(readerName, channel)) };
    let ok = false;
    try {
      const value = await fn(channel, lease);
      ok = true;
      return value;
    } finally {
      // A kept connection that `fn` returned normally is the caller's to release.
      if (!kept) this.releaseChannel(readerName, channel);
      else if (!ok) void kept.release();
    }
  }

  private releaseChannel(readerName: string, channel: PcscCardChannel): Promise<void> {
    const release = channel.close('reset');
    this.releasing.set(readerName, release);
    void release.finally(() => {
      if (this.releasing.get(readerName) === release) this.releasing.delete(readerName);
    });
    return release;
  }

  private keepChannel(readerName: string, channel: PcscCardChannel): KeptCard {
    let released: Promise<void> | undefined;
    const card: KeptCard = {
      channel,
      release: () => {
        this.kept.delete(card);
        return (released ??= this.releaseChannel(readerName, channel));
      },
    };
    this.kept.add(card);
    return card;
  }

  private emit(event: ReaderEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break the monitor.
      }
    }
  }

  private async attach(): Promise<void> {
    if (!this.running) return;
    let reachable = false;
    try {
      reachable = await this.probe();
    } catch {
      reachable = false;
    }
    if (!this.running) return;
    if (!reachable) {
      this.reportDown(new PcscError('daemon_unavailable', 'the PC/SC daemon is not running or not reachable'));
      return;
    }
    let ctx: NativePcscContext;
    try {
      ctx = this.factory()();
    } catch (e) {
      this.reportDown(toPcscError(e, 'SCardEstablishContext'));
      return;
    }
    this.context = ctx;
    ctx.on('error', (e: Error) => {
      if (this.context !== ctx) return;
      void this.lost(toPcscError(e, 'reader list'));
    });
    ctx.on('reader', (reader: NativeCardReader) => {
      if (this.context !== ctx) return;
      this.addReader(reader);
    });
    this.up = true;
    this.reportedDown = false;
    this.retryDelay = this.backoff.initialMs;
    this.emit({ type: 'daemon-up' });
  }

  private addReader(reader: NativeCardReader): void {
    const name = reader.name;
    const entry: ReaderEntry = { native: reader, present: false, atr: undefined, channels: new Set() };
    this.readers.set(name, entry);
    this.emit({ type: 'reader-added', reader: name });
    reader.on('error', () => {
      // Per-reader status errors come with the context error when the daemon dies; a lone
      // reader error (reader unplugged) is followed by 'end'.
    });
    reader.on('end', () => {
      if (this.readers.get(name) !== entry) return;
      this.removeReader(name, entry);
    });
    reader.on('status', (status) => {
      if (this.readers.get(name) !== entry) return;
      this.statusSeen.add(name);
      const present = (status.state & reader.SCARD_STATE_PRESENT) !== 0;
      const mute = (status.state & reader.SCARD_STATE_MUTE) !== 0;
      const atr = present && !mute && status.atr ? Buffer.from(status.atr) : Buffer.alloc(0);
      if (present && (!entry.present || (entry.atr && !entry.atr.equals(atr)))) {
        if (entry.present) this.cardGone(name, entry);
        entry.present = true;
        entry.atr = atr;
        this.emit({ type: 'card-inserted', reader: name, atr: Buffer.from(atr) });
      } else if (!present && entry.present) {
        this.cardGone(name, entry);
      }
    });
  }

  private cardGone(name: string, entry: ReaderEntry): void {
    entry.present = false;
    entry.atr = undefined;
    for (const ch of entry.channels) ch.markCardRemoved();
    this.emit({ type: 'card-removed', reader: name });
  }

  private removeReader(name: string, entry: ReaderEntry): void {
    if (entry.present) this.cardGone(name, entry);
    this.readers.delete(name);
    this.statusSeen.delete(name);
    this.emit({ type: 'reader-removed', reader: name });
  }

  private async lost(error: PcscError): Promise<void> {
    await this.detach(true);
    // The context is gone: whatever the addon called the failure (a killed daemon can surface as
    // a failed status read), what it means to the agent is that the daemon is unavailable.
    this.reportDown(error.code === 'daemon_unavailable' ? error : new PcscError('daemon_unavailable', `the PC/SC daemon was lost: ${error.message}`, error.scardCode, { cause: error }));
  }

  private reportDown(error: PcscError): void {
    this.up = false;
    if (!this.running) return;
    const retryInMs = this.retryDelay;
    if (!this.reportedDown) {
      this.reportedDown = true;
      this.emit({ type: 'daemon-down', error, retryInMs });
    }
    this.retryDelay = Math.min(this.retryDelay * 2, this.backoff.maxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.attach();
    }, retryInMs);
  }

  private async detach(announce: boolean): Promise<void> {
    const ctx = this.context;
    this.context = undefined;
    this.up = false;
    for (const [name, entry] of [...this.readers.entries()]) {
      for (const ch of entry.channels) ch.markCardRemoved();
      if (announce) this.removeReader(name, entry);
      try {
        entry.native.close();
      } catch {
        // Already closed by the addon.
      }
    }
    this.readers.clear();
    this.statusSeen.clear();
    if (ctx) {
      // Closing cancels the pending status call, which the addon reports as an error event.
      ctx.on('error', () => undefined);
      try {
        ctx.close();
      } catch {
        // Context already gone with the daemon.
      }
    }
  }
}
