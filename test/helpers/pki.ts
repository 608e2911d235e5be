/**
 * A throwaway PKI made at test time: CAs, server and client certificates,
 * encrypted keys and PKCS#12 files. Nothing here is ever committed.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';

export interface TestCert {
  certPem: string;
  /** Unencrypted PKCS#8 PEM. */
  keyPem: string;
  cert: X509Certificate;
  fingerprint256: string;
}

type Validity = 'valid' | 'expired' | 'notYetValid';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

function validityWindow(validity: Validity, days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  switch (validity) {
    case 'valid':
      // An hour back so that clock skew between test processes never matters.
      return { notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + days * DAY_MS) };
    case 'expired':
      return { notBefore: new Date(now - 60 * DAY_MS), notAfter: new Date(now - DAY_MS) };
    case 'notYetValid':
      return { notBefore: new Date(now + DAY_MS), notAfter: new Date(now + 60 * DAY_MS) };
  }
}

/** 16 random bytes whose first byte is 0x01..0x7f: a positive INTEGER in minimal DER. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

function generateKey(): { keyPem: string; publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    keyPem: privateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey),
  };
}

interface CertSpec {
  subject: forge.pki.CertificateField[];
  /** Signed by its own key when absent. */
  issuer?: TestCert;
  validity: Validity;
  days: number;
  extensions: object[];
}

function issue(spec: CertSpec): TestCert {
  const key = generateKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = randomSerial();
  const { notBefore, notAfter } = validityWindow(spec.validity, spec.days);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject(spec.subject);

  const extensions: object[] = [...spec.extensions, { name: 'subjectKeyIdentifier' }];
  let signingKey = key.privateKey;
  if (spec.issuer) {
    const issuerCert = forge.pki.certificateFromPem(spec.issuer.certPem);
    cert.setIssuer(issuerCert.subject.attributes);
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() });
    signingKey = forge.pki.privateKeyFromPem(spec.issuer.keyPem);
  } else {
    cert.setIssuer(spec.subject);
  }
  cert.setExtensions(extensions);
  cert.sign(signingKey, forge.md.sha256.create());

  // Node's PEM (LF line ends), not forge's (CRLF), so it compares equal to what Node gives back.
  const x509 = new X509Certificate(forge.pki.certificateToPem(cert));
  return { certPem: x509.toString(), keyPem: key.keyPem, cert: x509, fingerprint256: x509.fingerprint256 };
}

function subjectOf(commonName: string, organization?: string): forge.pki.CertificateField[] {
  const fields: forge.pki.CertificateField[] = [{ shortName: 'CN', value: commonName }];
  if (organization !== undefined) fields.push({ shortName: 'O', value: organization });
  return fields;
}

/** The subjectAltName extension, or none when there is no name (an empty SAN is invalid). */
function subjectAltName(dnsNames: readonly string[], ips: readonly string[]): object[] {
  const altNames = [...dnsNames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))];
  return altNames.length === 0 ? [] : [{ name: 'subjectAltName', altNames }];
}

function validityOf(options: { expired?: boolean; notYetValid?: boolean } | undefined): Validity {
  if (options?.expired) return 'expired';
  if (options?.notYetValid) return 'notYetValid';
  return 'valid';
}

/** A root CA, or an intermediate when `issuer` is given. */
export function makeCa(commonName: string, options?: { issuer?: TestCert; expired?: boolean }): TestCert {
  return issue({
    subject: subjectOf(commonName),
    issuer: options?.issuer,
    validity: validityOf(options),
    days: 3650,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
}

/**
 * A server certificate (EKU serverAuth). Without names it covers `localhost` and
 * 127.0.0.1; `noSan` leaves only the common name, as legacy servers did.
 */
export function makeServerCert(
  issuer: TestCert,
  options: { dnsNames?: string[]; ips?: string[]; commonName?: string; expired?: boolean; noSan?: boolean },
): TestCert {
  const dnsNames = options.dnsNames ?? (options.ips ? [] : ['localhost']);
  const ips = options.ips ?? (options.dnsNames ? [] : ['127.0.0.1']);
  const commonName = options.commonName ?? dnsNames[0] ?? ips[0] ?? 'localhost';
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
  ];
  if (!options.noSan) extensions.push(...subjectAltName(dnsNames, ips));
  return issue({ subject: subjectOf(commonName), issuer, validity: validityOf(options), days: 365, extensions });
}

/** A client certificate (EKU clientAuth) for mTLS. */
export function makeClientCert(
  issuer: TestCert,
  commonName: string,
  options?: { expired?: boolean; notYetValid?: boolean; organization?: string; days?: number },
): TestCert {
  return issue({
    subject: subjectOf(commonName, options?.organization),
    issuer,
    validity: validityOf(options),
    days: options?.days ?? 365,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
}

/**
 * A self-signed server certificate (plus clientAuth when asked). It carries no
 * keyUsage: OpenSSL only treats a self-issued certificate as its own issuer
 * when keyUsage is absent or allows keyCertSign, and tests trust it directly.
 */
export function makeSelfSigned(
  commonName: string,
  options?: { dnsNames?: string[]; ips?: string[]; clientAuth?: boolean },
): TestCert {
  const cnIsIp = isIP(commonName) !== 0;
  const dnsNames = options?.dnsNames ?? (options?.ips || cnIsIp ? [] : [commonName]);
  const ips = options?.ips ?? (options?.dnsNames || !cnIsIp ? [] : [commonName]);
  return issue({
    subject: subjectOf(commonName),
    validity: 'valid',
    days: 365,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: options?.clientAuth ?? false },
      ...subjectAltName(dnsNames, ips),
    ],
  });
}

/**
 * The key encrypted with AES-256-CBC: PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`) by
 * default, or the traditional OpenSSL RSA form (`Proc-Type: 4,ENCRYPTED`) with `pkcs1`.
 */
export function encryptKey(keyPem: string, passphrase: string, options?: { format?: 'pkcs8' | 'pkcs1' }): string {
  return createPrivateKey(keyPem)
    .export({ type: options?.format ?? 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    .toString();
}

/**
 * A PKCS#12 file made by the openssl command line, so it is byte for byte what
 * users get: OpenSSL 3's default (AES-256-CBC, PBKDF2, SHA-256 MAC), or with
 * `legacyRc2` the RC2-40 certificates / 3DES key / SHA-1 MAC of OpenSSL 1.x, which
 * OpenSSL 3 refuses without its legacy provider. node-forge can write neither
 * (it leaves certificates unencrypted and only MACs with SHA-1).
 */
export function makePkcs12(cert: TestCert, chain: TestCert[], passphrase: string, options?: { legacyRc2?: boolean }): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtls-proxy-p12-'));
  try {
    const files = writeFiles(dir, {
      'cert.pem': cert.certPem,
      'key.pem': cert.keyPem,
      'chain.pem': chain.map((c) => c.certPem).join(''),
    });
    const out = path.join(dir, 'out.p12');
    const args = ['pkcs12', '-export', '-in', files['cert.pem']!, '-inkey', files['key.pem']!, '-out', out, '-passout', 'env:MTLS_PROXY_TEST_P12_PASS'];
    if (chain.length > 0) args.push('-certfile', files['chain.pem']!);
    if (options?.legacyRc2) args.push('-legacy');
    execFileSync('openssl', args, { env: { ...process.env, MTLS_PROXY_TEST_P12_PASS: passphrase }, stdio: ['ignore', 'ignore', 'pipe'] });
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes each file under `dir` (sub-folders created) and returns name -> absolute path. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const file = path.resolve(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: 0o600 });
    paths[name] = file;
  }
  return paths;
}
