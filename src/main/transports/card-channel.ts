/**
 * What the protocol layer sees of a smartcard: one connected card in one reader.
 *
 * Implemented by the PC/SC transport (`pcsc/pcsc-card-channel.ts`) in production and by
 * in-memory fakes in protocol unit tests. Everything above this interface is transport-agnostic.
 */
export interface CardChannel {
  /** PC/SC reader name, as listed by the daemon. */
  readonly readerName: string;
  /** Answer-to-reset of the card, as reported when it was connected. */
  readonly atr: Buffer;
  /** True while the card is connected (false once pulled or disconnected). */
  readonly connected: boolean;
  /**
   * Send one command APDU and return the raw response (data followed by SW1 SW2).
   * Rejects with a `TransportError` when the card is pulled, the reader vanishes or the
   * daemon stops; never resolves with a partial response.
   */
  transmit(apdu: Buffer): Promise<Buffer>;
}
