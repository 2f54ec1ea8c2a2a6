import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import {
  DEFAULT_HOLDER,
  SUBJECT_OID,
  TEST_INTERMEDIATE_CN,
  TEST_ROOT_CN,
  getSharedImpostorTestPki,
  getSharedTestPki,
  type CardCertificate,
  type TestPki,
  x509,
} from './test-pki.js';

function fields(der: Buffer, oid: string): string[] {
  return new x509.X509Certificate(der).subjectName.getField(oid);
}

describe('test PKI', () => {
  let pki: TestPki;
  let card: CardCertificate;

  before(async () => {
    pki = await getSharedTestPki();
    card = await pki.issueCardCertificate();
  });

  it('memoises one hierarchy per process', async () => {
    assert.equal(await getSharedTestPki(), pki);
  });

  it('builds root → intermediate → card, each verifying with its issuer key', () => {
    assert.ok(pki.root.certificate.verify(pki.root.publicKey), 'root is self-signed');
    assert.ok(pki.intermediate.certificate.verify(pki.root.publicKey));
    assert.ok(card.certificate.verify(pki.intermediate.publicKey));
    assert.ok(!card.certificate.verify(pki.root.publicKey), 'card is not signed by the root');
    assert.ok(pki.intermediate.certificate.checkIssued(pki.root.certificate));
    assert.ok(card.certificate.checkIssued(pki.intermediate.certificate));
    assert.ok(pki.root.certificate.ca);
    assert.ok(pki.intermediate.certificate.ca);
    assert.ok(!card.certificate.ca);
  });

  it('names the CAs after the health PKI with a TEST prefix', () => {
    assert.deepEqual(fields(pki.root.der, SUBJECT_OID.commonName), [TEST_ROOT_CN]);
    assert.deepEqual(fields(pki.intermediate.der, SUBJECT_OID.commonName), [TEST_INTERMEDIATE_CN]);
    assert.match(pki.caBundlePem, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it('puts the documented subject fields in the card certificate', () => {
    assert.deepEqual(fields(card.der, SUBJECT_OID.serialNumber), ['810001234567']);
    assert.deepEqual(fields(card.der, SUBJECT_OID.commonName), ['810001234567']);
    assert.deepEqual(fields(card.der, SUBJECT_OID.givenName), [DEFAULT_HOLDER.givenName]);
    assert.deepEqual(fields(card.der, SUBJECT_OID.surname), [DEFAULT_HOLDER.surname]);
    assert.deepEqual(fields(card.der, SUBJECT_OID.title), ['Médecin']);
    assert.deepEqual(fields(card.der, SUBJECT_OID.country), ['FR']);
    assert.equal(card.holder.rpps, '10001234567');
    assert.equal(card.holder.nationalId, '810001234567');
    // Node's own parser sees the same thing (OpenSSL short names).
    assert.match(card.certificate.subject, /^serialNumber=810001234567$/m);
    assert.match(card.certificate.subject, /^GN=JEAN$/m);
    assert.match(card.certificate.subject, /^SN=MARTIN$/m);
    assert.match(card.certificate.subject, /^title=Médecin$/m);
  });

  it('encodes serialNumber as PrintableString (DER tag 0x13)', () => {
    // OID 2.5.4.5 = 06 03 55 04 05, then the string value.
    const at = card.der.indexOf(Buffer.from('0603550405', 'hex'));
    assert.ok(at > 0);
    assert.equal(card.der[at + 5], 0x13);
  });

  it('gives the card an RSA-2048 digitalSignature key with key identifiers', () => {
    const cert = new x509.X509Certificate(card.der);
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    assert.ok(ku);
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(ku.critical, true);
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    assert.ok(bc);
    assert.equal(bc.ca, false);
    const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
    const issuerSki = new x509.X509Certificate(pki.intermediate.der).getExtension(x509.SubjectKeyIdentifierExtension);
    assert.ok(aki?.keyId && issuerSki);
    assert.equal(aki.keyId, issuerSki.keyId);
    assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension));
    assert.equal(card.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  it('returns a private key matching the certificate public key', () => {
    const message = Buffer.from('challenge');
    const signature = nodeCrypto.sign('sha256', message, card.privateKey);
    assert.ok(nodeCrypto.verify('sha256', message, card.certificate.publicKey, signature));
  });

  it('issues an expired certificate on request, still correctly signed', async () => {
    const expired = await pki.issueCardCertificate({
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    });
    assert.ok(new Date(expired.certificate.validTo).getTime() < Date.now());
    assert.equal(new Date(expired.certificate.validFrom).toISOString(), '2020-01-01T00:00:00.000Z');
    assert.ok(expired.certificate.verify(pki.intermediate.publicKey));
  });

  it('takes holder fields and a custom identifier', async () => {
    const other = await pki.issueCardCertificate({ rpps: '10009876543', givenName: 'Zoé', surname: "D'ARC", profession: 'Infirmier' });
    assert.deepEqual(fields(other.der, SUBJECT_OID.serialNumber), ['810009876543']);
    assert.deepEqual(fields(other.der, SUBJECT_OID.givenName), ['Zoé']);
    assert.deepEqual(fields(other.der, SUBJECT_OID.surname), ["D'ARC"]);
    const adeli = await pki.issueCardCertificate({ nationalId: '0751234567' });
    assert.deepEqual(fields(adeli.der, SUBJECT_OID.serialNumber), ['0751234567']);
    await assert.rejects(pki.issueCardCertificate({ rpps: '123' }), /11 digits/);
  });

  it('issues from an impostor root with the same names but other keys', async () => {
    const impostor = await getSharedImpostorTestPki();
    assert.notEqual(impostor, pki);
    const fake = await impostor.issueCardCertificate();
    assert.equal(fake.certificate.issuer, card.certificate.issuer, 'same issuer name');
    assert.ok(fake.certificate.verify(impostor.intermediate.publicKey));
    assert.ok(!fake.certificate.verify(pki.intermediate.publicKey), 'must not verify with the trusted key');
  });

  it('can issue directly from the root', async () => {
    const direct = await pki.issueCardCertificate({ issuer: pki.root });
    assert.ok(direct.certificate.verify(pki.root.publicKey));
  });
});
