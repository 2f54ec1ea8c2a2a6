/**
 * One exclusive PC/SC connection to a card: the production `CardChannel`.
 *
 * Transmissions are serialised; a card pulled mid-command, a reset by another party or a dead
 * daemon reject with a `PcscError` (never a partial response). An optional per-command timeout
 * bounds a card that never answers: the channel is then unusable and must be closed.
 */
import type { CardChannel } from '../card-channel.js';
import { PcscError, toPcscError } from './pcsc-error.js';
import type { NativeCardReader } from './pcsc-native.js';

/** Largest response the addon is asked to accept: extended Le (65536) plus SW1 SW2. */
const MAX_RESPONSE = 65536 + 2;
/** How long a failed command waits for the reader to report a removal (measured: 0.2-0.4 s). */
const REMOVAL_GRACE_MS = 800;
/** Longest wait for pcsc-lite to confirm a disconnect. */
const DISCONNECT_TIMEOUT_MS = 2000;
/**
 * Default bound of one command. No command Tessera sends waits for a person (PINs are typed on
 * the workstation, not on a reader's PIN pad), so a card still silent after this is broken or
 * hostile; without a default, such a card held the reader and the login forever.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 20_000;

export type Disposition = 'leave' | 'reset';

export class PcscCardChannel implements CardChannel {
  private open = true;
  private removed = false;
  private signalRemoved: () => void = () => undefined;
  private readonly removedSignal = new Promise<void>((resolve) => { this.signalRemoved = resolve; });
  private broken: PcscError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Commands handed to `transmit` and not yet settled. */
  private inFlight = 0;
  private readonly closeListeners: Array<() => void> = [];
  /** Per-command time limit in ms; 0 = none. */
  commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS;

  private constructor(
    private readonly reader: NativeCardReader,
    readonly readerName: string,
    readonly atr: Buffer,
    private readonly protocol: number,
  ) {}

  static open(reader: NativeCardReader, readerName: string, atr: Buffer): Promise<PcscCardChannel> {
    return new Promise((resolve, reject) => {
      reader.connect(
        { share_mode: reader.SCARD_SHARE_EXCLUSIVE, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 },
        (err, protocol) => {
          if (err) reject(toPcscError(err, `connect to ${readerName}`));
          else resolve(new PcscCardChannel(reader, readerName, atr, protocol));
        },
      );
    });
  }

  get connected(): boolean {
    return this.open && !this.removed && !this.broken;
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Called by the monitor when the reader reports the card gone. */
  markCardRemoved(): void {
    this.removed = true;
    this.signalRemoved();
  }

  /**
   * pcsc-lite answers a command to a card being pulled with a generic "transaction failed"
   * before the reader reports the removal; wait briefly for that report to name it right.
   */
  private async classifyFailure(err: unknown): Promise<PcscError> {
    const e = err instanceof PcscError ? err : toPcscError(err, `transmit to ${this.readerName}`);
    if (e.code !== 'transmit_failed') return e;
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      this.removedSignal.then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), REMOVAL_GRACE_MS); }),
    ]);
    if (timer) clearTimeout(timer);
    return gone ? new PcscError('card_removed', `card removed from ${this.readerName} during a command`, e.scardCode, { cause: err }) : e;
  }

  /**
   * With no command in flight the APDU goes to the addon before this returns, so the caller can
   * compute (a key diversification, say) while the card answers; otherwise it waits its turn.
   */
  transmit(apdu: Buffer): Promise<Buffer> {
    const run = this.inFlight === 0 ? this.transmitNow(apdu) : this.queue.then(() => this.transmitNow(apdu));
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
    };
    this.queue = run.then(done, done);
    return run;
  }

  private transmitNow(apdu: Buffer): Promise<Buffer> {
    if (this.broken) return Promise.reject(this.broken);
    if (!this.open) return Promise.reject(new PcscError('not_connected', `connection to ${this.readerName} is closed`));
    if (this.removed) return Promise.reject(new PcscError('card_removed', `card removed from ${this.readerName}`));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (this.commandTimeoutMs > 0) {
        timer = setTimeout(() => {
          this.broken = new PcscError('timeout', `card in ${this.readerName} did not answer within ${this.commandTimeoutMs} ms`);
          reject(this.broken);
        }, this.commandTimeoutMs);
      }
      this.reader.transmit(apdu, MAX_RESPONSE, this.protocol, (err, response) => {
        if (timer) clearTimeout(timer);
        if (this.broken?.code === 'timeout') return;
        if (err) {
          void this.classifyFailure(err).then(reject);
          return;
        }
        if (response.length < 2) {
          // Some drivers (vpcd among them) hand back an empty answer when the card vanishes.
          void this.classifyFailure(new PcscError('transmit_failed', `short response (${response.length} bytes) from ${this.readerName}`)).then(reject);
          return;
        }
        resolve(response);
      });
    });
  }

  /** Releases the connection; `reset` (default) drops any security state the card holds. */
  async close(disposition: Disposition = 'reset'): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.queue;
    const how = disposition === 'reset' ? this.reader.SCARD_RESET_CARD : this.reader.SCARD_LEAVE_CARD;
    // pcsc-lite may never answer a disconnect for a card pulled during it: a time limit ends
    // the wait, so a reader never stays blocked behind a dead release. (Not the removal itself:
    // closing the reader while the addon still runs the disconnect keeps the process alive.)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DISCONNECT_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      try {
        this.reader.disconnect(how, done);
      } catch {
        done();
      }
    });
    for (const l of this.closeListeners.splice(0)) l();
  }
}
