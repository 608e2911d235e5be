import type { KeyObject, X509Certificate } from 'node:crypto';
import { CertificateError } from '../errors.js';
import { IdentityError, IdentityErrors, type IdentityField } from './errors.js';
import { readMaterialWithMode, readableByOthersWarning } from './files.js';
import { parsePrivateKey } from './key.js';
import { readCertificates } from './pem.js';
import { oneLineName, summarizeCertificate, type CertSummary } from './summary.js';

/** A client certificate ready for upstream TLS. */
export interface ClientIdentity {
  /** Leaf first, then its issuers. */
  readonly certChainPem: string;
  /** Decrypted PKCS#8 PEM; memory only, never logged. */
  readonly keyPem: string;
  readonly leaf: X509Certificate;
  readonly summary: CertSummary;
  /** Usable but suspicious: expired, not yet valid, self-signed, a key file others can read. */
  readonly warnings: readonly string[];
  /** The one of `warnings` about the key (or PKCS#12) file, which belongs to that config key. */
  readonly keyFileWarning: string | null;
}

/** The files of one `clientCertificates` rule: cert + key, or pfx. */
export interface IdentitySource {
  cert?: string;
  key?: string;
  pfx?: string;
  passphrase?: string;
}

interface KeyAndChain {
  readonly key: KeyObject;
  readonly chain: readonly X509Certificate[];
  /** The file holding the private key, when other users can read it. */
  readonly keyFileWarning: string | null;
}

/** Tags a problem with a file by the config key that named the file. */
async function forField<T>(field: IdentityField, pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    if (err instanceof CertificateError && !(err instanceof IdentityError)) {
      throw new IdentityError(field, err.code, err.message, { cause: err });
    }
    throw err;
  }
}

/** Leaf first, then each issuer found among the others, then whatever is left in the given order. */
function orderChain(leaf: X509Certificate, others: readonly X509Certificate[]): X509Certificate[] {
  const chain = [leaf];
  const rest = [...others];
  for (;;) {
    const last = chain[chain.length - 1]!;
    const issuer = rest.findIndex((cert) => last.checkIssued(cert));
    if (issuer === -1) return [...chain, ...rest];
    chain.push(...rest.splice(issuer, 1));
  }
}

async function loadPem(certFile: string, keyFile: string, passphrase: string | undefined): Promise<KeyAndChain> {
  // Both files are read before either problem is reported, so that both are, in a fixed order.
  const [certs, keyRead] = await Promise.allSettled([forField('cert', readCertificates(certFile)), forField('key', readMaterialWithMode(keyFile))]);
  if (certs.status === 'rejected' && keyRead.status === 'rejected') {
    const both: unknown[] = [certs.reason, keyRead.reason];
    throw both.every((e) => e instanceof IdentityError) ? new IdentityErrors(both as IdentityError[]) : both[0];
  }
  if (certs.status === 'rejected') throw certs.reason;
  if (keyRead.status === 'rejected') throw keyRead.reason;
  const [certificates, keyContent] = [certs.value, keyRead.value];
  const key = parsePrivateKey(keyContent.contents, keyFile, passphrase);
  const [first, ...rest] = certificates as [X509Certificate, ...X509Certificate[]];
  if (!first.checkPrivateKey(key)) {
    const owner = rest.find((cert) => cert.checkPrivateKey(key));
    if (owner) {
      throw new IdentityError('cert', 'ERR_CERT_ORDER', `${certFile} lists ${oneLineName(first.subject)} before ${oneLineName(owner.subject)}, the certificate the key belongs to, which must come first`);
    }
    throw new IdentityError('key', 'ERR_KEY_MISMATCH', `the key in ${keyFile} does not belong to the certificate ${oneLineName(first.subject)} in ${certFile}`);
  }
  return { key, chain: orderChain(first, rest), keyFileWarning: readableByOthersWarning(keyFile, keyContent.mode) };
}

async function loadPfx(pfxFile: string, passphrase: string | undefined): Promise<KeyAndChain> {
  // node-forge's PKCS#12 code weighs about 8 MiB: loaded only by a proxy that has a .p12 file.
  const { openPkcs12 } = await import('./pkcs12.js');
  const { contents, mode } = await forField('pfx', readMaterialWithMode(pfxFile));
  const { key, certificates } = openPkcs12(contents, pfxFile, passphrase);
  const leaf = certificates.find((cert) => cert.checkPrivateKey(key));
  if (!leaf) throw new IdentityError('pfx', 'ERR_PKCS12_INVALID', `${pfxFile} holds no certificate for its private key`);
  return { key, chain: orderChain(leaf, certificates.filter((cert) => cert !== leaf)), keyFileWarning: readableByOthersWarning(pfxFile, mode) };
}

async function loadKeyAndChain(source: IdentitySource): Promise<KeyAndChain> {
  const { cert, key, pfx, passphrase } = source;
  if (pfx !== undefined && (cert !== undefined || key !== undefined)) {
    throw new IdentityError('pfx', 'ERR_IDENTITY_SOURCE', 'set either pfx or cert and key, not both');
  }
  if (pfx !== undefined) return loadPfx(pfx, passphrase);
  if (cert === undefined) throw new IdentityError('cert', 'ERR_IDENTITY_SOURCE', 'set cert and key, or pfx');
  if (key === undefined) throw new IdentityError('key', 'ERR_IDENTITY_SOURCE', `set the key that belongs to ${cert}`);
  return loadPem(cert, key, passphrase);
}

// id-kp-clientAuth and anyExtendedKeyUsage (RFC 5280 4.2.1.12).
const CLIENT_AUTH_USAGES = ['1.3.6.1.5.5.7.3.2', '2.5.29.37.0'];

/** Problems a server will likely reject the certificate for, which still do not stop the proxy. */
export function identityWarnings(leaf: X509Certificate, summary: CertSummary, now: Date): string[] {
  const name = `the client certificate ${summary.subject}`;
  const warnings: string[] = [];
  if (Date.parse(summary.validTo) < now.getTime()) {
    warnings.push(`${name} expired on ${summary.validTo}; servers will reject it`);
  } else if (now.getTime() < Date.parse(summary.validFrom)) {
    warnings.push(`${name} is not valid until ${summary.validFrom}; servers will reject it until then`);
  }
  if (summary.selfSigned) warnings.push(`${name} is self-signed; only servers that trust it directly will accept it`);
  // Node 20 calls the extended key usage `keyUsage`; absent means any use.
  if (leaf.keyUsage && !leaf.keyUsage.some((usage) => CLIENT_AUTH_USAGES.includes(usage))) {
    warnings.push(`${name} is not meant for client authentication (its extended key usage lacks clientAuth); servers may reject it`);
  }
  return warnings;
}

/** Loads and checks one client identity; throws IdentityError naming the config key at fault. */
export async function loadClientIdentity(source: IdentitySource, now: Date = new Date()): Promise<ClientIdentity> {
  const { key, chain, keyFileWarning } = await loadKeyAndChain(source);
  const leaf = chain[0]!;
  const summary = summarizeCertificate(leaf, now);
  return Object.freeze({
    certChainPem: chain.map((cert) => cert.toString()).join(''),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    leaf,
    summary,
    warnings: Object.freeze([...(keyFileWarning === null ? [] : [keyFileWarning]), ...identityWarnings(leaf, summary, now)]),
    keyFileWarning,
  });
}
