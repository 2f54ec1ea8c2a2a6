/**
 * EV2 secure messaging replayed from the published AN12343 GetCardUID example (§ "GetCardUID"
 * in full mode), and EV1/EV2 channel properties that the simulator round trips cannot show.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { aesCbcEncrypt, aesCmac, aesCmacWithIv, crc32DesfireBytes } from '../../../src/main/protocols/crypto/index.js';
import { DesfireError, Ev1SecureChannel, Ev2SecureChannel, padIso9797M2, unpadIso9797M2 } from '../../../src/main/protocols/desfire/index.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('EV2 secure messaging (AN12343 GetCardUID example)', () => {
  const enc = (): Buffer => h('C1D7BD9F60034D8432F9AF3403D573D0');
  const mac = (): Buffer => h('FD9E26C9766F07C1D07106C0F8F3671F');
  const TI = h('569D4B24');

  it('MACs the command: CMAC over 51 ‖ CmdCtr 0000 ‖ TI, even bytes', () => {
    assert.equal(aesCmac(mac(), h('510000569D4B24')).toString('hex').toUpperCase(), 'ED5CB7A932EF8D7C2E91B42A1139F11B');
    const ch = new Ev2SecureChannel(enc(), mac(), TI);
    assert.equal(ch.protectCommand(0x51, Buffer.alloc(0), Buffer.alloc(0), 'full').toString('hex').toUpperCase(), '5CA9EF7C912A391B');
  });

  it('verifies the response MAC with CmdCtr+1, deciphers with IVr and strips the 80 padding', () => {
    const ch = new Ev2SecureChannel(enc(), mac(), TI);
    ch.protectCommand(0x51, Buffer.alloc(0), Buffer.alloc(0), 'full');
    const uid = ch.unprotectResponse(h('CDFFBF6D34231DA2789DA9D3AB15D560 CE75E39EDBE94C2F'), 'full', { expectedLength: 7 });
    assert.equal(uid.toString('hex').toUpperCase(), '04DE5F1EACC040');
    assert.equal(ch.commandCounter, 1);
  });

  it('refuses the same response replayed at the next counter value', () => {
    const ch = new Ev2SecureChannel(enc(), mac(), TI);
    ch.protectCommand(0x51, Buffer.alloc(0), Buffer.alloc(0), 'full');
    const answer = h('CDFFBF6D34231DA2789DA9D3AB15D560 CE75E39EDBE94C2F');
    ch.unprotectResponse(answer, 'full', { expectedLength: 7 });
    ch.protectCommand(0x51, Buffer.alloc(0), Buffer.alloc(0), 'full');
    assert.throws(() => ch.unprotectResponse(answer, 'full', { expectedLength: 7 }), (e: unknown) => e instanceof DesfireError && e.code === 'integrity');
  });

  it('refuses a UID of the wrong length inside a valid MAC as card_data_invalid', () => {
    const ch = new Ev2SecureChannel(enc(), mac(), TI);
    ch.protectCommand(0x51, Buffer.alloc(0), Buffer.alloc(0), 'full');
    assert.throws(
      () => ch.unprotectResponse(h('CDFFBF6D34231DA2789DA9D3AB15D560 CE75E39EDBE94C2F'), 'full', { expectedLength: 10 }),
      (e: unknown) => e instanceof DesfireError && e.code === 'card_data_invalid',
    );
  });
});

describe('padding and EV1 chaining', () => {
  it('ISO/IEC 9797-1 method 2 always adds 1..16 bytes', () => {
    assert.equal(padIso9797M2(Buffer.alloc(0)).toString('hex'), '80' + '00'.repeat(15));
    assert.equal(padIso9797M2(Buffer.alloc(16, 1)).length, 32);
    assert.equal(padIso9797M2(Buffer.alloc(15, 1)).toString('hex'), '01'.repeat(15) + '80');
    assert.deepEqual(unpadIso9797M2(padIso9797M2(Buffer.from('abc'))), Buffer.from('abc'));
  });

  it('EV1: the CMAC IV chains, so the same response verified twice fails the second time', () => {
    const key = h('000102030405060708090A0B0C0D0E0F');
    const reader = new Ev1SecureChannel(Buffer.from(key));
    // GetKeyVersion(0) in plain: the command's CMAC only moves the IV.
    assert.equal(reader.protectCommand(0x64, Buffer.of(0), Buffer.alloc(0), 'plain').toString('hex'), '00');
    // The card's answer 05 carries CMAC(K, IV = CMAC(K, 0, 64 00), 05 00), first 8 bytes.
    const iv = aesCmacWithIv(key, Buffer.alloc(16), h('6400'));
    const answer = Buffer.of(0x05);
    const tag = aesCmacWithIv(key, iv, h('0500')).subarray(0, 8);
    assert.deepEqual(reader.unprotectResponse(Buffer.concat([answer, tag]), 'plain'), answer);
    assert.throws(() => reader.unprotectResponse(Buffer.concat([answer, tag]), 'plain'), (e: unknown) => e instanceof DesfireError && e.code === 'integrity');
  });

  it('EV1: an enciphered answer padded 00.. or 80 00.. after its CRC is accepted; other padding is integrity', () => {
    const key = h('000102030405060708090A0B0C0D0E0F');
    const uid = h('04DE5F1EACC040');
    for (const [pad, ok] of [['00', true], ['80', true], ['01', false]] as const) {
      const reader = new Ev1SecureChannel(Buffer.from(key));
      reader.protectCommand(0x51, Buffer.alloc(0), Buffer.alloc(0), 'full');
      const iv = aesCmacWithIv(key, Buffer.alloc(16), h('51'));
      const plain = Buffer.alloc(16);
      Buffer.concat([uid, crc32DesfireBytes(uid, h('00')), h(pad)]).copy(plain);
      const answer = aesCbcEncrypt(key, iv, plain);
      if (ok) assert.deepEqual(reader.unprotectResponse(answer, 'full', { expectedLength: 7 }), uid);
      else assert.throws(() => reader.unprotectResponse(answer, 'full', { expectedLength: 7 }), (e: unknown) => e instanceof DesfireError && e.code === 'integrity');
    }
  });

  it('EV1: without a known length, the CRC position is found (data ending in zeros included)', () => {
    const key = h('000102030405060708090A0B0C0D0E0F');
    for (const data of [h('01'), h('0102030405060708090A0B'), h('AA000000'), Buffer.alloc(12), Buffer.alloc(28, 0x33)]) {
      const reader = new Ev1SecureChannel(Buffer.from(key));
      reader.protectCommand(0xbd, Buffer.alloc(7), Buffer.alloc(0), 'plain');
      const iv = aesCmacWithIv(key, Buffer.alloc(16), Buffer.concat([h('BD'), Buffer.alloc(7)]));
      const joined = Buffer.concat([data, crc32DesfireBytes(data, h('00'))]);
      const plain = Buffer.alloc(Math.ceil(joined.length / 16) * 16);
      joined.copy(plain);
      const out = reader.unprotectResponse(aesCbcEncrypt(key, iv, plain), 'full');
      // A CRC that happens to verify at a shorter length than the real one is possible only when
      // the data ends in zeros; the longest verifying candidate is tried first.
      assert.deepEqual(out, data);
    }
  });

  it('EV2: the command counter is bounded; a session near 0xFFFF asks for a new authentication', () => {
    const ch = new Ev2SecureChannel(Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(4));
    for (let i = 0; i < 0xffff; i++) {
      ch.protectCommand(0x6a, Buffer.alloc(0), Buffer.alloc(0), 'plain');
      ch.unprotectResponse(Buffer.alloc(0), 'plain');
    }
    assert.throws(() => ch.protectCommand(0x6a, Buffer.alloc(0), Buffer.alloc(0), 'plain'), (e: unknown) => e instanceof DesfireError && e.code === 'not_authenticated');
  });
});
