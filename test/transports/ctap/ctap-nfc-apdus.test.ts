/**
 * CtapNfcTransport against a scripted card channel: the exact APDU bytes of CTAP 2.1 §11.3
 * (written here by hand), status words mapped to typed errors, time budget, removal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CtapNfcTransport } from '../../../src/main/transports/ctap/ctap-nfc-transport.js';
import { CtapTransportError } from '../../../src/main/transports/ctap/ctap-error.js';
import { PcscError } from '../../../src/main/transports/pcsc/pcsc-error.js';
import type { CardChannel } from '../../../src/main/transports/card-channel.js';
import type { CtapKeepaliveStatus } from '../../../src/main/transports/ctap/ctap-transport.js';

const SELECT = '00a4040008a0000006472f000100';
const FIDO_2_0_OK = Buffer.concat([Buffer.from('FIDO_2_0'), Buffer.from('9000', 'hex')]);

class ScriptedChannel implements CardChannel {
  readonly readerName = 'Scripted 00 00';
  readonly atr = Buffer.from('3b00', 'hex');
  readonly connected = true;
  readonly sent: string[] = [];
  constructor(private readonly answer: (apdu: Buffer, n: number) => Buffer | Promise<Buffer>) {}
  async transmit(apdu: Buffer): Promise<Buffer> {
    this.sent.push(apdu.toString('hex'));
    if (apdu.toString('hex') === SELECT) return Buffer.from(FIDO_2_0_OK);
    return this.answer(apdu, this.sent.length);
  }
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const isCode = (code: string, sw?: number) => (e: unknown): boolean =>
  e instanceof CtapTransportError && e.code === code && (sw === undefined || e.sw === sw);

describe('CTAP over APDUs: bytes on the wire', () => {
  it('short message: one NFCCTAP_MSG 80 10 80 00 Lc data 00', async () => {
    const ch = new ScriptedChannel(() => hex('00a1019000'));
    const t = await CtapNfcTransport.open(ch);
    assert.equal(t.version, 'FIDO_2_0');
    assert.deepEqual(await t.cbor(hex('04')), hex('00a101'));
    assert.deepEqual(ch.sent, [SELECT, '801080000104' + '00']);
  });

  it('300-byte message: a CLA 90 block of 255 then a CLA 80 block of 45; answer in 61xx blocks via GET RESPONSE', async () => {
    const answer = Buffer.alloc(300, 0x5a);
    const ch = new ScriptedChannel((apdu) => {
      if (apdu[0] === 0x90) return hex('9000');
      if (apdu[0] === 0x80) return Buffer.concat([answer.subarray(0, 256), hex('612c')]);
      return Buffer.concat([answer.subarray(256), hex('9000')]);
    });
    const t = await CtapNfcTransport.open(ch);
    assert.deepEqual(await t.cbor(Buffer.alloc(300, 1)), answer);
    assert.equal(ch.sent.length, 4);
    assert.equal(ch.sent[1], '90108000ff' + '01'.repeat(255));
    assert.equal(ch.sent[2], '801080002d' + '01'.repeat(45) + '00');
    assert.equal(ch.sent[3], '00c000002c', 'GET RESPONSE asks for the 0x2C bytes announced');
  });

  it('extended length: 80 10 80 00 00 Lc(2) data 00 00', async () => {
    const ch = new ScriptedChannel(() => hex('009000'));
    const t = await CtapNfcTransport.open(ch, { extendedLength: true });
    await t.cbor(Buffer.alloc(300, 2));
    assert.equal(ch.sent[1], '8010800000012c' + '02'.repeat(300) + '0000');
  });

  it('9100 status updates: keepalive events and NFCCTAP_GETRESPONSE 80 11 00 00 00 polls', async () => {
    const ch = new ScriptedChannel((_a, n) => (n === 2 ? hex('019100') : n === 3 ? hex('029100') : n === 4 ? hex('9100') : hex('009000')));
    const t = await CtapNfcTransport.open(ch);
    const seen: CtapKeepaliveStatus[] = [];
    assert.deepEqual(await t.cbor(hex('01'), { onKeepalive: (s) => seen.push(s) }), hex('00'));
    assert.deepEqual(seen, ['processing', 'user-presence-needed']);
    assert.deepEqual(ch.sent.slice(2), ['8011000000', '8011000000', '8011000000']);
  });

  it('an error status word: nfc_status with the SW; a chained block refused: nfc_status', async () => {
    const t1 = await CtapNfcTransport.open(new ScriptedChannel(() => hex('6a80')));
    await assert.rejects(t1.cbor(hex('04')), isCode('nfc_status', 0x6a80));
    const t2 = await CtapNfcTransport.open(new ScriptedChannel(() => hex('6700')));
    await assert.rejects(t2.cbor(Buffer.alloc(300)), isCode('nfc_status', 0x6700));
  });

  it('a response without a status word, or an empty answer: invalid_frame', async () => {
    const t1 = await CtapNfcTransport.open(new ScriptedChannel(() => hex('90')));
    await assert.rejects(t1.cbor(hex('04')), isCode('invalid_frame'));
    const t2 = await CtapNfcTransport.open(new ScriptedChannel(() => hex('9000')));
    await assert.rejects(t2.cbor(hex('04')), isCode('invalid_frame'));
  });

  it('status updates forever: timeout within the budget; the next request re-selects first', async () => {
    let stuck = true;
    const ch = new ScriptedChannel(() => (stuck ? hex('019100') : hex('009000')));
    const t = await CtapNfcTransport.open(ch);
    await assert.rejects(t.cbor(hex('01'), { timeoutMs: 40 }), isCode('timeout'));
    stuck = false;
    const n = ch.sent.length;
    assert.deepEqual(await t.cbor(hex('04')), hex('00'));
    assert.deepEqual(ch.sent.slice(n), [SELECT, '801080000104' + '00']);
  });

  it('card removed during a command (PC/SC card_removed): device_removed, and it stays so', async () => {
    const t = await CtapNfcTransport.open(new ScriptedChannel(() => { throw new PcscError('card_removed', 'pulled'); }));
    await assert.rejects(t.cbor(hex('04')), isCode('device_removed'));
    await assert.rejects(t.cbor(hex('04')), isCode('device_removed'));
  });

  it('SELECT refused, or answered with an unknown version: nfc_select_failed', async () => {
    const refuse: CardChannel = { readerName: 'r', atr: Buffer.alloc(0), connected: true, transmit: async () => hex('6a82') };
    await assert.rejects(CtapNfcTransport.open(refuse), isCode('nfc_select_failed', 0x6a82));
    const odd: CardChannel = { readerName: 'r', atr: Buffer.alloc(0), connected: true, transmit: async () => Buffer.concat([Buffer.from('HELLO'), hex('9000')]) };
    await assert.rejects(CtapNfcTransport.open(odd), isCode('nfc_select_failed'));
    const u2f: CardChannel = { readerName: 'r', atr: Buffer.alloc(0), connected: true, transmit: async () => Buffer.concat([Buffer.from('U2F_V2'), hex('9000')]) };
    assert.equal((await CtapNfcTransport.open(u2f)).version, 'U2F_V2');
  });

  it('messages over 65535 bytes: message_too_long; after close: closed', async () => {
    const t = await CtapNfcTransport.open(new ScriptedChannel(() => hex('009000')));
    await assert.rejects(t.cbor(Buffer.alloc(65536)), isCode('message_too_long'));
    await t.close();
    await assert.rejects(t.cbor(hex('04')), isCode('closed'));
  });
});
