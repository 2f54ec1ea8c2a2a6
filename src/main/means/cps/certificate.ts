/**
 * The card's authentication certificate: what the agent reads from it (docs/cps-profile.md §5)
 * and the checks it must pass. Node's `X509Certificate` does the signature and date work; the
 * subject attributes and the keyUsage bits are read from the DER with the project's BER-TLV
 * parser, so no string escaping of OpenSSL's one-line names gets in the way.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { parseTlv, type TlvNode } from '../../protocols/iso7816/index.js';
import type { Subject } from '../auth-event.js';
import { CpsError } from './cps-error.js';

const OID = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  keyUsage: '2.5.29.15',
} as const;

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
}

export interface CardCertificate {
  readonly x509: X509Certificate;
  readonly der: Buffer;
  readonly holder: Subject;
  readonly summary: CertificateSummary;
  /** keyUsage bits present (undefined when the extension is absent). */
  readonly digitalSignature: boolean | undefined;
}

/** X.690 §8.19: base-128 subidentifiers; the first one combines the first two arcs. */
export function decodeOid(value: Buffer): string {
  if (value.length === 0) throw new CpsError('card_data_invalid', 'empty OID in certificate');
  const subs: number[] = [];
  let acc = 0;
  let fresh = true;
  for (const b of value) {
    if (fresh && b === 0x80) throw new CpsError('card_data_invalid', 'non-minimal OID encoding in certificate');
    fresh = false;
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) throw new CpsError('card_data_invalid', 'OID arc too large in certificate');
    if ((b & 0x80) === 0) {
      subs.push(acc);
      acc = 0;
      fresh = true;
    }
  }
  if (!fresh) throw new CpsError('card_data_invalid', 'truncated OID in certificate');
  const [first = 0, ...rest] = subs;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...rest].join('.');
}

function decodeDirectoryString(node: TlvNode): string {
  switch (node.tag) {
    case 0x0c: return node.value.toString('utf8');
    case 0x13: case 0x16: case 0x14: return node.value.toString('latin1');
    case 0x1e: {
      const swapped = Buffer.from(node.value);
      if (swapped.length % 2 !== 0) throw new CpsError('card_data_invalid', 'odd-length BMPString in certificate');
      return swapped.swap16().toString('utf16le');
    }
    default: throw new CpsError('card_data_invalid', `unsupported string type 0x${node.tag.toString(16)} in certificate name`);
  }
}

/** Name ::= SEQUENCE OF SET OF AttributeTypeAndValue → first value of each attribute type. */
function readName(name: TlvNode): Map<string, string> {
  const out = new Map<string, string>();
  for (const rdn of name.children ?? []) {
    for (const atv of rdn.children ?? []) {
      const [type, value] = atv.children ?? [];
      if (!type || !value || type.tag !== 0x06) throw new CpsError('card_data_invalid', 'malformed attribute in certificate name');
      const oid = decodeOid(type.value);
      if (!out.has(oid)) out.set(oid, decodeDirectoryString(value));
    }
  }
  return out;
}

function child(node: TlvNode | undefined, index: number, tag: number, what: string): TlvNode {
  const c = node?.children?.[index];
  if (!c || c.tag !== tag) throw new CpsError('card_data_invalid', `certificate structure: ${what} missing`);
  return c;
}

function readKeyUsageDigitalSignature(tbs: TlvNode): boolean | undefined {
  const extsWrapper = tbs.children?.find((n) => n.tag === 0xa3);
  const exts = extsWrapper?.children?.[0];
  for (const ext of exts?.children ?? []) {
    const [oidNode] = ext.children ?? [];
    if (!oidNode || oidNode.tag !== 0x06 || decodeOid(oidNode.value) !== OID.keyUsage) continue;
    const octets = ext.children?.find((n) => n.tag === 0x04);
    if (!octets) throw new CpsError('card_data_invalid', 'keyUsage extension without value');
    const [bits] = parseTlv(octets.value, { mode: 'strict' });
    if (!bits || bits.tag !== 0x03 || bits.value.length < 2) return false;
    return ((bits.value[1] ?? 0) & 0x80) !== 0;
  }
  return undefined;
}

/** Parses the DER read from the card. Malformed input is `card_data_invalid`, never a crash. */
export function parseCardCertificate(der: Buffer): CardCertificate {
  try {
    return parseUntrusted(der);
  } catch (e) {
    if (e instanceof CpsError) throw e;
    throw new CpsError('card_data_invalid', `certificate from the card does not parse: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** A validity date OpenSSL could read, or `card_data_invalid`. */
export function validityDate(text: string, which: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new CpsError('card_data_invalid', `certificate ${which} date is unreadable`);
  return d;
}

function parseUntrusted(der: Buffer): CardCertificate {
  const x509 = new X509Certificate(der);
  const root = parseTlv(der, { mode: 'strict' });
  const cert = root[0];
  const tbs = child(cert, 0, 0x30, 'tbsCertificate');
  const shift = tbs.children?.[0]?.tag === 0xa0 ? 1 : 0;
  const subjectNode = child(tbs, shift + 4, 0x30, 'subject');
  const attrs = readName(subjectNode);

  const nationalId = attrs.get(OID.serialNumber);
  if (!nationalId || !/^8[0-9]{11}$/.test(nationalId)) {
    throw new CpsError('untrusted_certificate', `certificate subject carries no RPPS identifier (serialNumber=${nationalId ?? 'absent'})`, { reason: 'unsupported_identifier' });
  }
  const rpps = nationalId.slice(1);
  const givenName = attrs.get(OID.givenName);
  const surname = attrs.get(OID.surname);
  const profession = attrs.get(OID.title);
  const name = [givenName, surname].filter(Boolean).join(' ') || attrs.get(OID.commonName) || nationalId;
  const holder: Subject = {
    id: `rpps:${rpps}`,
    rpps,
    name,
    ...(givenName ? { givenName } : {}),
    ...(surname ? { surname } : {}),
    ...(profession ? { profession } : {}),
  };
  return {
    x509,
    der,
    holder,
    digitalSignature: readKeyUsageDigitalSignature(tbs),
    summary: {
      subject: x509.subject.replace(/\n/g, ', '),
      issuer: x509.issuer.replace(/\n/g, ', '),
      serial: x509.serialNumber,
      notBefore: validityDate(x509.validFrom, 'notBefore').toISOString(),
      notAfter: validityDate(x509.validTo, 'notAfter').toISOString(),
      sha256: createHash('sha256').update(der).digest('hex'),
    },
  };
}
