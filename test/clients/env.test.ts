import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleText, systemRoots, writeBundle } from '../../src/clients/bundle.js';
import { NO_PROXY, nodeOptionsWith, proxyEnvironment, proxyUrl } from '../../src/clients/env.js';
import { tempDir } from '../helpers/cli.js';
import { makeCa } from '../helpers/pki.js';

const { dir, remove } = tempDir('env');
afterAll(remove);

describe('proxyUrl', () => {
  it('a wildcard listen address is reached on loopback', () => {
    expect(proxyUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(proxyUrl('::', 8080)).toBe('http://[::1]:8080');
    expect(proxyUrl('127.0.0.1', 3128)).toBe('http://127.0.0.1:3128');
    expect(proxyUrl('::1', 3128)).toBe('http://[::1]:3128');
  });

  it("percent-encodes listen.auth, so a URL parser gives back exactly the credentials", () => {
    const auth = { username: 'me@corp', password: "p'a$s:w@rd/%?#!()* é" };
    const url = new URL(proxyUrl('127.0.0.1', 8080, auth));
    expect(url.host).toBe('127.0.0.1:8080');
    expect(decodeURIComponent(url.username)).toBe(auth.username);
    expect(decodeURIComponent(url.password)).toBe(auth.password);
    expect(proxyUrl('127.0.0.1', 8080, auth)).toMatch(/^http:\/\/[A-Za-z0-9%._~-]+:[A-Za-z0-9%._~-]+@127\.0\.0\.1:8080$/);
  });
});

describe('NODE_OPTIONS', () => {
  it('adds the preload after what is there, once', () => {
    const once = nodeOptionsWith('--max-old-space-size=512', '/opt/m/preload.cjs');
    expect(once).toBe('--max-old-space-size=512 --require /opt/m/preload.cjs');
    expect(nodeOptionsWith(once, '/opt/m/preload.cjs')).toBe(once);
    expect(nodeOptionsWith(undefined, '/opt/m/preload.cjs')).toBe('--require /opt/m/preload.cjs');
    expect(nodeOptionsWith('  ', '/opt/m/preload.cjs')).toBe('--require /opt/m/preload.cjs');
  });

  it('a preload path with a space, a quote or a backslash is one argument to Node', () => {
    const folder = path.join(dir, `odd "dir" \\ it's`);
    execFileSync('mkdir', ['-p', folder]);
    const preload = path.join(folder, 'preload.cjs');
    writeFileSync(preload, "process.stdout.write('preloaded;');\n");
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write('main')"], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptionsWith(undefined, preload) },
    });
    expect(out).toBe('preloaded;main');
  });
});

describe('proxyEnvironment', () => {
  it('names every variable of the contract, in one place each', () => {
    const vars = Object.fromEntries(
      proxyEnvironment({ proxyUrl: 'http://127.0.0.1:8080', caCert: '/ca/ca.crt', bundle: '/ca/bundle.pem', preload: '/p.cjs', nodeOptions: undefined }),
    );
    expect(vars).toEqual({
      HTTPS_PROXY: 'http://127.0.0.1:8080',
      HTTP_PROXY: 'http://127.0.0.1:8080',
      https_proxy: 'http://127.0.0.1:8080',
      http_proxy: 'http://127.0.0.1:8080',
      NO_PROXY,
      no_proxy: NO_PROXY,
      NODE_EXTRA_CA_CERTS: '/ca/ca.crt',
      NODE_USE_ENV_PROXY: '1',
      NODE_OPTIONS: '--require /p.cjs',
      SSL_CERT_FILE: '/ca/bundle.pem',
      REQUESTS_CA_BUNDLE: '/ca/bundle.pem',
      CURL_CA_BUNDLE: '/ca/bundle.pem',
    });
    expect(NO_PROXY).toBe('localhost,127.0.0.1,::1');
  });
});

describe('bundle.pem', () => {
  const ca = makeCa('Bundle Test CA');

  it("is the system's roots followed by the proxy's CA", async () => {
    const roots = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    expect(bundleText(roots, ca.certPem)).toBe(`${roots}\n${ca.certPem}`);
  });

  it('takes the first system bundle that holds certificates, else the roots compiled into Node', async () => {
    const empty = path.join(dir, 'empty.pem');
    const system = path.join(dir, 'system.pem');
    writeFileSync(empty, '');
    writeFileSync(system, ca.certPem);
    expect(await systemRoots([path.join(dir, 'missing.pem'), empty, system])).toBe(ca.certPem);
    const fallback = await systemRoots([path.join(dir, 'missing.pem'), empty]);
    expect(fallback).toContain(rootCertificates[0]!);
    expect(fallback.match(/BEGIN CERTIFICATE/g)).toHaveLength(rootCertificates.length);
  });

  it('is rewritten when the roots or the CA change, and left alone when neither did', async () => {
    const folder = path.join(dir, 'ca');
    execFileSync('mkdir', ['-p', folder]);
    const file = await writeBundle(folder, ca.certPem, 'ROOTS\n');
    expect(readFileSync(file, 'utf8')).toBe(`ROOTS\n${ca.certPem}`);
    // A rewrite renames a new file over it (made while the old one exists, so with another inode).
    const first = statSync(file).ino;
    await writeBundle(folder, ca.certPem, 'ROOTS\n');
    expect(statSync(file).ino).toBe(first);
    const other = makeCa('Another CA');
    await writeBundle(folder, other.certPem, 'ROOTS\n');
    expect(readFileSync(file, 'utf8')).toBe(`ROOTS\n${other.certPem}`);
    await writeBundle(folder, other.certPem, 'NEW ROOTS\n');
    expect(readFileSync(file, 'utf8')).toBe(`NEW ROOTS\n${other.certPem}`);
  });
});
