/**
 * Virtual-card host: plugs a simulated chip into one slot of a vpcd reader.
 *
 * vpcd waits for a card as a TCP client on its slot port. Framing, both ways: a 2-byte
 * big-endian length then the payload. A 1-byte payload from the reader is a control code
 * (00 power off, 01 power on, 02 reset, 04 ask for the ATR); anything longer is a command APDU
 * that gets exactly one response. Insert = connect, remove = disconnect.
 */
import { Socket, connect } from 'node:net';
import type { VirtualCard } from './virtual-card.js';

const CTRL_OFF = 0x00;
const CTRL_ON = 0x01;
const CTRL_RESET = 0x02;
const CTRL_ATR = 0x04;

export interface InsertOptions {
  /**
   * Fault injection: called before each APDU reaches the card; returning `'pull'` removes the
   * card at that moment (the reader sees the link drop mid-command and gets no answer).
   */
  beforeApdu?: (apdu: Buffer, index: number) => 'pull' | undefined;
}

export class VirtualCardSlot {
  private socket: Socket | undefined;
  private card: VirtualCard | undefined;
  private pending = Buffer.alloc(0);
  private apduIndex = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Every APDU the card received since insertion (for tests that count round trips). */
  readonly apduLog: Buffer[] = [];

  constructor(readonly port: number, readonly host = '127.0.0.1') {}

  get inserted(): boolean {
    return this.socket !== undefined;
  }

  /** Connects the card to the reader slot; resolves once the TCP link is up. */
  insert(card: VirtualCard, opts: InsertOptions = {}): Promise<void> {
    if (this.socket) return Promise.reject(new Error('a card is already inserted in this slot'));
    this.card = card;
    this.apduIndex = 0;
    this.apduLog.length = 0;
    this.pending = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      const sock = connect({ port: this.port, host: this.host });
      sock.setNoDelay(true);
      sock.once('connect', () => {
        this.socket = sock;
        resolve();
      });
      sock.once('error', (e) => {
        if (this.socket !== sock) reject(e);
      });
      sock.on('close', () => {
        if (this.socket === sock) this.socket = undefined;
      });
      sock.on('data', (chunk: Buffer) => {
        this.pending = Buffer.concat([this.pending, chunk]);
        this.drain(sock, opts);
      });
    });
  }

  /** Disconnects the card (the reader reports it removed). */
  async remove(): Promise<void> {
    const sock = this.socket;
    if (!sock) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => {
      sock.once('close', () => resolve());
      sock.destroy();
    });
    this.card?.powerOff();
  }

  private drain(sock: Socket, opts: InsertOptions): void {
    while (this.pending.length >= 2) {
      const len = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + len) return;
      const msg = Buffer.from(this.pending.subarray(2, 2 + len));
      this.pending = this.pending.subarray(2 + len);
      // Answers go out strictly in order even when a card answers asynchronously.
      this.chain = this.chain.then(() => this.handle(sock, msg, opts)).catch(() => undefined);
    }
  }

  private async handle(sock: Socket, msg: Buffer, opts: InsertOptions): Promise<void> {
    const card = this.card;
    if (!card || this.socket !== sock) return;
    if (msg.length === 1) {
      switch (msg[0]) {
        case CTRL_OFF: card.powerOff(); return;
        case CTRL_ON: card.powerOn(); return;
        case CTRL_RESET: card.reset(); return;
        case CTRL_ATR: this.send(sock, card.atr); return;
        default: return;
      }
    }
    const index = this.apduIndex++;
    if (opts.beforeApdu?.(msg, index) === 'pull') {
      await this.remove();
      return;
    }
    this.apduLog.push(msg);
    const response = await card.processApdu(msg);
    if (this.socket === sock) this.send(sock, response);
  }

  private send(sock: Socket, payload: Buffer): void {
    const header = Buffer.alloc(2);
    header.writeUInt16BE(payload.length, 0);
    sock.write(Buffer.concat([header, payload]));
  }
}
