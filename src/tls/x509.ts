/**
 * X.509 building blocks shared by the CA and the leaves: node-forge's ASN.1 module lays
 * out the TBSCertificate, node:crypto supplies the keys and the signature. Only that
 * module is loaded: node-forge's X.509 one (forge.pki) adds about 8 MiB to the proxy's
 * memory and only understands RSA keys, while a leaf's layout is a handful of fields.
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import asn1 from 'node-forge/lib/asn1.js';
import { CertificateError } from '../errors.js';

type Asn1 = ReturnType<typeof asn1.create>;

const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export interface SignatureAlgorithm {
  readonly digest: 'sha256' | 'sha384' | 'sha512';
  readonly oid: string;
  /** RSA PKCS#1 v1.5 identifiers carry NULL parameters; ECDSA ones carry none (RFC 5758). */
  readonly nullParameters: boolean;
}

const ECDSA_BY_CURVE: Readonly<Record<string, SignatureAlgorithm>> = {
  prime256v1: { digest: 'sha256', oid: '1.2.840.10045.4.3.2', nullParameters: false },
  secp384r1: { digest: 'sha384', oid: '1.2.840.10045.4.3.3', nullParameters: false },
  secp521r1: { digest: 'sha512', oid: '1.2.840.10045.4.3.4', nullParameters: false },
};
const SHA256_WITH_RSA: SignatureAlgorithm = { digest: 'sha256', oid: '1.2.840.113549.1.1.11', nullParameters: true };

/** How certificates signed by this key are signed; throws for keys the proxy cannot sign with. */
export function signatureAlgorithmFor(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return SHA256_WITH_RSA;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const ecdsa = key.asymmetricKeyType === 'ec' && curve !== undefined ? ECDSA_BY_CURVE[curve] : undefined;
  if (ecdsa) return ecdsa;
  const kind = key.asymmetricKeyType === 'ec' ? `EC ${curve ?? 'unknown-curve'}` : (key.asymmetricKeyType ?? 'unknown');
  throw new CertificateError(
    'ERR_UNSUPPORTED_KEY_TYPE',
    `Keys of type ${kind} cannot sign certificates here; use an RSA or EC (P-256, P-384, P-521) key.`,
  );
}

function universal(type: number, value: string | Asn1[]): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, type, Array.isArray(value), value);
}

function oid(id: string): Asn1 {
  return universal(asn1.Type.OID, asn1.oidToDer(id).getBytes());
}

function der(node: Asn1): string {
  return asn1.toDer(node).getBytes();
}

/** Random positive 16-byte serial (RFC 5280 4.1.2.2); 0b01 on top keeps it positive and its DER minimal. */
function randomSerial(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial.toString('binary');
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? universal(asn1.Type.UTCTIME, asn1.dateToUtcTime(date))
    : universal(asn1.Type.GENERALIZEDTIME, asn1.dateToGeneralizedTime(date));
}

/** RFC 5280's upper bound (ub-common-name) for a commonName. */
export const MAX_COMMON_NAME_LENGTH = 64;

export interface NameAttribute {
  readonly type: 'commonName' | 'organizationName';
  readonly value: string;
}

/** A commonName cut to the length RFC 5280 allows. */
export function commonName(value: string): NameAttribute {
  return { type: 'commonName', value: value.slice(0, MAX_COMMON_NAME_LENGTH) };
}

/** A Name of one attribute per RDN, each a UTF8String (RFC 5280 4.1.2.6). */
function name(attributes: readonly NameAttribute[]): Asn1 {
  return universal(
    asn1.Type.SEQUENCE,
    attributes.map((a) =>
      universal(asn1.Type.SET, [
        universal(asn1.Type.SEQUENCE, [oid(OID[a.type]), universal(asn1.Type.UTF8, Buffer.from(a.value, 'utf8').toString('binary'))]),
      ]),
    ),
  );
}

/** One extension: its value is the DER of `value`, wrapped in an OCTET STRING. */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Asn1;
}

export function basicConstraints(options: { ca: false } | { ca: true; pathLength: number }): Extension {
  const fields = options.ca ? [universal(asn1.Type.BOOLEAN, '\xff'), integer(options.pathLength)] : [];
  return { oid: OID.basicConstraints, critical: options.ca, value: universal(asn1.Type.SEQUENCE, fields) };
}

const KEY_USAGE_BITS = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** Always critical, as RFC 5280 4.2.1.3 asks of CAs and browsers expect of leaves. */
export function keyUsage(usages: ReadonlyArray<keyof typeof KEY_USAGE_BITS>): Extension {
  // A DER named bit list: these bits fit one byte, and its trailing zero bits are marked unused.
  let byte = 0;
  for (const usage of usages) byte |= 0x80 >> KEY_USAGE_BITS[usage];
  const unused = byte === 0 ? 0 : 31 - Math.clz32(byte & -byte);
  return { oid: OID.keyUsage, critical: true, value: universal(asn1.Type.BITSTRING, String.fromCharCode(unused, byte)) };
}

/** The one purpose a certificate may be used for: a TLS server's or a TLS client's. */
export function extendedKeyUsage(usage: 'serverAuth' | 'clientAuth'): Extension {
  return { oid: OID.extKeyUsage, critical: false, value: universal(asn1.Type.SEQUENCE, [oid(OID[usage])]) };
}

/** dNSName [2] for a name, iPAddress [7] for an IP literal (without brackets). */
export function subjectAltName(host: string, ip: boolean): Extension {
  const entry = ip
    ? asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, ipBytes(host).toString('binary'))
    : asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, host);
  return { oid: OID.subjectAltName, critical: false, value: universal(asn1.Type.SEQUENCE, [entry]) };
}

/** `keyIdentifier` is a binary string, as IssuerDetails holds it. */
export function authorityKeyIdentifier(keyIdentifier: string): Extension {
  const keyId = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyIdentifier);
  return { oid: OID.authorityKeyIdentifier, critical: false, value: universal(asn1.Type.SEQUENCE, [keyId]) };
}

function integer(value: number): Asn1 {
  return universal(asn1.Type.INTEGER, asn1.integerToDer(value).getBytes());
}

/** The 4 or 16 bytes of an IP literal (as canonicalHost leaves it): `::` and a dotted IPv4 tail expanded. */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const groupsOf = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const v4 = ipBytes(group);
          return [v4.readUInt16BE(0), v4.readUInt16BE(2)];
        });
  const gap = ip.indexOf('::');
  const head = groupsOf(gap === -1 ? ip : ip.slice(0, gap));
  const tail = gap === -1 ? [] : groupsOf(ip.slice(gap + 2));
  const groups = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, as a binary string. */
function keyIdentifier(subjectPublicKeyInfo: Asn1): string {
  const bitString = children(subjectPublicKeyInfo)[1];
  if (!bitString) throw malformed();
  return createHash('sha1').update(contents(bitString).slice(1), 'binary').digest('binary');
}

export interface CertificateSpec {
  readonly subject: readonly NameAttribute[];
  /** The issuer's Name exactly as its own certificate encodes it; absent when self-signed. */
  readonly issuerName?: Asn1;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo of the certified key. */
  readonly subjectPublicKeyInfo: Buffer;
  /** The subjectKeyIdentifier is added here. */
  readonly extensions: readonly Extension[];
}

/** Builds, signs and PEM-encodes a v3 certificate (RFC 5280 4.1). */
export function issueCertificate(spec: CertificateSpec, signerKey: KeyObject): string {
  const algorithm = signatureAlgorithmFor(signerKey);
  const subjectPublicKeyInfo = fromDer(spec.subjectPublicKeyInfo.toString('binary'));
  const subjectKeyIdentifier: Extension = {
    oid: OID.subjectKeyIdentifier,
    critical: false,
    value: universal(asn1.Type.OCTETSTRING, keyIdentifier(subjectPublicKeyInfo)),
  };
  const extensions = [...spec.extensions, subjectKeyIdentifier].map((e) =>
    universal(asn1.Type.SEQUENCE, [
      oid(e.oid),
      ...(e.critical ? [universal(asn1.Type.BOOLEAN, '\xff')] : []),
      universal(asn1.Type.OCTETSTRING, der(e.value)),
    ]),
  );
  const subject = name(spec.subject);
  const tbs = universal(asn1.Type.SEQUENCE, [
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [integer(2)]),
    universal(asn1.Type.INTEGER, randomSerial()),
    algorithmIdentifier(algorithm),
    spec.issuerName ?? subject,
    universal(asn1.Type.SEQUENCE, [time(spec.notBefore), time(spec.notAfter)]),
    subject,
    subjectPublicKeyInfo,
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [universal(asn1.Type.SEQUENCE, extensions)]),
  ]);
  const tbsDer = der(tbs);
  const signature = sign(algorithm.digest, Buffer.from(tbsDer, 'binary'), signerKey);
  // The TBSCertificate's DER is reused rather than encoded a second time.
  const certificate = sequenceDer([tbsDer, der(algorithmIdentifier(algorithm)), der(universal(asn1.Type.BITSTRING, '\x00' + signature.toString('binary')))]);
  return derToPem(Buffer.from(certificate, 'binary'));
}

/** A SEQUENCE around already encoded elements (binary strings): its tag, its DER length, then the elements. */
function sequenceDer(elements: readonly string[]): string {
  const body = elements.join('');
  let length = '';
  for (let n = body.length; n > 0; n = Math.floor(n / 256)) length = String.fromCharCode(n % 256) + length;
  const header = body.length < 0x80 ? String.fromCharCode(body.length) : String.fromCharCode(0x80 | length.length) + length;
  return '\x30' + header + body;
}

/** What a leaf needs from its issuer's certificate. */
export interface IssuerDetails {
  /** The subject Name node, re-encoded byte for byte as the leaf's issuer. */
  readonly subjectName: Asn1;
  /** Binary string, or null when the certificate has no subjectKeyIdentifier. */
  readonly subjectKeyIdentifier: string | null;
}

/** Reads a (node-parsed, so well-formed) certificate's subject Name and subjectKeyIdentifier from its DER. */
export function readIssuerDetails(certificateDer: Buffer): IssuerDetails {
  const [tbs] = children(fromDer(certificateDer.toString('binary')));
  if (!tbs) throw malformed();
  const fields = children(tbs);
  const hasVersion = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC && fields[0].type === 0;
  const subjectName = fields[hasVersion ? 5 : 4];
  if (!subjectName) throw malformed();

  const extensionsField = fields.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  const extensionList = extensionsField ? children(extensionsField)[0] : undefined;
  for (const extension of extensionList ? children(extensionList) : []) {
    const parts = children(extension);
    const [id, value] = [parts[0], parts[parts.length - 1]];
    if (!id || !value) throw malformed();
    if (asn1.derToOid(contents(id)) === OID.subjectKeyIdentifier) {
      return { subjectName, subjectKeyIdentifier: contents(fromDer(contents(value))) };
    }
  }
  return { subjectName, subjectKeyIdentifier: null };
}

function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function algorithmIdentifier(algorithm: SignatureAlgorithm): Asn1 {
  const parameters = algorithm.nullParameters ? [universal(asn1.Type.NULL, '')] : [];
  return universal(asn1.Type.SEQUENCE, [oid(algorithm.oid), ...parameters]);
}

/** Bit strings are kept whole: the key bits and signatures are read as bytes. */
function fromDer(bytes: string): Asn1 {
  return (asn1.fromDer as unknown as (bytes: string, options: { decodeBitStrings: boolean }) => Asn1)(bytes, { decodeBitStrings: false });
}

function children(node: Asn1): Asn1[] {
  if (!Array.isArray(node.value)) throw malformed();
  return node.value;
}

function contents(node: Asn1): string {
  if (typeof node.value !== 'string') throw malformed();
  return node.value;
}

function malformed(): CertificateError {
  return new CertificateError('ERR_CERTIFICATE_MALFORMED', 'The certificate is not a well-formed X.509 certificate.');
}
