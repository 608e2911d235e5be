import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

const run = promisify(execFile);

/** Debian's chromium package; browsers are never downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A home folder whose NSS database (where Chromium on Linux reads the CAs a user
 * added) trusts `caFiles`, made with certutil as the README says; none for a
 * browser that trusts no extra CA.
 */
export async function nssHome(caFiles: Record<string, string>): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'mtls-proxy-chromium-home-'));
  const nssdb = join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  await run('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password'], { timeout: 30_000 });
  for (const [nickname, file] of Object.entries(caFiles)) {
    await run('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', nickname, '-i', file], { timeout: 30_000 });
  }
  return home;
}

/**
 * Headless Chromium with a fresh profile, `home` as $HOME, certificate errors
 * left to fail (ignoreHTTPSErrors false), and a resolver that answers only for
 * loopback names and `mapped` (host to 127.0.0.1), so nothing leaves the
 * machine whatever the browser tries on its own.
 */
export async function launchChromium(home: string, proxyArgs: string[], mapped: string[] = []): Promise<BrowserContext> {
  const resolver = [...mapped.map((host) => `MAP ${host} 127.0.0.1`), 'MAP * ~NOTFOUND', 'EXCLUDE 127.0.0.1', 'EXCLUDE localhost'].join(', ');
  return chromium.launchPersistentContext(join(home, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: false,
    timeout: 30_000,
    env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=${resolver}`,
      ...proxyArgs,
    ],
  });
}
