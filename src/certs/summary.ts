import type { X509Certificate } from 'node:crypto';

/** What logs, `check` and warnings say about a certificate. */
export interface CertSummary {
  /** One line, e.g. "CN=client,O=Acme". */
  subject: string;
  issuer: string;
  /** Hex, uppercase, as Node gives it. */
  serialNumber: string;
  /** Uppercase hex pairs joined by colons, as `openssl x509 -fingerprint -sha256` prints. */
  fingerprint256: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days until validTo, rounded down; negative once expired. */
  daysLeft: number;
  selfSigned: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Node prints one RDN a line with RFC 2253 escaping, so joining with "," stays unambiguous. */
export function oneLineName(name: string): string {
  return name.split('\n').join(',');
}

/** Whole days from `now` until `validTo` (negative once it has passed). */
export function daysUntil(validTo: Date, now: Date): number {
  return Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
}

export function summarizeCertificate(cert: X509Certificate, now: Date = new Date()): CertSummary {
  const validTo = new Date(cert.validTo);
  return {
    subject: oneLineName(cert.subject),
    issuer: oneLineName(cert.issuer),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: daysUntil(validTo, now),
    // Not checkIssued(): OpenSSL's issuer check also wants keyCertSign, which client certificates lack.
    selfSigned: cert.subject === cert.issuer && cert.verify(cert.publicKey),
  };
}
