/**
 * PcscCardChannel against a scripted addon reader (the pcscd path is covered by the integration
 * tests): an idle channel hands a command to the addon before `transmit` returns, so the caller
 * can compute while the card works; a busy one queues it; a failed command does not block the
 * next one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PcscCardChannel } from '../../../src/main/transports/pcsc/pcsc-card-channel.js';
import type { NativeCardReader } from '../../../src/main/transports/pcsc/pcsc-native.js';

type Pending = { apdu: Buffer; cb: (err: Error | null | undefined, response: Buffer) => void };

function scriptedReader(): { reader: NativeCardReader; pending: Pending[] } {
  const pending: Pending[] = [];
  const reader: NativeCardReader = {
    name: 'Lecteur 00',
    connected: true,
    SCARD_SHARE_EXCLUSIVE: 1, SCARD_SHARE_SHARED: 2, SCARD_PROTOCOL_T0: 1, SCARD_PROTOCOL_T1: 2,
    SCARD_STATE_PRESENT: 0x20, SCARD_STATE_MUTE: 0x200, SCARD_LEAVE_CARD: 0, SCARD_RESET_CARD: 1,
    on: () => undefined,
    connect: (_o: unknown, cb: (err: Error | null | undefined, protocol: number) => void) => cb(null, 2),
    disconnect: (_d: number, cb: (err: Error | null | undefined) => void) => cb(null),
    transmit: (apdu: Buffer, _len: number, _p: number, cb: Pending['cb']) => {
      pending.push({ apdu, cb });
    },
    close: () => undefined,
  };
  return { reader, pending };
}

const answer = (p: Pending | undefined, hex: string, err?: Error): void => {
  assert.ok(p, 'no command reached the addon');
  p.cb(err ?? null, Buffer.from(hex, 'hex'));
};

describe('PcscCardChannel', () => {
  it('an idle channel hands the command to the addon before transmit returns', async () => {
    const { reader, pending } = scriptedReader();
    const ch = await PcscCardChannel.open(reader, reader.name, Buffer.alloc(0));
    const r = ch.transmit(Buffer.from('00A40400', 'hex'));
    assert.equal(pending.length, 1, 'the command waited for a later tick');
    answer(pending.shift(), '9000');
    assert.equal((await r).toString('hex'), '9000');
    // Idle again once the answer was taken: the next command also leaves at once.
    const r2 = ch.transmit(Buffer.from('00B00000', 'hex'));
    assert.equal(pending.length, 1);
    answer(pending.shift(), '01029000');
    assert.equal((await r2).toString('hex'), '01029000');
    await ch.close();
  });

  it('a busy channel queues commands and answers them in order; a failure does not block the next', async () => {
    const { reader, pending } = scriptedReader();
    const ch = await PcscCardChannel.open(reader, reader.name, Buffer.alloc(0));
    const a = ch.transmit(Buffer.from('01', 'hex'));
    const b = ch.transmit(Buffer.from('02', 'hex'));
    const c = ch.transmit(Buffer.from('03', 'hex'));
    assert.deepEqual(pending.map((p) => p.apdu.toString('hex')), ['01'], 'only one command at a time reaches the addon');
    answer(pending.shift(), '6a82');
    assert.equal((await a).toString('hex'), '6a82');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(pending.map((p) => p.apdu.toString('hex')), ['02']);
    // A short answer is a failure of that command only (classified after a grace period).
    ch.commandTimeoutMs = 0;
    answer(pending.shift(), '');
    await assert.rejects(b, (e: unknown) => e instanceof Error && /short response/.test(e.message));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(pending.map((p) => p.apdu.toString('hex')), ['03']);
    answer(pending.shift(), '9000');
    assert.equal((await c).toString('hex'), '9000');
    await ch.close();
  });
});
