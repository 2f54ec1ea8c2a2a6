/**
 * Test PKI shaped like the health PKI (IGC-Santé) chain described in docs/cps-profile.md §5:
 *
 *   TEST AC RACINE IGC-SANTE ELEMENTAIRE  →  TEST AC IGC-SANTE ELEMENTAIRE PERSONNES  →  card cert
 *
 * Everything is generated at test time (no key is ever committed). RSA-2048 generation costs
 * ~100 ms per key, so `getSharedTestPki()` memoises one hierarchy per process; nothing is cached
 * across processes.
 *
 * Card certificate subject (docs/cps-profile.md §5, an assumption to confirm on a real card):
 * C=FR, O=<structure>, OU=<structure id>, title=<profession>, SN=<surname>, GN=<given name>,
 * serialNumber=<"8" + RPPS>, CN=<"8" + RPPS>.
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';

installReflectMetadataShim();

/**
 * @peculiar/x509, loaded only after the shim above (its dependency tsyringe refuses to load
 * without `Reflect.getMetadata`). Tests use this export rather than importing the package
 * themselves, so the load order is always right.
 */
export const x509 = createRequire(import.meta.url)('@peculiar/x509') as typeof X509;

type WebCryptoKey = nodeCrypto.webcrypto.CryptoKey;
type WebCryptoKeyPair = nodeCrypto.webcrypto.CryptoKeyPair;

const webcrypto = nodeCrypto.webcrypto;
x509.cryptoProvider.set(webcrypto);

/** Names of the trusted test hierarchy (the production names prefixed with "TEST "). */
export const TEST_ROOT_CN = 'TEST AC RACINE IGC-SANTE ELEMENTAIRE';
export const TEST_INTERMEDIATE_CN = 'TEST AC IGC-SANTE ELEMENTAIRE PERSONNES';

/** OIDs of the subject attributes the agent reads (docs/cps-profile.md §5). */
export const SUBJECT_OID = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  givenName: '2.5.4.42',
  title: '2.5.4.12',
  serialNumber: '2.5.4.5',
} as const;

/** Prefix of the national professional identifier when it is built from an RPPS number. */
export const RPPS_ID_PREFIX = '8';

const RSA_ALGORITHM: nodeCrypto.webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** One certificate with its key pair, in every form a test may want. */
export interface IssuedCertificate {
  readonly der: Buffer;
  readonly pem: string;
  /** Parsed with Node's own X.509 parser. */
  readonly certificate: nodeCrypto.X509Certificate;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A certificate authority of the test hierarchy. */
export interface TestCertificateAuthority extends IssuedCertificate {
  readonly commonName: string;
  /** WebCrypto form of the signing key, used by @peculiar/x509 to sign what this CA issues. */
  readonly signingKey: WebCryptoKey;
  readonly webPublicKey: WebCryptoKey;
}

/** The professional the card belongs to. */
export interface CardHolder {
  /** 11-digit RPPS number. */
  readonly rpps: string;
  /** Identifier written in the certificate: "8" + RPPS unless overridden. */
  readonly nationalId: string;
  readonly givenName: string;
  readonly surname: string;
  readonly profession: string;
  readonly structureName: string;
  readonly structureId: string;
}

export interface CardCertificate extends IssuedCertificate {
  readonly holder: CardHolder;
}

export interface IssueCardOptions {
  rpps?: string;
  /** Overrides the "8" + RPPS identifier, e.g. "0" + ADELI to test an unsupported prefix. */
  nationalId?: string;
  givenName?: string;
  surname?: string;
  profession?: string;
  structureName?: string;
  structureId?: string;
  /** Default: one hour ago. */
  notBefore?: Date;
  /** Default: three years after notBefore. Put it in the past for an expired certificate. */
  notAfter?: Date;
  /** Default: digitalSignature only. */
  keyUsages?: X509.KeyUsageFlags;
  /** Default: the hierarchy's intermediate CA. */
  issuer?: TestCertificateAuthority;
}

export interface TestPki {
  readonly root: TestCertificateAuthority;
  readonly intermediate: TestCertificateAuthority;
  /** Root + intermediate PEM, root first. */
  readonly caBundlePem: string;
  issueCardCertificate(options?: IssueCardOptions): Promise<CardCertificate>;
}

export interface CreateTestPkiOptions {
  /** Default TEST_ROOT_CN. An impostor hierarchy keeps the same names with other keys. */
  rootCommonName?: string;
  /** Default TEST_INTERMEDIATE_CN. */
  intermediateCommonName?: string;
  /** Validity of both CAs. Default: one day ago. */
  notBefore?: Date;
  /** Default: notBefore + 10 years (intermediate) / + 20 years (root). */
  notAfter?: Date;
}

/** Default professional used when a test does not care. */
export const DEFAULT_HOLDER = {
  rpps: '10001234567',
  givenName: 'JEAN',
  surname: 'MARTIN',
  profession: 'Médecin',
  structureName: 'CENTRE HOSPITALIER TEST',
  structureId: '010000001',
} as const;

export async function createTestPki(options: CreateTestPkiOptions = {}): Promise<TestPki> {
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const rootCn = options.rootCommonName ?? TEST_ROOT_CN;
  const intermediateCn = options.intermediateCommonName ?? TEST_INTERMEDIATE_CN;

  const rootKeys = await generateRsaKeyPair();
  const rootName = caName(rootCn);
  const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: rootName,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 20 * 365 * DAY_MS),
    keys: rootKeys,
    signingAlgorithm: RSA_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const root = await toAuthority(rootCn, rootCert, rootKeys);

  const intermediateKeys = await generateRsaKeyPair();
  const intermediateCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: caName(intermediateCn),
    issuer: rootCert.subjectName,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 10 * 365 * DAY_MS),
    publicKey: intermediateKeys.publicKey,
    signingKey: root.signingKey,
    signingAlgorithm: RSA_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root.webPublicKey),
    ],
  });
  const intermediate = await toAuthority(intermediateCn, intermediateCert, intermediateKeys);

  return {
    root,
    intermediate,
    caBundlePem: root.pem + intermediate.pem,
    issueCardCertificate: (cardOptions?: IssueCardOptions) => issueCardCertificate(cardOptions?.issuer ?? intermediate, cardOptions),
  };
}

let sharedPki: Promise<TestPki> | undefined;
let sharedImpostorPki: Promise<TestPki> | undefined;

/** One trusted hierarchy per process (keys are slow to generate). */
export function getSharedTestPki(): Promise<TestPki> {
  sharedPki ??= createTestPki();
  return sharedPki;
}

/**
 * One untrusted hierarchy per process: same CA names as the trusted one, different keys, so a
 * verifier that matches names instead of signatures lets its certificates through.
 */
export function getSharedImpostorTestPki(): Promise<TestPki> {
  sharedImpostorPki ??= createTestPki();
  return sharedImpostorPki;
}

async function issueCardCertificate(issuer: TestCertificateAuthority, options: IssueCardOptions = {}): Promise<CardCertificate> {
  const rpps = options.rpps ?? DEFAULT_HOLDER.rpps;
  if (!/^[0-9]{11}$/.test(rpps)) {
    throw new Error(`RPPS must be 11 digits, got ${JSON.stringify(rpps)}`);
  }
  const holder: CardHolder = {
    rpps,
    nationalId: options.nationalId ?? RPPS_ID_PREFIX + rpps,
    givenName: options.givenName ?? DEFAULT_HOLDER.givenName,
    surname: options.surname ?? DEFAULT_HOLDER.surname,
    profession: options.profession ?? DEFAULT_HOLDER.profession,
    structureName: options.structureName ?? DEFAULT_HOLDER.structureName,
    structureId: options.structureId ?? DEFAULT_HOLDER.structureId,
  };
  const notBefore = options.notBefore ?? new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 3 * 365 * DAY_MS);

  const keys = await generateRsaKeyPair();
  const issuerX509 = new x509.X509Certificate(issuer.der);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: cardSubject(holder),
    issuer: issuerX509.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    signingAlgorithm: RSA_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(options.keyUsages ?? x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.webPublicKey),
    ],
  });
  const issued = await toIssued(cert, keys);
  return { ...issued, holder };
}

function caName(commonName: string): X509.Name {
  return new x509.Name([
    { [SUBJECT_OID.country]: [{ printableString: 'FR' }] },
    { [SUBJECT_OID.organization]: [{ utf8String: 'TESSERA TEST' }] },
    { [SUBJECT_OID.organizationalUnit]: [{ utf8String: 'IGC-SANTE TEST' }] },
    { [SUBJECT_OID.commonName]: [{ utf8String: commonName }] },
  ]);
}

function cardSubject(holder: CardHolder): X509.Name {
  return new x509.Name([
    { [SUBJECT_OID.country]: [{ printableString: 'FR' }] },
    { [SUBJECT_OID.organization]: [{ utf8String: holder.structureName }] },
    { [SUBJECT_OID.organizationalUnit]: [{ utf8String: holder.structureId }] },
    { [SUBJECT_OID.title]: [{ utf8String: holder.profession }] },
    { [SUBJECT_OID.surname]: [{ utf8String: holder.surname }] },
    { [SUBJECT_OID.givenName]: [{ utf8String: holder.givenName }] },
    { [SUBJECT_OID.serialNumber]: [{ printableString: holder.nationalId }] },
    { [SUBJECT_OID.commonName]: [{ utf8String: holder.nationalId }] },
  ]);
}

async function generateRsaKeyPair(): Promise<WebCryptoKeyPair> {
  return webcrypto.subtle.generateKey(RSA_ALGORITHM, true, ['sign', 'verify']);
}

/** Positive 16-byte serial (top bit cleared so the DER INTEGER stays positive). */
function randomSerial(): string {
  const bytes = nodeCrypto.randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function toIssued(cert: X509.X509Certificate, keys: WebCryptoKeyPair): Promise<IssuedCertificate> {
  const der = Buffer.from(cert.rawData);
  return {
    der,
    pem: cert.toString('pem') + '\n',
    certificate: new nodeCrypto.X509Certificate(der),
    privateKey: nodeCrypto.KeyObject.from(keys.privateKey),
    publicKey: nodeCrypto.KeyObject.from(keys.publicKey),
  };
}

async function toAuthority(commonName: string, cert: X509.X509Certificate, keys: WebCryptoKeyPair): Promise<TestCertificateAuthority> {
  const issued = await toIssued(cert, keys);
  return { ...issued, commonName, signingKey: keys.privateKey, webPublicKey: keys.publicKey };
}

/**
 * Minimal stand-in for the `reflect-metadata` polyfill: the three calls tsyringe makes
 * (`getMetadata`, `getOwnMetadata`, `defineMetadata`), backed by a WeakMap. Installed only when
 * no real polyfill is present.
 */
function installReflectMetadataShim(): void {
  type MetadataReflect = {
    getMetadata?: (key: unknown, target: object) => unknown;
    getOwnMetadata?: (key: unknown, target: object) => unknown;
    defineMetadata?: (key: unknown, value: unknown, target: object) => void;
  };
  const reflect = Reflect as unknown as MetadataReflect;
  if (typeof reflect.getMetadata === 'function') {
    return;
  }
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const getOwn = (key: unknown, target: object): unknown => store.get(target)?.get(key);
  reflect.getOwnMetadata = getOwn;
  reflect.defineMetadata = (key, value, target) => {
    let entries = store.get(target);
    if (!entries) {
      entries = new Map();
      store.set(target, entries);
    }
    entries.set(key, value);
  };
  reflect.getMetadata = (key, target) => {
    for (let current: object | null = target; current !== null; current = Object.getPrototypeOf(current) as object | null) {
      const value = getOwn(key, current);
      if (value !== undefined) {
        return value;
      }
    }
    return undefined;
  };
}
