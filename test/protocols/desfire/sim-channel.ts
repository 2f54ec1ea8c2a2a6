/** An in-process `CardChannel` over a `VirtualCard` (no pcscd), with an APDU log and fault hooks. */
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import type { VirtualCard } from '../../testbed/virtual-card.js';

export class SimChannel implements CardChannel {
  readonly readerName = 'in-process';
  readonly log: { command: Buffer; response: Buffer }[] = [];
  connected = true;
  /** Rewrites a response before the client sees it (fault injection). */
  tamper: ((command: Buffer, response: Buffer) => Buffer) | undefined;

  constructor(readonly card: VirtualCard) {
    card.powerOn();
  }

  get atr(): Buffer {
    return this.card.atr;
  }

  async transmit(apdu: Buffer): Promise<Buffer> {
    const response = Buffer.from(await this.card.processApdu(Buffer.from(apdu)));
    const seen = this.tamper ? this.tamper(apdu, response) : response;
    this.log.push({ command: Buffer.from(apdu), response: Buffer.from(seen) });
    return seen;
  }
}

/** A channel that answers from a script (for malformed-response tests). */
export class ScriptedChannel implements CardChannel {
  readonly readerName = 'scripted';
  readonly atr = Buffer.from('3B8180018080', 'hex');
  readonly connected = true;
  readonly sent: Buffer[] = [];
  constructor(private readonly answer: (apdu: Buffer, index: number) => Buffer) {}

  async transmit(apdu: Buffer): Promise<Buffer> {
    this.sent.push(Buffer.from(apdu));
    return this.answer(apdu, this.sent.length - 1);
  }
}
