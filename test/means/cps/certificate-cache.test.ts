/**
 * The parsed-certificate cache saves the parsing only: a cached certificate is still checked
 * against the clock and the trust anchors at every login.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkedCertificates } from '../../../src/main/means/cps/certificate-cache.js';
import { cpsLogin } from '../../../src/main/means/cps/cps-login.js';
import { CpsError } from '../../../src/main/means/cps/cps-error.js';
import { TrustStore } from '../../../src/main/means/cps/trust-store.js';
import { CpsCard } from '../../testbed/cards/cps-card.js';
import { getSharedTestPki, type CardCertificate, type TestPki } from '../../testbed/pki/test-pki.js';
import { SimulatedChannel } from './simulated-channel.js';

describe('parsed-certificate cache', () => {
  let pki: TestPki;
  let cert: CardCertificate;
  let trust: TrustStore;
  before(async () => {
    pki = await getSharedTestPki();
    cert = await pki.issueCardCertificate();
    trust = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
  });

  it('returns the same parsed certificate for the same DER and store, a fresh one for another store', () => {
    const a = checkedCertificates.parse(trust, cert.der);
    const b = checkedCertificates.parse(trust, Buffer.from(cert.der));
    assert.equal(a, b);
    const other = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
    assert.notEqual(checkedCertificates.parse(other, cert.der), a);
  });

  it('still refuses a cached certificate once it has expired (dates are checked at every login)', async () => {
    const login = (now: Date) =>
      cpsLogin(new SimulatedChannel(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' })), {
        trust,
        now: () => now,
        pin: async () => Buffer.from('1234'),
      });
    const ok = await login(new Date());
    assert.deepEqual(ok.event.factors, ['possession', 'knowledge']);
    const later = new Date(Date.parse(ok.certificate.notAfter) + 1000);
    await assert.rejects(login(later), (e: unknown) => e instanceof CpsError && e.code === 'untrusted_certificate' && e.reason === 'expired');
  });

  it('still refuses a cached certificate when the trust store no longer holds its issuer', async () => {
    checkedCertificates.parse(trust, cert.der);
    const rootOnly = TrustStore.fromCertificates([pki.root.certificate]);
    checkedCertificates.parse(rootOnly, cert.der);
    await assert.rejects(
      cpsLogin(new SimulatedChannel(new CpsCard({ certificateDer: cert.der, privateKey: cert.privateKey, pin: '1234' })), {
        trust: rootOnly,
        pin: async () => Buffer.from('1234'),
      }),
      (e: unknown) => e instanceof CpsError && e.reason === 'unknown_issuer',
    );
  });
});
