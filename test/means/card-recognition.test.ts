/**
 * Card recognition (src/main/means/card-recognition.ts) against in-memory channels: ATR first,
 * then harmless probes; broken cards are `unknown`, transport failures propagate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recognizeCard } from '../../src/main/means/card-recognition.js';
import type { CardChannel } from '../../src/main/transports/card-channel.js';
import { PcscError } from '../../src/main/transports/pcsc/pcsc-error.js';

/** docs/cps-profile.md §1. */
const ATR = {
  cps3: '3BAC00402A001225006480000310009000',
  /** The CPS3 ATR with every byte the CPS3 mask ignores changed. */
  cps3Masked: '3B11223344001225006480776655009000',
  cps4: '3B9B188001001225006480040100009044',
  cpxCl: '3B8F80010031B86404B0ECC1739401808290000E',
  /** A contactless FIDO authenticator through a PC/SC reader (PC/SC part 3 pseudo-ATR). */
  other: '3B8F8001804F0CA0000003060300030000000068',
} as const;

const SELECT_CPX_IAS = '00A404040DE828BD080F8025000001FF001000';
const SELECT_FIDO = '00A4040008A0000006472F000100';
const DESFIRE_GET_VERSION = '9060000000';

/** Answers each command from a table (default 6D00) and records what was sent. */
class TableChannel implements CardChannel {
  readonly readerName = 'Table Reader 00 00';
  readonly connected = true;
  readonly atr: Buffer;
  readonly sent: string[] = [];

  constructor(
    atr: string,
    private readonly table: Readonly<Record<string, string>> = {},
    private readonly fallback = '6D00',
  ) {
    this.atr = Buffer.from(atr, 'hex');
  }

  async transmit(apdu: Buffer): Promise<Buffer> {
    const cmd = apdu.toString('hex').toUpperCase();
    this.sent.push(cmd);
    return Buffer.from(this.table[cmd] ?? this.fallback, 'hex');
  }
}

describe('recognizeCard', () => {
  it('CPS3 ATR + SELECT CPX IAS answering 9000 → cps, usable', async () => {
    const ch = new TableChannel(ATR.cps3, { [SELECT_CPX_IAS]: '6216820138840DE828BD080F8025000001FF00108A01059000' });
    const r = await recognizeCard(ch);
    assert.deepEqual(r, { type: 'cps', atr: ATR.cps3, detail: 'CPS3 contact', usable: true });
    assert.deepEqual(ch.sent, [SELECT_CPX_IAS]);
  });

  it('an ATR matching the CPS3 pattern under its mask is probed like the exact one', async () => {
    const ch = new TableChannel(ATR.cps3Masked, { [SELECT_CPX_IAS]: '9000' });
    assert.equal((await recognizeCard(ch)).type, 'cps');
  });

  it('CPS4 ATR + SELECT 9000 → cps', async () => {
    const r = await recognizeCard(new TableChannel(ATR.cps4, { [SELECT_CPX_IAS]: '9000' }));
    assert.equal(r.type, 'cps');
    assert.equal(r.usable, true);
  });

  it('CPS ATR + SELECT answering 6A82 → unknown (no other probe is sent)', async () => {
    const ch = new TableChannel(ATR.cps3, { [SELECT_CPX_IAS]: '6A82' });
    const r = await recognizeCard(ch);
    assert.equal(r.type, 'unknown');
    assert.equal(r.usable, false);
    assert.match(r.detail, /no CPS application/);
    assert.deepEqual(ch.sent, [SELECT_CPX_IAS]);
  });

  it('CPxCL (contactless) ATR → cps, not usable, without any probe', async () => {
    const ch = new TableChannel(ATR.cpxCl);
    const r = await recognizeCard(ch);
    assert.equal(r.type, 'cps');
    assert.equal(r.usable, false);
    assert.match(r.detail, /contactless/);
    assert.deepEqual(ch.sent, []);
  });

  it('FIDO SELECT answering "FIDO_2_0" + 9000 → fido', async () => {
    const ch = new TableChannel(ATR.other, { [SELECT_FIDO]: Buffer.from('FIDO_2_0').toString('hex') + '9000' });
    const r = await recognizeCard(ch);
    assert.deepEqual(r, { type: 'fido', atr: ATR.other, detail: 'FIDO_2_0', usable: true });
    assert.deepEqual(ch.sent, [SELECT_FIDO]);
  });

  it('FIDO SELECT answering "U2F_V2" → fido U2F_V2; any other 9000 answer → fido "FIDO"', async () => {
    assert.equal((await recognizeCard(new TableChannel(ATR.other, { [SELECT_FIDO]: Buffer.from('U2F_V2').toString('hex') + '9000' }))).detail, 'U2F_V2');
    assert.equal((await recognizeCard(new TableChannel(ATR.other, { [SELECT_FIDO]: '9000' }))).detail, 'FIDO');
  });

  it('DESFire GetVersion answering 04 01 01 01 00 18 05 + 91AF → desfire', async () => {
    const ch = new TableChannel(ATR.other, { [SELECT_FIDO]: '6A82', [DESFIRE_GET_VERSION]: '0401010100180591AF' });
    const r = await recognizeCard(ch);
    assert.equal(r.type, 'desfire');
    assert.equal(r.usable, true);
    assert.equal(r.detail, 'DESFire hardware 1.0');
    assert.deepEqual(ch.sent, [SELECT_FIDO, DESFIRE_GET_VERSION]);
  });

  it('GetVersion from another vendor, or too short, or with 9100 → unknown', async () => {
    for (const answer of ['0501010100180591AF', '04010101001891AF', '04010101001805' + '9100']) {
      const r = await recognizeCard(new TableChannel(ATR.other, { [DESFIRE_GET_VERSION]: answer }));
      assert.equal(r.type, 'unknown', answer);
    }
  });

  it('a card answering 6D00 to everything → unknown', async () => {
    const ch = new TableChannel(ATR.other);
    const r = await recognizeCard(ch);
    assert.equal(r.type, 'unknown');
    assert.equal(r.usable, false);
    assert.equal(r.atr, ATR.other);
    assert.deepEqual(ch.sent, [SELECT_FIDO, DESFIRE_GET_VERSION]);
  });

  it('a card answering 1 byte (no status word) → unknown, not an exception', async () => {
    for (const atr of [ATR.other, ATR.cps3]) {
      const r = await recognizeCard(new TableChannel(atr, {}, '90'));
      assert.equal(r.type, 'unknown');
      assert.match(r.detail, /incorrectly/);
    }
  });

  it('a card answering an empty response → unknown', async () => {
    assert.equal((await recognizeCard(new TableChannel(ATR.other, {}, ''))).type, 'unknown');
  });

  it('a transport error (card pulled) propagates instead of being read as "unknown"', async () => {
    for (const atr of [ATR.other, ATR.cps3]) {
      const removed = new PcscError('card_removed', 'SCardTransmit: card removed');
      const ch: CardChannel = {
        readerName: 'Flaky Reader',
        atr: Buffer.from(atr, 'hex'),
        connected: true,
        transmit: () => Promise.reject(removed),
      };
      await assert.rejects(recognizeCard(ch), (e: unknown) => e === removed);
    }
  });

  it('an empty ATR → unknown (mute card), nothing sent', async () => {
    const ch = new TableChannel('');
    const r = await recognizeCard(ch);
    assert.equal(r.type, 'unknown');
    assert.equal(r.atr, '');
    assert.equal(r.usable, false);
    assert.deepEqual(ch.sent, []);
  });
});
