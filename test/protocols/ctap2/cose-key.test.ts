/**
 * COSE keys: the P-256 key of RFC 8152 Appendix C.7.1 ("meriadoc.brandybuck@buckland.example")
 * and the Ed25519 key and signature of RFC 8032 §7.1 test 1 (the EdDSA of RFC 9053 §2.2).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { decodeCbor, encodeCbor, parseCoseKey, verifyCoseSignature, asMap, Ctap2Error, type CborMap } from '../../../src/main/protocols/ctap2/index.js';

const h = (s: string): Buffer => Buffer.from(s, 'hex');
const X = h('65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d');
const Y = h('1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c');
const D = h('aff907c99f9ad3aae6c4cdf21122bce2bd68b5283e6907154ad911840fa208cf');
const ED_PUB = h('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const ED_SIG_EMPTY = h('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');

const ec2 = (x = X, y = Y, crv = 1, alg = -7): CborMap => new Map<number, number | Buffer>([[1, 2], [3, alg], [-1, crv], [-2, x], [-3, y]]);

describe('COSE keys', () => {
  it('EC2 P-256 (RFC 8152 C.7.1) encodes canonically and verifies ES256 signatures made with its private key', () => {
    const enc = encodeCbor(ec2());
    assert.equal(enc.toString('hex'), `a5010203262001215820${X.toString('hex')}225820${Y.toString('hex')}`);
    const key = parseCoseKey(asMap(decodeCbor(enc), 'k'));
    assert.equal(key.alg, -7);
    const priv = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: X.toString('base64url'), y: Y.toString('base64url'), d: D.toString('base64url') }, format: 'jwk' });
    const msg = Buffer.from('authenticatorData ‖ clientDataHash');
    const sig = sign('sha256', msg, priv);
    assert.equal(verifyCoseSignature(-7, key.key, msg, sig), true);
    assert.equal(verifyCoseSignature(-7, key.key, Buffer.from('other'), sig), false);
    assert.equal(verifyCoseSignature(-7, key.key, msg, Buffer.from('not DER')), false);
  });

  it('OKP Ed25519 (RFC 8032 test 1) verifies the published signature of the empty message', () => {
    const key = parseCoseKey(new Map<number, number | Buffer>([[1, 1], [3, -8], [-1, 6], [-2, ED_PUB]]));
    assert.equal(key.alg, -8);
    assert.equal(verifyCoseSignature(-8, key.key, Buffer.alloc(0), ED_SIG_EMPTY), true);
    const flipped = Buffer.from(ED_SIG_EMPTY);
    flipped[0]! ^= 1;
    assert.equal(verifyCoseSignature(-8, key.key, Buffer.alloc(0), flipped), false);
  });

  it('refuses other curves, algorithms and key types, and points off the curve', () => {
    const code = (m: CborMap): string => {
      try {
        parseCoseKey(m);
      } catch (e) {
        assert.ok(e instanceof Ctap2Error);
        return e.code;
      }
      return 'accepted';
    };
    assert.equal(code(ec2(X, Y, 2)), 'unsupported_cose_key');
    assert.equal(code(ec2(X, Y, 1, -35)), 'unsupported_cose_key');
    assert.equal(code(new Map<number, number | Buffer>([[1, 3], [3, -257], [-1, Buffer.alloc(256)], [-2, h('010001')]])), 'unsupported_cose_key');
    assert.equal(code(ec2(X, Buffer.from(X))), 'invalid_cose_key');
    assert.equal(code(ec2(X.subarray(1), Y)), 'invalid_cose_key');
    assert.equal(code(new Map<number, number | Buffer>([[3, -7]])), 'invalid_cose_key');
    assert.equal(code(new Map<number, number | Buffer>([[1, 1], [3, -8], [-1, 4], [-2, ED_PUB]])), 'unsupported_cose_key');
  });
});
