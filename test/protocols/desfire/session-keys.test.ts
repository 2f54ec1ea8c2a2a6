import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ev1SessionKey, ev2SessionKeys, ev2SessionVector, rotateLeft, rotateRight } from '../../../src/main/protocols/desfire/index.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');

describe('session key derivations', () => {
  // AN12343 (and docs/TESTBED.md): zero key, RndA/RndB below.
  const rndA = h('B04D0787C93EE0CC8CACC8E86F16C6FE');
  const rndB = h('FA659AD0DCA738DD65DC7DC38612AD81');

  it('EV2: SesAuthENC and SesAuthMAC match the AN12343 vector', () => {
    const keys = ev2SessionKeys(Buffer.alloc(16), rndA, rndB);
    assert.equal(keys.enc.toString('hex').toUpperCase(), '63DC07286289A7A6C0334CA31C314A04');
    assert.equal(keys.mac.toString('hex').toUpperCase(), '774F26743ECE6AF5033B6AE8522946F6');
  });

  it('EV2: the session vectors have the datasheet layout', () => {
    const sv1 = ev2SessionVector('enc', rndA, rndB);
    // A55A 0001 0080 ‖ B04D ‖ (0787C93EE0CC ⊕ FA659AD0DCA7) ‖ 38DD65DC7DC38612AD81 ‖ 8CACC8E86F16C6FE
    assert.equal(sv1.toString('hex').toUpperCase(), 'A55A00010080B04DFDE253EE3C6B38DD65DC7DC38612AD818CACC8E86F16C6FE');
    assert.equal(ev2SessionVector('mac', rndA, rndB).subarray(0, 2).toString('hex'), '5aa5');
  });

  it('EV1: RndA[0..3] ‖ RndB[0..3] ‖ RndA[12..15] ‖ RndB[12..15]', () => {
    assert.equal(ev1SessionKey(rndA, rndB).toString('hex').toUpperCase(), 'B04D0787FA659AD06F16C6FE8612AD81');
  });

  it('rotates by one byte both ways', () => {
    assert.equal(rotateLeft(h('00112233')).toString('hex'), '11223300');
    assert.equal(rotateRight(h('11223300')).toString('hex'), '00112233');
  });
});
