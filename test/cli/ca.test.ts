import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliBinary, tempDir } from '../helpers/cli.js';

let dir: string;
let remove: () => void;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-ca'));
  writeFileSync(path.join(dir, 'config.yaml'), 'listen:\n  port: 18080\nca:\n  dir: ./proxy-ca\n');
});
afterAll(() => remove());

const caDir = (): string => path.join(dir, 'proxy-ca');

describe('mtls-proxy ca', () => {
  let first: X509Certificate;

  it('creates the CA on first use and prints it as PEM, with how to trust it on stderr', async () => {
    const result = await runCli(['ca'], { cwd: dir });
    expect(result.code).toBe(0);
    first = new X509Certificate(result.stdout);
    expect(first.ca).toBe(true);
    expect(result.stdout).toBe(readFileSync(path.join(caDir(), 'ca.crt'), 'utf8'));
    expect(statSync(path.join(caDir(), 'ca.key')).mode & 0o777).toBe(0o600);

    const crt = path.join(caDir(), 'ca.crt');
    expect(result.stderr).toContain(`created a new CA in ${caDir()}`);
    for (const words of [
      `curl --proxy http://127.0.0.1:18080 --cacert ${crt}`,
      // Node 20 ignores HTTPS_PROXY: trusting the CA alone does not send a program through the proxy.
      'mtls-proxy run -- node app.js',
      'eval "$(mtls-proxy env)"',
      `NODE_EXTRA_CA_CERTS=${crt}`,
      `REQUESTS_CA_BUNDLE=${crt}`,
      'update-ca-certificates',
      `security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${crt}`,
      `certutil -addstore -f Root ${crt}`,
      `Authorities > Import ${crt}`,
      'http://127.0.0.1:18080/ca.crt',
      // Tunnelled hosts keep their real certificates, which a client trusting only this CA rejects.
      "--cacert and REQUESTS_CA_BUNDLE replace the usual trusted roots",
    ]) {
      expect(result.stderr).toContain(words);
    }
  });

  it('prints the same CA afterwards, without creating another', async () => {
    const result = await runCli(['ca'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(new X509Certificate(result.stdout).fingerprint256).toBe(first.fingerprint256);
    expect(result.stderr).not.toContain('created');
  });

  it('leaves out the tunnelled-hosts advice when every connection is intercepted', async () => {
    writeFileSync(path.join(dir, 'all.yaml'), 'ca:\n  dir: ./proxy-ca\nintercept: all\n');
    const result = await runCli(['ca', '-c', 'all.yaml'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('NODE_EXTRA_CA_CERTS=');
    expect(result.stderr).not.toContain('replace the usual trusted roots');
  });

  it('--der writes DER to stdout', async () => {
    const result = await runCliBinary(['ca', '--der'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toBe(0x30);
    expect(new X509Certificate(result.stdout).fingerprint256).toBe(first.fingerprint256);
  });

  it('--out writes the file instead of stdout, and the help names it', async () => {
    const result = await runCli(['ca', '--out', 'exported.pem'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const out = path.join(dir, 'exported.pem');
    expect(result.stderr).toContain(`wrote ${out}`);
    expect(result.stderr).toContain(`NODE_EXTRA_CA_CERTS=${out}`);
    expect(new X509Certificate(readFileSync(out)).fingerprint256).toBe(first.fingerprint256);
  });

  it('--der --out writes DER, and the help keeps naming the PEM file that clients read', async () => {
    const result = await runCli(['ca', '--der', '--out', 'exported.der'], { cwd: dir });
    expect(result.code).toBe(0);
    const der = readFileSync(path.join(dir, 'exported.der'));
    expect(new X509Certificate(der).raw.equals(first.raw)).toBe(true);
    expect(result.stderr).toContain(`NODE_EXTRA_CA_CERTS=${path.join(caDir(), 'ca.crt')}`);
  });

  it('says plainly when --out cannot be written', async () => {
    const result = await runCli(['ca', '--out', 'no-such-folder/ca.pem'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: cannot write ${path.join(dir, 'no-such-folder/ca.pem')}: its folder does not exist\n`);
  });
});
