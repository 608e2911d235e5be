/**
 * Server certificates the proxy shows its clients, one per host, signed by its CA.
 * One ECDSA P-256 key serves every leaf: minting then costs a signature, not a key pair.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertificateAuthority } from './ca.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  commonName,
  issueCertificate,
  keyUsage,
  extendedKeyUsage,
  readIssuerDetails,
  subjectAltName,
  type IssuerDetails,
} from './x509.js';

export interface LeafKey {
  readonly privateKey: KeyObject;
  readonly privateKeyPem: string;
  /** DER SubjectPublicKeyInfo. */
  readonly spkiDer: Buffer;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * Apple platforms reject TLS server certificates valid for more than 398 days; 397 leaves
 * room. The period includes both notBefore and notAfter (RFC 5280 4.1.2.5), hence the second.
 */
const LEAF_VALIDITY_MS = 397 * DAY_MS - 1000;
/** Clients whose clock runs a little behind still accept a leaf minted a moment ago. */
const BACKDATE_MS = HOUR_MS;

export function createLeafKey(): LeafKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey,
    // SEC1 rather than PKCS#8: OpenSSL 3 decodes it ~0.1 ms faster, paid by every SecureContext minted.
    privateKeyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    spkiDer: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

/** A PEM certificate for `host` (canonical: lowercase name, or an IP literal without brackets). */
export function mintLeaf(ca: CertificateAuthority, host: string, leafKey: LeafKey, now = new Date()): string {
  return mint(ca, host, leafKey, now, 'serverAuth');
}

/** A client certificate for `name`, such as `mtls-proxy demo` presents to its upstream. */
export function mintClientCertificate(ca: CertificateAuthority, name: string, leafKey: LeafKey, now = new Date()): string {
  return mint(ca, name, leafKey, now, 'clientAuth');
}

function mint(ca: CertificateAuthority, host: string, leafKey: LeafKey, now: Date, usage: 'serverAuth' | 'clientAuth'): string {
  const issuer = issuerDetailsOf(ca);
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  return issueCertificate(
    {
      subject: [commonName(host)],
      issuerName: issuer.subjectName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + LEAF_VALIDITY_MS),
      subjectPublicKeyInfo: leafKey.spkiDer,
      extensions: [
        basicConstraints({ ca: false }),
        keyUsage(['digitalSignature']),
        extendedKeyUsage(usage),
        subjectAltName(host, isIP(host) !== 0),
        ...(issuer.subjectKeyIdentifier === null ? [] : [authorityKeyIdentifier(issuer.subjectKeyIdentifier)]),
      ],
    },
    ca.key,
  );
}

/** Parsed once per CA rather than once per leaf. */
const issuerDetailsCache = new WeakMap<CertificateAuthority, IssuerDetails>();

function issuerDetailsOf(ca: CertificateAuthority): IssuerDetails {
  let details = issuerDetailsCache.get(ca);
  if (!details) {
    details = readIssuerDetails(ca.cert.raw);
    issuerDetailsCache.set(ca, details);
  }
  return details;
}
