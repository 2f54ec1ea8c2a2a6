/**
 * In-memory `CardChannel` over a simulated chip (`CpsCard.processApdu`), so the CPS means runs
 * end to end without pcscd. Records a copy of every command (exchange() wipes the encoded APDU
 * once sent) and can play a transport failure at a given command.
 */
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import type { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';

export interface SimulatedChannelOptions {
  readonly readerName?: string;
  /** Throw this error instead of transmitting the command with this 0-based index. */
  readonly failAt?: { readonly index: number; readonly error: PcscError };
}

export class SimulatedChannel implements CardChannel {
  readonly readerName: string;
  readonly sent: string[] = [];
  #connected = true;

  constructor(
    private readonly card: VirtualCard,
    private readonly opts: SimulatedChannelOptions = {},
  ) {
    this.readerName = opts.readerName ?? 'Simulated CPS Reader 00 00';
    card.powerOn();
  }

  get atr(): Buffer {
    return this.card.atr;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** INS byte of every command sent, upper-case hex. */
  get instructions(): string[] {
    return this.sent.map((c) => c.slice(2, 4));
  }

  async transmit(apdu: Buffer): Promise<Buffer> {
    const copy = Buffer.from(apdu);
    const index = this.sent.length;
    this.sent.push(copy.toString('hex').toUpperCase());
    if (this.opts.failAt?.index === index) {
      this.#connected = false;
      throw this.opts.failAt.error;
    }
    return Buffer.from(await this.card.processApdu(copy));
  }
}
