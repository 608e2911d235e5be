/**
 * X.509 building blocks shared by the CA and the leaves: node-forge lays out the
 * TBSCertificate, node:crypto supplies the keys and the signature. node-forge only
 * understands RSA keys, so the public key, the issuer name and the signature algorithm
 * are spliced into its TBSCertificate as DER that node:crypto or the issuer produced.
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CertificateError } from '../errors.js';

type Asn1 = forge.asn1.Asn1;
const { asn1 } = forge;

// Missing from (or under-typed in) @types/node-forge.
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): Asn1 })
  .getTBSCertificate;
const fromDer = forge.asn1.fromDer as unknown as (bytes: string, options: { decodeBitStrings: boolean }) => Asn1;

/** Positions in node-forge's TBSCertificate, which always writes the version field. */
const TBS_SIGNATURE = 2;
const TBS_ISSUER = 3;
const TBS_SUBJECT_PUBLIC_KEY_INFO = 6;

const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

/** Stands in for the real key while node-forge builds the TBSCertificate; always replaced. */
const PLACEHOLDER_PUBLIC_KEY = forge.pki.setRsaPublicKey(forge.jsbn.BigInteger.ONE, forge.jsbn.BigInteger.ONE);

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

/** Random positive 16-byte serial (RFC 5280 4.1.2.2) as hex; 0b01 on top keeps it positive and its DER minimal. */
function randomSerialHex(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial.toString('hex');
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, as a binary string. */
function keyIdentifier(subjectPublicKeyInfo: Buffer): string {
  const bitString = children(fromDer(subjectPublicKeyInfo.toString('binary'), { decodeBitStrings: false }))[1];
  if (!bitString) throw malformed();
  return createHash('sha1').update(contents(bitString).slice(1), 'binary').digest('binary');
}

/** RFC 5280's upper bound (ub-common-name) for a commonName. */
export const MAX_COMMON_NAME_LENGTH = 64;

/** A commonName attribute as UTF8String, cut to the length RFC 5280 allows. */
export function commonName(value: string): forge.pki.CertificateField {
  // @types/node-forge types valueTagClass as a Class, but node-forge reads it as the universal tag (a Type).
  const valueTagClass = forge.asn1.Type.UTF8 as number as forge.asn1.Class;
  return { shortName: 'CN', value: value.slice(0, MAX_COMMON_NAME_LENGTH), valueTagClass };
}

export interface CertificateSpec {
  readonly subject: forge.pki.CertificateField[];
  /** The issuer's Name exactly as its own certificate encodes it; absent when self-signed. */
  readonly issuerName?: Asn1;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo of the certified key. */
  readonly subjectPublicKeyInfo: Buffer;
  /** node-forge extension objects; the subjectKeyIdentifier is added here. */
  readonly extensions: readonly object[];
}

/** Builds, signs and PEM-encodes a certificate; node:crypto signs in well under a millisecond. */
export function issueCertificate(spec: CertificateSpec, signerKey: KeyObject): string {
  const algorithm = signatureAlgorithmFor(signerKey);
  const cert = forge.pki.createCertificate();
  cert.version = 2;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  cert.setSubject(spec.subject);
  cert.setIssuer(spec.subject);
  cert.setExtensions([
    ...spec.extensions,
    {
      name: 'subjectKeyIdentifier',
      value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyIdentifier(spec.subjectPublicKeyInfo)),
    },
  ]);
  cert.publicKey = PLACEHOLDER_PUBLIC_KEY;
  cert.siginfo.algorithmOid = algorithm.oid;

  const tbs = getTBSCertificate(cert);
  const fields = children(tbs);
  fields[TBS_SIGNATURE] = algorithmIdentifier(algorithm);
  if (spec.issuerName) fields[TBS_ISSUER] = spec.issuerName;
  fields[TBS_SUBJECT_PUBLIC_KEY_INFO] = fromDer(spec.subjectPublicKeyInfo.toString('binary'), {
    decodeBitStrings: false,
  });

  const tbsDer = asn1.toDer(tbs).getBytes();
  const signature = sign(algorithm.digest, Buffer.from(tbsDer, 'binary'), signerKey);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithmIdentifier(algorithm),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ]);
  return derToPem(Buffer.from(asn1.toDer(certificate).getBytes(), 'binary'));
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
  const [tbs] = children(fromDer(certificateDer.toString('binary'), { decodeBitStrings: false }));
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
    if (asn1.derToOid(contents(id)) === OID_SUBJECT_KEY_IDENTIFIER) {
      return { subjectName, subjectKeyIdentifier: contents(fromDer(contents(value), { decodeBitStrings: false })) };
    }
  }
  return { subjectName, subjectKeyIdentifier: null };
}

function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

function algorithmIdentifier(algorithm: SignatureAlgorithm): Asn1 {
  const oid = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(algorithm.oid).getBytes());
  const parameters = algorithm.nullParameters ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : [];
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [oid, ...parameters]);
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
