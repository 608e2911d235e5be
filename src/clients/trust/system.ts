/** The operating system's trust store: Debian/Ubuntu, Fedora/RHEL, or macOS. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, type StoreCommand, type TrustedCa, type TrustStore } from './store.js';

const MACOS_KEYCHAIN = '/Library/Keychains/System.keychain';
const DEBIAN_JAVA_HOOK = '/etc/ca-certificates/update.d/jks-keystore';

/** A distribution that reads extra roots from a folder of PEM files, then rebuilds its bundle with one command. */
interface AnchorFolder {
  readonly family: string;
  readonly folder: string;
  readonly update: readonly string[];
  /** What else a removal needs, given the anchor file. */
  readonly afterRemoval: (file: string) => StoreCommand[];
  readonly package: string;
}

const DEBIAN: AnchorFolder = {
  family: 'Debian/Ubuntu',
  folder: '/usr/local/share/ca-certificates',
  update: ['update-ca-certificates'],
  afterRemoval: (file) => {
    // ca-certificates-java mirrors the store into Java's cacerts through this hook, but
    // update-ca-certificates tells it only of removed CAs it ships itself: it is told here.
    if (!existsSync(DEBIAN_JAVA_HOOK)) return [];
    const link = path.join('/etc/ssl/certs', `${path.basename(file, '.crt')}.pem`);
    return [{ argv: ['sh', '-c', 'echo "-$1" | "$2"', 'sh', link, DEBIAN_JAVA_HOOK] }];
  },
  package: 'ca-certificates',
};

const FEDORA: AnchorFolder = {
  family: 'Fedora/RHEL',
  folder: '/etc/pki/ca-trust/source/anchors',
  update: ['update-ca-trust', 'extract'],
  afterRemoval: () => [],
  package: 'ca-certificates',
};

function anchorStore(ca: TrustedCa, os: AnchorFolder): TrustStore {
  // update-ca-certificates reads only files ending in .crt.
  const file = path.join(os.folder, `mtls-proxy-${ca.short}.crt`);
  return {
    name: `system (${os.family}) ${file}`,
    tool: { command: os.update[0]!, package: os.package },
    isTrusted: async () => (await readFile(file, 'utf8').catch(() => null)) === ca.certPem,
    trustCommands: () => [{ argv: ['cp', ca.certPath, file] }, { argv: os.update }],
    untrustCommands: () => [{ argv: ['rm', '-f', file] }, { argv: os.update }, ...os.afterRemoval(file)],
  };
}

function macosStore(ca: TrustedCa): TrustStore {
  const sha256 = ca.fingerprint256.replaceAll(':', '');
  const sha1 = ca.fingerprint1.replaceAll(':', '');
  return {
    name: `system (macOS) ${MACOS_KEYCHAIN}`,
    tool: { command: 'security', package: 'macOS itself' },
    isTrusted: async () => {
      const { stdout } = await runCommand({ argv: ['security', 'find-certificate', '-a', '-Z', MACOS_KEYCHAIN] });
      return stdout.toUpperCase().includes(sha256);
    },
    trustCommands: () => [{ argv: ['security', 'add-trusted-cert', '-d', '-r', 'trustRoot', '-k', MACOS_KEYCHAIN, ca.certPath] }],
    untrustCommands: () => [
      { argv: ['security', 'remove-trusted-cert', '-d', ca.certPath] },
      { argv: ['security', 'delete-certificate', '-Z', sha1, MACOS_KEYCHAIN] },
    ],
  };
}

/** This machine's system store, or null when it is none of the kinds above. */
export function systemStore(ca: TrustedCa, platform: NodeJS.Platform = process.platform): TrustStore | null {
  if (platform === 'darwin') return macosStore(ca);
  if (platform !== 'linux') return null;
  if (existsSync(DEBIAN.folder)) return anchorStore(ca, DEBIAN);
  if (existsSync(FEDORA.folder)) return anchorStore(ca, FEDORA);
  return null;
}
