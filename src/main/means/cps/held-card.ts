/**
 * The PIN-verified CPS card of the session in front, held on its exclusive connection so that it
 * can sign again without the PIN (docs/agent-assertion-protocol.md §8, "The card signs each
 * proof"). No PIN is kept anywhere: only the card's own verified state, which lasts as long as
 * this connection does.
 *
 * One card at most. It is released — the connection closed with a card RESET, never left — when
 * the card is removed, pcscd goes away, the reader goes, any command on it fails or times out, a
 * signature does not verify, another card is held, the caller says the session ended
 * (`release`), or the holder stops. Signatures are serialised on the connection and bounded in
 * time; each is checked with the certificate's key before it is returned.
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { signChallenge } from '../../protocols/iasecc/cps-commands.js';
import type { KeptCard, ReaderEvent } from '../../transports/pcsc/reader-monitor.js';
import { CpsError, toCpsError } from './cps-error.js';

/** Why a held card was let go (for the agent's report; the card is reset in every case). */
export type ReleaseReason = 'card_removed' | 'daemon_down' | 'card_error' | 'session_ended' | 'replaced' | 'stopped';

export interface HeldCardOptions {
  /** Bound of one signature, MSE SET + INTERNAL AUTHENTICATE (default 5 s). */
  readonly signTimeoutMs?: number;
  /** Told of each release. */
  readonly onRelease?: (reader: string, person: string, why: ReleaseReason) => void;
}

/** What `hold` needs besides the connection: whose card it is and the key its certificate names. */
export interface HeldCardIdentity {
  /** Tessera subject id of the card's holder (`rpps:<11 digits>`). */
  readonly person: string;
  /** Public key of the card's authentication certificate (verified the login's challenge). */
  readonly publicKey: KeyObject;
}

export interface CardSigner {
  /** The card's RSASSA-PKCS1-v1_5 SHA-256 signature of `data` (it signs the SHA-256 DigestInfo), verified before it is returned. */
  sign(data: Buffer): Promise<Buffer>;
}

const DEFAULT_SIGN_TIMEOUT_MS = 5000;

interface Held extends HeldCardIdentity {
  readonly card: KeptCard;
  /** The last signature on the connection (the next one waits for it). */
  queue: Promise<unknown>;
}

export class HeldCard {
  private held: Held | undefined;
  private readonly releases = new Set<Promise<void>>();
  private readonly signTimeoutMs: number;
  private readonly offEvents: () => void;
  private stopped = false;

  constructor(
    readers: { on(listener: (e: ReaderEvent) => void): () => void },
    private readonly opts: HeldCardOptions = {},
  ) {
    this.signTimeoutMs = opts.signTimeoutMs ?? DEFAULT_SIGN_TIMEOUT_MS;
    this.offEvents = readers.on((e) => {
      if (!this.held) return;
      if ((e.type === 'card-removed' || e.type === 'reader-removed') && e.reader === this.held.card.channel.readerName) void this.release('card_removed');
      else if (e.type === 'daemon-down') void this.release('daemon_down');
    });
  }

  /** Subject id of the person whose card is held, if any. */
  get person(): string | undefined {
    return this.held?.person;
  }

  /** True while the card in `reader` is held (a new insertion there is not handled). */
  holds(reader: string): boolean {
    return this.held?.card.channel.readerName === reader;
  }

  /** Takes the connection of a verified card (after a login the engine opened a session on); a card held before is released. */
  hold(card: KeptCard, who: HeldCardIdentity): void {
    if (this.stopped || !card.channel.connected) {
      this.track(card.release());
      return;
    }
    if (this.held) void this.release('replaced');
    // A silent card breaks the connection within the bound instead of holding the reader for the default 20 s.
    card.channel.commandTimeoutMs = this.signTimeoutMs;
    this.held = { ...who, card, queue: Promise.resolve() };
  }

  /** Signs with the held card of `person`; undefined when no card of theirs is held. */
  signer(person: string): CardSigner | undefined {
    const held = this.held;
    if (!held || held.person !== person) return undefined;
    return { sign: (data) => this.sign(held, data) };
  }

  /** Lets the held card go (reset); resolves once the reset is done. */
  release(why: ReleaseReason): Promise<void> {
    const held = this.held;
    if (!held) return this.settled();
    this.held = undefined;
    this.opts.onRelease?.(held.card.channel.readerName, held.person, why);
    this.track(held.card.release());
    return this.settled();
  }

  /** Resolves when every release started so far is done. */
  async settled(): Promise<void> {
    while (this.releases.size > 0) await Promise.allSettled([...this.releases]);
  }

  /** Releases the card and stops watching the readers. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offEvents();
    await this.release('stopped');
  }

  private track(p: Promise<void>): void {
    const t = p.catch(() => undefined).finally(() => this.releases.delete(t));
    this.releases.add(t);
  }

  private sign(held: Held, data: Buffer): Promise<Buffer> {
    const run = held.queue.catch(() => undefined).then(() => this.signNow(held, data));
    held.queue = run;
    return run;
  }

  private async signNow(held: Held, data: Buffer): Promise<Buffer> {
    if (this.held !== held) throw new CpsError('no_card', 'the card of this session is no longer held');
    let timer: NodeJS.Timeout | undefined;
    try {
      const signature = await Promise.race([
        signChallenge(held.card.channel, data),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CpsError('card_error', `the card did not sign within ${this.signTimeoutMs} ms`)), this.signTimeoutMs);
        }),
      ]);
      let valid = false;
      try {
        valid = verifySignature('sha256', data, held.publicKey, signature);
      } catch {
        valid = false;
      }
      if (!valid) throw new CpsError('bad_signature', 'the held card signature does not verify with its certificate key');
      return signature;
    } catch (e) {
      const err = toCpsError(e);
      if (this.held === held) void this.release(err.code === 'card_removed' ? 'card_removed' : 'card_error');
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
