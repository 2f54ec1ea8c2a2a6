/**
 * A `CardChannel` that answers each command with the next frame of a script, whatever the
 * command was: a card that says anything at all. Once the script is spent it answers `6F00`
 * (no precise diagnosis), so every exchange ends. Counts the commands it was sent.
 */
import type { CardChannel } from '../../src/main/transports/card-channel.js';

export class ScriptedChannel implements CardChannel {
  readonly readerName = 'Fuzz Reader 00 00';
  readonly atr = Buffer.from('3B8F8001804F0CA000000306030001000000006A', 'hex');
  readonly connected = true;
  commands = 0;
  private next = 0;

  constructor(
    private readonly frames: readonly Buffer[],
    private readonly spent: Buffer = Buffer.from([0x6f, 0x00]),
  ) {}

  async transmit(_apdu: Buffer): Promise<Buffer> {
    this.commands += 1;
    const frame = this.frames[this.next];
    this.next += 1;
    return Buffer.from(frame ?? this.spent);
  }
}
