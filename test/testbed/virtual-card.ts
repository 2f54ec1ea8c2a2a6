/**
 * A simulated chip, as the virtual-card host (`vpcd-host.ts`) plugs it into a vpcd reader.
 *
 * The host owns the TCP link to the vpcd driver; the card only answers power events and APDUs.
 * Everything a card does goes through `processApdu`, so the agent sees it only through the real
 * pcscd daemon and the real `@pokusew/pcsclite` addon.
 */
export interface VirtualCard {
  /** Answer-to-reset returned to the reader (vpcd control byte 0x04). */
  readonly atr: Buffer;
  /** Reader powered the card on (cold reset). Volatile state (selected file, PIN verified) is reset. */
  powerOn(): void;
  /** Reader powered the card off. */
  powerOff(): void;
  /** Warm reset. Volatile state is reset. */
  reset(): void;
  /**
   * One command APDU in, one response APDU out (data followed by SW1 SW2). Must never throw:
   * malformed commands get an ISO 7816-4 error status word. May return a Promise to model a
   * slow card.
   */
  processApdu(apdu: Buffer): Buffer | Promise<Buffer>;
}
