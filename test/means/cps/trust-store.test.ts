/**
 * Trust anchors for card certificates (src/main/means/cps/trust-store.ts): loading PEM files
 * and walking a card certificate up to a configured self-signed root.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sign, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpsError, type CertificateRejection } from '../../../src/main/means/cps/cps-error.js';
import { TrustStore, TrustStoreError } from '../../../src/main/means/cps/trust-store.js';
import {
  createTestPki,
  getSharedImpostorTestPki,
  getSharedTestPki,
  x509,
  type CardCertificate,
  type TestCertificateAuthority,
  type TestPki,
} from '../../testbed/pki/test-pki.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function rejected(reason: CertificateRejection): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CpsError, `expected CpsError, got ${String(e)}`);
    assert.equal(e.code, 'untrusted_certificate');
    assert.equal(e.reason, reason, e.message);
    return true;
  };
}

function storeError(file: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof TrustStoreError, `expected TrustStoreError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
    return true;
  };
}

/** A card certificate (CA=false) dressed up as a CA, so the PKI helper issues under it. */
async function endEntityAsAuthority(card: CardCertificate): Promise<TestCertificateAuthority> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', card.privateKey.export({ format: 'der', type: 'pkcs8' }), algorithm, true, ['sign']);
  const webPublicKey = await webcrypto.subtle.importKey('spki', card.publicKey.export({ format: 'der', type: 'spki' }), algorithm, true, ['verify']);
  return { ...card, commonName: card.holder.nationalId, signingKey, webPublicKey };
}

/** `der` with one byte changed inside the TBS, re-signed by `issuer` so the signature still verifies. */
function resignedWithByte(der: Buffer, at: number, value: number, issuer: TestCertificateAuthority): Buffer {
  const m = Buffer.from(der);
  assert.equal(m.readUInt16BE(0), 0x3082);
  assert.equal(m.readUInt16BE(4), 0x3082);
  const tbsEnd = 8 + m.readUInt16BE(6);
  assert.ok(at > 8 && at < tbsEnd, 'the byte is inside the TBS');
  m[at] = value;
  const signature = sign('sha256', m.subarray(4, tbsEnd), issuer.privateKey);
  assert.equal(signature.length, 256);
  m.set(signature, m.length - 256);
  return m;
}

describe('TrustStore', () => {
  let pki: TestPki;
  let leaf: X509Certificate;
  let dir: string;

  before(async () => {
    pki = await getSharedTestPki();
    leaf = (await pki.issueCardCertificate()).certificate;
    dir = mkdtempSync(join(tmpdir(), 'tessera-trust-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  describe('verify', () => {
    it('returns the path intermediate → root for a card certificate of the configured hierarchy', () => {
      const store = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
      const path = store.verify(leaf, new Date());
      assert.deepEqual(
        path.map((c) => c.fingerprint256),
        [pki.intermediate.certificate.fingerprint256, pki.root.certificate.fingerprint256],
      );
    });

    it('an empty store → no_trust_anchor', () => {
      assert.throws(() => TrustStore.fromCertificates([]).verify(leaf, new Date()), rejected('no_trust_anchor'));
    });

    it('only the intermediate configured (no root) → unknown_issuer', () => {
      assert.throws(() => TrustStore.fromCertificates([pki.intermediate.certificate]).verify(leaf, new Date()), rejected('unknown_issuer'));
    });

    it('only the root configured (intermediate missing) → unknown_issuer', () => {
      assert.throws(() => TrustStore.fromCertificates([pki.root.certificate]).verify(leaf, new Date()), rejected('unknown_issuer'));
    });

    it('a certificate from an impostor hierarchy with the same CA names → bad_chain_signature', async () => {
      const impostor = await (await getSharedImpostorTestPki()).issueCardCertificate();
      const store = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
      assert.equal(impostor.certificate.issuer, leaf.issuer, 'same issuer name');
      assert.throws(() => store.verify(impostor.certificate, new Date()), rejected('bad_chain_signature'));
    });

    it('an issuer that is an end-entity certificate (CA=false) → issuer_not_ca', async () => {
      const endEntity = await pki.issueCardCertificate({ rpps: '10009999999' });
      const fakeCa = await endEntityAsAuthority(endEntity);
      const underEndEntity = await pki.issueCardCertificate({ issuer: fakeCa });
      assert.equal(underEndEntity.certificate.verify(endEntity.publicKey), true, 'precondition: signed by the end entity');
      const store = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate, endEntity.certificate]);
      assert.throws(() => store.verify(underEndEntity.certificate, new Date()), rejected('issuer_not_ca'));
    });

    it('the card certificate checked at a time outside its validity → expired / not_yet_valid', () => {
      const store = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
      assert.throws(() => store.verify(leaf, new Date(Date.now() + 4 * 365 * DAY_MS)), rejected('expired'));
      assert.throws(() => store.verify(leaf, new Date(Date.now() - 2 * DAY_MS)), rejected('not_yet_valid'));
    });

    it('an expired intermediate CA → expired (even though the card certificate is in date)', async () => {
      const old = await createTestPki({ notBefore: new Date(Date.now() - 3 * 365 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) });
      const card = await old.issueCardCertificate();
      const store = TrustStore.fromCertificates([old.root.certificate, old.intermediate.certificate]);
      assert.throws(() => store.verify(card.certificate, new Date()), rejected('expired'));
    });

    it('an intermediate CA not valid yet → not_yet_valid', async () => {
      const future = await createTestPki({ notBefore: new Date(Date.now() + 2 * DAY_MS) });
      const card = await future.issueCardCertificate({ notBefore: new Date(Date.now() - DAY_MS) });
      const store = TrustStore.fromCertificates([future.root.certificate, future.intermediate.certificate]);
      assert.throws(() => store.verify(card.certificate, new Date()), rejected('not_yet_valid'));
    });

    it('two CAs that certify each other, with no self-signed root → chain_too_long', async () => {
      const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
      const a = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
      const b = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
      const notBefore = new Date(Date.now() - DAY_MS);
      const notAfter = new Date(Date.now() + 30 * DAY_MS);
      const ca = (subject: string, issuer: string, publicKey: webcrypto.CryptoKey, signingKey: webcrypto.CryptoKey): Promise<InstanceType<typeof x509.X509Certificate>> =>
        x509.X509CertificateGenerator.create({
          serialNumber: '01',
          subject,
          issuer,
          notBefore,
          notAfter,
          publicKey,
          signingKey,
          signingAlgorithm: alg,
          extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
        });
      const caA = await ca('CN=LOOP A', 'CN=LOOP B', a.publicKey, b.privateKey);
      const caB = await ca('CN=LOOP B', 'CN=LOOP A', b.publicKey, a.privateKey);
      const card = await x509.X509CertificateGenerator.create({
        serialNumber: '02', subject: 'CN=LOOP CARD', issuer: 'CN=LOOP A', notBefore, notAfter, publicKey: b.publicKey, signingKey: a.privateKey, signingAlgorithm: alg,
      });
      const node = (c: InstanceType<typeof x509.X509Certificate>): X509Certificate => new X509Certificate(Buffer.from(c.rawData));
      const store = TrustStore.fromCertificates([node(caA), node(caB)]);
      assert.throws(() => store.verify(node(card), new Date()), rejected('chain_too_long'));
    });

    it('bug: a CA-signed card certificate whose validity OpenSSL cannot read ("Bad time value") passes the date check', async () => {
      const card = await pki.issueCardCertificate();
      const validity = card.der.indexOf(Buffer.from('301e170d', 'hex'));
      assert.ok(validity > 0, 'validity of two UTCTimes found');
      const bad = new X509Certificate(resignedWithByte(card.der, validity + 4, 0x00, pki.intermediate));
      assert.ok(Number.isNaN(new Date(bad.validFrom).getTime()), `precondition: validFrom unreadable (${bad.validFrom})`);
      assert.equal(bad.verify(pki.intermediate.publicKey), true, 'precondition: still signed by the trusted intermediate');
      const store = TrustStore.fromCertificates([pki.root.certificate, pki.intermediate.certificate]);
      assert.throws(() => store.verify(bad, new Date()), (e: unknown) => e instanceof CpsError && e.code === 'untrusted_certificate');
    });
  });

  describe('fromPemFiles', () => {
    it('loads the CA bundle (root + intermediate) from one file', () => {
      const store = TrustStore.fromPemFiles([file('bundle.pem', pki.caBundlePem)]);
      assert.equal(store.certificates.length, 2);
      assert.equal(store.verify(leaf, new Date()).length, 2);
    });

    it('loads one file per CA, with text around the blocks', () => {
      const root = file('root.pem', `Subject: ${pki.root.commonName}\n${pki.root.pem}`);
      const inter = file('inter.pem', `# issuing CA\r\n${pki.intermediate.pem.replace(/\n/g, '\r\n')}`);
      const store = TrustStore.fromPemFiles([root, inter]);
      assert.equal(store.verify(leaf, new Date()).length, 2);
    });

    it('a missing file → TrustStoreError naming it', () => {
      const missing = join(dir, 'does-not-exist.pem');
      assert.throws(() => TrustStore.fromPemFiles([missing]), storeError(missing));
    });

    it('a file without any certificate → TrustStoreError naming it', () => {
      const empty = file('empty.pem', '');
      assert.throws(() => TrustStore.fromPemFiles([empty]), storeError(empty));
      const key = file('key.pem', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n');
      assert.throws(() => TrustStore.fromPemFiles([key]), storeError(key));
    });

    it('a garbage CERTIFICATE block → TrustStoreError naming the file (the good files before it do not hide it)', () => {
      const good = file('good.pem', pki.caBundlePem);
      const garbage = file('garbage.pem', `${pki.root.pem}-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`);
      assert.throws(() => TrustStore.fromPemFiles([good, garbage]), storeError(garbage));
    });

    it('bug: a bundle whose last CERTIFICATE block is cut off (no END line) loads without error, silently dropping that CA', () => {
      const cut = pki.intermediate.pem.slice(0, pki.intermediate.pem.indexOf('-----END'));
      const truncated = file('truncated.pem', pki.root.pem + cut);
      assert.throws(() => TrustStore.fromPemFiles([truncated]), storeError(truncated));
    });
  });
});
