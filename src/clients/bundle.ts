/**
 * bundle.pem in the CA folder: the system's roots followed by the proxy's CA. The
 * variables that point at it (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)
 * replace a program's roots rather than add to them, and hosts without a rule are
 * tunnelled with their real certificates, so the system roots must stay in.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { writeFileAtomic } from '../tls/ca-files.js';

/** Where distributions keep their bundle of trusted roots (Debian, Fedora/RHEL, macOS/BSD, openSUSE, Alpine). */
export const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
];

/** The first readable system bundle holding a certificate; else the roots compiled into Node. */
export async function systemRoots(candidates: readonly string[] = SYSTEM_BUNDLES): Promise<string> {
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  }
  return `${rootCertificates.join('\n')}\n`;
}

export function bundleText(roots: string, caPem: string): string {
  const separated = roots.endsWith('\n') || roots === '' ? roots : `${roots}\n`;
  return `${separated}${caPem.endsWith('\n') ? caPem : `${caPem}\n`}`;
}

/** Writes `dir/bundle.pem` when its content would change; returns its path. */
export async function writeBundle(dir: string, caPem: string, roots?: string): Promise<string> {
  const file = path.join(dir, 'bundle.pem');
  const text = bundleText(roots ?? (await systemRoots()), caPem);
  const current = await readFile(file, 'utf8').catch(() => null);
  if (current !== text) await writeFileAtomic(file, text, 0o644);
  return file;
}

/**
 * Brings an existing `dir/bundle.pem` up to date, for `start`: a CA made anew after
 * `env` wrote the bundle must not leave programs trusting the old one. Where `env`
 * never wrote one, none is made.
 */
export async function refreshBundle(dir: string, caPem: string): Promise<void> {
  const file = path.join(dir, 'bundle.pem');
  if ((await readFile(file, 'utf8').catch(() => null)) !== null) await writeBundle(dir, caPem);
}
