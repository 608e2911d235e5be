/** NSS databases (Chrome/Chromium on Linux read ~/.pki/nssdb, Firefox its profile), through certutil. */
import { existsSync, readdirSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { runCommand, type TrustedCa, type TrustStore } from './store.js';

/** Folders that hold Firefox profiles, per platform and packaging. */
const FIREFOX_PROFILE_PARENTS = ['.mozilla/firefox', 'snap/firefox/common/.mozilla/firefox', 'Library/Application Support/Firefox/Profiles'];

/** The NSS databases of the user in `home`: ~/.pki/nssdb and every Firefox profile, where a cert9.db exists. */
export function findNssDatabases(home: string = homedir()): string[] {
  const candidates = [path.join(home, '.pki', 'nssdb')];
  for (const parent of FIREFOX_PROFILE_PARENTS) {
    const folder = path.join(home, parent);
    const profiles = existsSync(folder) ? readdirSync(folder, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
    candidates.push(...profiles.map((profile) => path.join(folder, profile.name)));
  }
  return candidates.filter((dir) => existsSync(path.join(dir, 'cert9.db')));
}

export function nssStore(ca: TrustedCa, dir: string): TrustStore {
  const database = `sql:${path.resolve(dir.replace(/^sql:/, ''))}`;
  const nickname = `mtls-proxy ${ca.short}`;
  return {
    name: `nss ${database}`,
    tool: { command: 'certutil', package: 'libnss3-tools' },
    isTrusted: async () => {
      const { code, stdout } = await runCommand({ argv: ['certutil', '-d', database, '-L', '-n', nickname, '-a'] });
      if (code !== 0 || !stdout.includes('BEGIN CERTIFICATE')) return false;
      return new X509Certificate(stdout).fingerprint256 === ca.fingerprint256;
    },
    // C,, : a CA trusted to issue server certificates (and nothing else).
    trustCommands: () => [{ argv: ['certutil', '-d', database, '-A', '-t', 'C,,', '-n', nickname, '-i', ca.certPath] }],
    untrustCommands: () => [{ argv: ['certutil', '-d', database, '-D', '-n', nickname] }],
  };
}
