/** Which stores `trust` and `untrust` act on: those named on the command line, else those found on this machine. */
import type { CertificateAuthority } from '../../tls/ca.js';
import { javaCacerts, javaStore } from './java.js';
import { findNssDatabases, nssStore } from './nss.js';
import { onPath, type TrustedCa, type TrustStore } from './store.js';
import { systemStore } from './system.js';

export interface StoreSelection {
  readonly system: boolean;
  readonly nss: readonly string[];
  readonly java: boolean;
}

export function trustedCa(ca: CertificateAuthority): TrustedCa {
  return {
    certPath: ca.certPath,
    certPem: ca.certPem,
    fingerprint256: ca.cert.fingerprint256,
    fingerprint1: ca.cert.fingerprint,
    short: ca.cert.fingerprint256.replaceAll(':', '').slice(0, 16),
  };
}

export interface ChosenStores {
  readonly stores: TrustStore[];
  /** `error:` lines for stores asked for that this machine does not have. */
  readonly missing: string[];
}

export async function chooseStores(ca: TrustedCa, selection: StoreSelection, env: NodeJS.ProcessEnv = process.env): Promise<ChosenStores> {
  const named = selection.system || selection.java || selection.nss.length > 0;
  const stores: TrustStore[] = [];
  const missing: string[] = [];
  if (selection.system || !named) {
    const system = systemStore(ca);
    if (system) stores.push(system);
    else if (named) missing.push('error: system: no trust store of a kind mtls-proxy knows here (Debian/Ubuntu, Fedora/RHEL or macOS)');
  }
  const databases = named ? selection.nss : findNssDatabases();
  stores.push(...databases.map((dir) => nssStore(ca, dir)));
  const keytool = await onPath('keytool');
  // Without keytool the store reports the missing tool before it needs the keystore's path.
  if (selection.java || (!named && keytool !== null)) stores.push(javaStore(ca, javaCacerts(env, keytool) ?? 'cacerts', env));
  return { stores, missing };
}
