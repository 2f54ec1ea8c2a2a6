/**
 * The card certificate reader (src/main/means/cps/certificate.ts): identity and keyUsage read
 * from the DER (docs/cps-profile.md §5), OID decoding against published encodings, and a fuzz
 * harness: whatever bytes a card hands over, the only exception is a `CpsError`.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { decodeOid, parseCardCertificate } from '../../../src/main/means/cps/certificate.js';
import { CpsError, type CpsErrorCode } from '../../../src/main/means/cps/cps-error.js';
import { DEFAULT_HOLDER, getSharedTestPki, x509, type CardCertificate, type TestPki } from '../../testbed/pki/test-pki.js';

/** Small seeded PRNG (mulberry32) so every fuzz run feeds the same sequence. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isCpsError(code: CpsErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CpsError, `expected CpsError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/** Runs parseCardCertificate; returns a description of the input when it threw anything but a CpsError. */
function nonCpsThrow(input: Buffer, label: string): string | undefined {
  try {
    parseCardCertificate(input);
    return undefined;
  } catch (e) {
    if (e instanceof CpsError) return undefined;
    return `${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

describe('decodeOid', () => {
  const known: ReadonlyArray<readonly [string, string]> = [
    ['550403', '2.5.4.3'], // commonName
    ['550405', '2.5.4.5'], // serialNumber
    ['55040c', '2.5.4.12'], // title
    ['55042a', '2.5.4.42'], // givenName
    ['551d0f', '2.5.29.15'], // keyUsage
    ['2a864886f70d010101', '1.2.840.113549.1.1.1'], // rsaEncryption
    ['2a864886f70d01010b', '1.2.840.113549.1.1.11'], // sha256WithRSAEncryption
    ['608648016503040201', '2.16.840.1.101.3.4.2.1'], // id-sha256
    ['2b0601', '1.3.6.1'],
    ['00', '0.0'],
  ];
  for (const [der, dotted] of known) {
    it(`${der} → ${dotted}`, () => {
      assert.equal(decodeOid(Buffer.from(der, 'hex')), dotted);
    });
  }

  it('an empty OID is card_data_invalid', () => {
    assert.throws(() => decodeOid(Buffer.alloc(0)), isCpsError('card_data_invalid'));
  });

  it('an arc beyond 2^53 is card_data_invalid', () => {
    assert.throws(() => decodeOid(Buffer.from('2a' + 'ff'.repeat(9) + '7f', 'hex')), isCpsError('card_data_invalid'));
  });

  it('bug: a first subidentifier above 127 is misread (X.690 §8.19.5 example {2 999 3} = 88 37 03)', () => {
    assert.equal(decodeOid(Buffer.from('883703', 'hex')), '2.999.3');
  });

  it('bug: an OID whose last byte still has bit 8 set (truncated arc) is accepted instead of card_data_invalid', () => {
    assert.throws(() => decodeOid(Buffer.from('550485', 'hex')), isCpsError('card_data_invalid'));
  });
});

describe('parseCardCertificate', () => {
  let pki: TestPki;
  let cert: CardCertificate;

  before(async () => {
    pki = await getSharedTestPki();
    cert = await pki.issueCardCertificate();
  });

  it('reads the RPPS identity, names and profession from the subject (§5)', () => {
    const parsed = parseCardCertificate(cert.der);
    assert.deepEqual(parsed.holder, {
      id: `rpps:${DEFAULT_HOLDER.rpps}`,
      rpps: DEFAULT_HOLDER.rpps,
      name: 'JEAN MARTIN',
      givenName: 'JEAN',
      surname: 'MARTIN',
      profession: 'Médecin',
    });
    assert.equal(parsed.digitalSignature, true);
    assert.equal(parsed.der, cert.der);
    assert.equal(parsed.x509.fingerprint256, cert.certificate.fingerprint256);
  });

  it('summarises the certificate for logs: subject, issuer, serial, dates, SHA-256 of the DER', () => {
    const { summary } = parseCardCertificate(cert.der);
    assert.match(summary.subject, /CN=810001234567/);
    assert.doesNotMatch(summary.subject, /\n/);
    assert.match(summary.issuer, /CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES/);
    assert.equal(summary.serial, cert.certificate.serialNumber);
    assert.equal(summary.notBefore, new Date(cert.certificate.validFrom).toISOString());
    assert.equal(summary.notAfter, new Date(cert.certificate.validTo).toISOString());
    assert.equal(summary.sha256, createHash('sha256').update(cert.der).digest('hex'));
  });

  it('reads UTF-8 names with accents as they are', async () => {
    const c = await pki.issueCardCertificate({ givenName: 'Éloïse', surname: 'Lefèvre-Noël', profession: 'Infirmière' });
    const { holder } = parseCardCertificate(c.der);
    assert.equal(holder.name, 'Éloïse Lefèvre-Noël');
    assert.equal(holder.profession, 'Infirmière');
  });

  it('reports a keyUsage without digitalSignature as false', async () => {
    const c = await pki.issueCardCertificate({ keyUsages: x509.KeyUsageFlags.nonRepudiation });
    assert.equal(parseCardCertificate(c.der).digitalSignature, false);
  });

  it('a serialNumber that is not 8 + 11 digits → untrusted_certificate / unsupported_identifier', async () => {
    for (const nationalId of ['012345678901', '81000123456', '8100012345678', 'RPPS10001234']) {
      const c = await pki.issueCardCertificate({ nationalId });
      assert.throws(
        () => parseCardCertificate(c.der),
        (e: unknown) => e instanceof CpsError && e.code === 'untrusted_certificate' && e.reason === 'unsupported_identifier',
        nationalId,
      );
    }
  });

  it('a CA certificate without serialNumber → unsupported_identifier', () => {
    assert.throws(() => parseCardCertificate(pki.intermediate.der), (e: unknown) => e instanceof CpsError && e.reason === 'unsupported_identifier');
  });

  describe('garbage from the card is card_data_invalid, never another exception', () => {
    it('empty input, a lone SEQUENCE header, PEM text instead of DER', () => {
      for (const input of [Buffer.alloc(0), Buffer.from('3000', 'hex'), Buffer.from('30820100', 'hex'), Buffer.from(cert.pem)]) {
        assert.throws(() => parseCardCertificate(input), isCpsError('card_data_invalid'));
      }
    });

    it('fuzz: 250 seeded random buffers', () => {
      const rnd = prng(0x7e55e7a);
      for (let i = 0; i < 250; i++) {
        const len = Math.floor(rnd() * 1500);
        const b = Buffer.alloc(len);
        for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
        if (i % 2 === 0 && len > 4) b.set([0x30, 0x82, (len - 4) >> 8, (len - 4) & 0xff]); // plausible header
        assert.throws(() => parseCardCertificate(b), isCpsError('card_data_invalid'), `random input #${i}`);
      }
    });

    it('fuzz: 250 seeded truncations of a real certificate', () => {
      const rnd = prng(0xc0ffee);
      for (let i = 0; i < 250; i++) {
        const len = Math.floor(rnd() * cert.der.length);
        assert.throws(() => parseCardCertificate(cert.der.subarray(0, len)), isCpsError('card_data_invalid'), `truncated to ${len}`);
      }
    });

    it('fuzz: 500 seeded byte mutations of a real certificate throw nothing but CpsError', () => {
      const rnd = prng(0x5eed);
      const failures: string[] = [];
      for (let i = 0; i < 500; i++) {
        const m = Buffer.from(cert.der);
        const n = 1 + Math.floor(rnd() * 3);
        const where: string[] = [];
        for (let k = 0; k < n; k++) {
          const pos = Math.floor(rnd() * m.length);
          m[pos] = Math.floor(rnd() * 256);
          where.push(`${pos}=${(m[pos] ?? 0).toString(16)}`);
        }
        const f = nonCpsThrow(m, `mutation #${i} (${where.join(', ')})`);
        if (f) failures.push(f);
      }
      assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of 500 mutated certificates threw something else than CpsError`);
    });

    it('bug: a validity time OpenSSL cannot read ("Bad time value") throws RangeError instead of card_data_invalid', () => {
      const m = Buffer.from(cert.der);
      const validity = m.indexOf(Buffer.from('301e170d', 'hex'));
      assert.ok(validity > 0, 'validity of two UTCTimes found');
      m[validity + 4] = 0x00; // first digit of notBefore
      const x = new X509Certificate(m); // OpenSSL still accepts the structure
      assert.ok(Number.isNaN(new Date(x.validFrom).getTime()), `precondition: validFrom unreadable (${x.validFrom})`);
      assert.throws(() => parseCardCertificate(m), isCpsError('card_data_invalid'));
    });

    it('bug: a keyUsage extension whose value is not DER throws Iso7816Error instead of card_data_invalid', () => {
      const m = Buffer.from(cert.der);
      const oid = m.indexOf(Buffer.from('0603551d0f', 'hex'));
      const value = m.indexOf(Buffer.from('040403020780', 'hex'), oid);
      assert.ok(oid > 0 && value > oid && value - oid < 12, 'keyUsage OCTET STRING { BIT STRING 07 80 } found');
      m[value + 2] = 0x00; // BIT STRING tag 03 → 00: not a valid first tag byte
      assert.doesNotThrow(() => new X509Certificate(m), 'precondition: OpenSSL does not decode the extension value');
      assert.throws(() => parseCardCertificate(m), isCpsError('card_data_invalid'));
    });
  });
});
