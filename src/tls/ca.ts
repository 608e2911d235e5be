/**
 * The proxy's own CA, which its clients trust: generated into `ca.dir` on first use,
 * or brought by the user as `ca.cert` + `ca.key`. Either way it is checked the same way
 * before it signs anything.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileWithMode, readableByOthersWarning } from '../certs/files.js';
import { parseCertificates } from '../certs/pem.js';
import type { Config } from '../config/types.js';
import { CertificateError, ConfigError } from '../errors.js';
import { buildCaCertificate } from './ca-certificate.js';
import { describeFileError, fileExists, writeFileAtomic } from './ca-files.js';
import { signatureAlgorithmFor } from './x509.js';

export interface CertificateAuthority {
  readonly cert: X509Certificate;
  readonly certPem: string;
  /** A brought intermediate CA and any intermediates above it (PEM; empty for a root), sent after each leaf. */
  readonly chainPem: string;
  readonly key: KeyObject;
  readonly certPath: string;
  /** True when this call generated the CA (so clients have yet to trust it). */
  readonly created: boolean;
  /** Found while loading, such as a key other users can read; caWarnings reports them. */
  readonly loadWarnings: readonly string[];
}

/** Builds the ConfigError for a config key; bound to the config file once. */
type Problem = (field: string, reason: string, options?: { cause?: unknown; code?: string }) => ConfigError;

/** The two files of a CA and the config key to name when one of them is unusable. */
interface CaFiles {
  readonly certPath: string;
  readonly keyPath: string;
  readonly passphrase: string | undefined;
  readonly certField: string;
  readonly keyField: string;
  /** ca.dir's files, which the proxy generated, rather than a CA the user brought. */
  readonly generated: boolean;
}

export async function loadOrCreateCa(config: Config['ca'], configFile: string | null): Promise<CertificateAuthority> {
  const problem: Problem = (field, reason, options) => new ConfigError(configFile, field, reason, options);

  if (config.cert !== undefined || config.key !== undefined) {
    if (config.cert === undefined || config.key === undefined) {
      throw problem(
        config.cert === undefined ? 'ca.cert' : 'ca.key',
        'ca.cert and ca.key must be set together (or neither, to use the generated CA in ca.dir).',
      );
    }
    const files = { certPath: config.cert, keyPath: config.key, certField: 'ca.cert', keyField: 'ca.key', generated: false };
    return loadCa({ ...files, passphrase: config.passphrase }, problem);
  }

  const certPath = path.join(config.dir, 'ca.crt');
  const keyPath = path.join(config.dir, 'ca.key');
  const [hasCert, hasKey] = await Promise.all([fileExists(certPath), fileExists(keyPath)]).catch((err: unknown) => {
    throw problem('ca.dir', `${config.dir} cannot be read: ${describeFileError(err)}.`, { cause: err });
  });
  if (!hasCert && !hasKey) return createCa(config.dir, certPath, keyPath, problem);
  if (!hasCert || !hasKey) {
    const [present, missing] = hasCert ? ['ca.crt', 'ca.key'] : ['ca.key', 'ca.crt'];
    throw problem(
      'ca.dir',
      `${config.dir} holds ${present} but not ${missing}; restore ${missing}, or delete ${present} to have a new CA generated.`,
    );
  }
  return loadCa({ certPath, keyPath, passphrase: config.passphrase, certField: 'ca.dir', keyField: 'ca.dir', generated: true }, problem);
}

const DAY_MS = 86_400_000;
const EXPIRY_WARNING_DAYS = 30;

/** Problems that do not stop the proxy but will make clients reject its certificates. */
export function caWarnings(ca: CertificateAuthority, now = new Date()): string[] {
  return [...ca.loadWarnings, ...expiryWarnings(ca, now)];
}

function expiryWarnings(ca: CertificateAuthority, now: Date): string[] {
  const validFrom = new Date(ca.cert.validFrom);
  const validTo = new Date(ca.cert.validTo);
  const subject = `The proxy CA certificate ${ca.certPath}`;
  const replace =
    'replace it (delete ca.crt and ca.key to have a generated CA made anew) and have clients trust the new one';
  if (now < validFrom) {
    return [`${subject} is not valid before ${validFrom.toISOString()}; check this machine's clock.`];
  }
  if (now > validTo) {
    return [`${subject} expired on ${validTo.toISOString()}; clients reject intercepted connections until you ${replace}.`];
  }
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft <= EXPIRY_WARNING_DAYS) {
    return [`${subject} expires in ${daysLeft} days (${validTo.toISOString()}); ${replace} before then.`];
  }
  return [];
}

async function createCa(dir: string, certPath: string, keyPath: string, problem: Problem): Promise<CertificateAuthority> {
  // ECDSA P-256 rather than RSA: every leaf is a signature by this key, 20 µs against
  // RSA-2048's 240 µs, and every client since TLS 1.2 accepts it.
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certPem = buildCaCertificate(keys, os.hostname(), new Date());
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // An existing folder (the checkout's ./ca comes with 0755) is narrowed too: it will hold a CA key.
    await chmod(dir, 0o700);
    await writeFileAtomic(keyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    await writeFileAtomic(certPath, certPem, 0o644);
  } catch (err) {
    throw problem('ca.dir', `The CA cannot be written to ${dir}: ${describeFileError(err)}.`, { cause: err });
  }
  return { cert: new X509Certificate(certPem), certPem, chainPem: '', key: keys.privateKey, certPath, created: true, loadWarnings: [] };
}

async function loadCa(files: CaFiles, problem: Problem): Promise<CertificateAuthority> {
  const { certPath, keyPath, certField, keyField } = files;
  const keyFile = await readCaFile(keyPath, keyField, problem);
  const loadWarnings = await keyModeWarnings(files, keyFile.mode, problem);
  const { cert, chain } = parseCaCertificate((await readCaFile(certPath, certField, problem)).contents, certPath, certField, problem);
  const key = parsePrivateKey(keyFile.contents.toString('utf8'), files, problem);
  try {
    signatureAlgorithmFor(key);
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    throw problem(keyField, `${keyPath}: ${err.message}`, { cause: err });
  }
  if (!cert.checkPrivateKey(key)) {
    throw problem(keyField, `${keyPath} is not the private key of the CA certificate ${certPath}.`);
  }
  // An intermediate CA is sent with every leaf, with what stands above it short of the root.
  const chainPem = [cert, ...chain].filter((c) => !isSelfSigned(c)).map((c) => c.toString()).join('');
  return { cert, certPem: cert.toString(), chainPem, key, certPath, created: false, loadWarnings };
}

/**
 * Anyone who can read the CA key can mint certificates every client of this proxy trusts.
 * A brought key others can read (a secret mounted read-only) is a warning. A generated
 * key in ca.dir was written 0600: found wider and writable, someone loosened it, and
 * that stays an error; read-only, it is a secret mount too.
 */
async function keyModeWarnings(files: CaFiles, mode: number, problem: Problem): Promise<string[]> {
  const warning = readableByOthersWarning(files.keyPath, mode);
  if (warning === null) return [];
  const { keyPath, keyField } = files;
  if (files.generated && !(await isReadOnly(keyPath, mode))) {
    throw problem(
      keyField,
      `${keyPath} can be accessed by other users (mode 0${mode.toString(8)}); run \`chmod 600 ${keyPath}\` so only its owner can read it.`,
      { code: 'ERR_CA_KEY_UNSAFE' },
    );
  }
  return [`${warning}.`];
}

/** A read-only mount, or a file nobody may write (Docker secrets are 0444): its mode is not this proxy's to fix. */
async function isReadOnly(file: string, mode: number): Promise<boolean> {
  if ((mode & 0o200) === 0) return true;
  try {
    await access(file, constants.W_OK);
    return false;
  } catch {
    return true;
  }
}

async function readCaFile(file: string, field: string, problem: Problem): Promise<{ contents: Buffer; mode: number }> {
  try {
    return await readFileWithMode(file);
  } catch (err) {
    throw problem(field, `${file} cannot be read: ${describeFileError(err)}.`, { cause: err });
  }
}

function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** The CA certificate, and the certificates after it in a PEM file: its chain up to the root, sent with every leaf. */
function parseCaCertificate(bytes: Buffer, certPath: string, field: string, problem: Problem): { cert: X509Certificate; chain: X509Certificate[] } {
  let certs: X509Certificate[];
  try {
    certs = bytes.includes('-----BEGIN CERTIFICATE-----') ? parseCertificates(bytes, certPath) : [new X509Certificate(bytes)];
  } catch (err) {
    throw problem(field, `${certPath} is not a PEM or DER certificate.`, { cause: err });
  }
  const [cert, ...chain] = certs as [X509Certificate, ...X509Certificate[]];
  // OpenSSL's X509_check_ca: basicConstraints CA:TRUE, and keyCertSign when a keyUsage is present.
  if (!cert.ca) {
    throw problem(
      field,
      `${certPath} is not a CA certificate (it needs basicConstraints CA:TRUE and keyUsage keyCertSign), so it cannot sign the proxy's certificates.`,
    );
  }
  return { cert, chain };
}

const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

function parsePrivateKey(pem: string, files: CaFiles, problem: Problem): KeyObject {
  const encrypted = ENCRYPTED_PEM.test(pem);
  if (encrypted && files.passphrase === undefined) {
    throw problem('ca.passphrase', `${files.keyPath} is encrypted; set ca.passphrase to its passphrase.`);
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase: files.passphrase });
  } catch (err) {
    if (encrypted) throw problem('ca.passphrase', `ca.passphrase does not decrypt ${files.keyPath}.`, { cause: err });
    throw problem(files.keyField, `${files.keyPath} is not a PEM private key.`, { cause: err });
  }
}
