import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, tempDir, type CliResult } from '../helpers/cli.js';
import { BOB_PASS, configYaml, THREE_RULES, writeCliPki, type CliPki } from './fixtures.js';

let dir: string;
let remove: () => void;
let pki: CliPki;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-match'));
  pki = writeCliPki(dir);
  writeFileSync(path.join(dir, 'config.yaml'), configYaml(THREE_RULES));
  writeFileSync(path.join(dir, 'all.yaml'), configYaml('intercept: all\n'));
  writeFileSync(path.join(dir, 'ips.yaml'), configYaml('clientCertificates:\n  - { host: "::1", port: "*", cert: certs/alice.crt, key: certs/alice.key }\n'));
});
afterAll(() => remove());

const match = (...args: string[]): Promise<CliResult> => runCli(['match', ...args], { cwd: dir, env: { BOB_PASS } });

describe('mtls-proxy match', () => {
  it('names the rule and its certificate for a wildcard match', async () => {
    const result = await match('www.example.com');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`www.example.com:443: rule clientCertificates[0] (host "*.example.com", port 443) in ${path.join(dir, 'config.yaml')}`);
    expect(result.stdout).toContain(`  certificate:    CN=alice,O=Acme\n  issuer:         CN=CLI Test Root\n  fingerprint256: ${pki.alice.fingerprint256}\n`);
    expect(result.stdout).toContain(`  from:           ${path.join(dir, 'certs/alice.crt')} + ${path.join(dir, 'certs/alice.key')}\n`);
  });

  it('prefers the exact host, on each of its ports', async () => {
    for (const target of ['api.example.com', 'api.example.com:8443']) {
      const result = await match(target);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^api\.example\.com:(443|8443): rule clientCertificates\[1\] \(host "api\.example\.com", port 443,8443\)/);
      expect(result.stdout).toContain(`fingerprint256: ${pki.bob.fingerprint256}`);
    }
  });

  it('falls back to the wildcard on a port the exact rule does not cover', async () => {
    const result = await match('api.example.com:9443');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('api.example.com:9443: no rule: tunnelled untouched, without a client certificate\n');
  });

  it('reads a PKCS#12 rule on any port', async () => {
    const result = await match('partner.example.org:1234');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rule clientCertificates[2] (host "partner.example.org", port *)');
    expect(result.stdout).toContain(`fingerprint256: ${pki.carol.fingerprint256}`);
    expect(result.stdout).toContain(`  from:           ${path.join(dir, 'certs/carol.p12')}\n`);
  });

  it('canonicalises the host: case and a trailing dot do not matter', async () => {
    const result = await match('WWW.Example.COM.:443');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^www\.example\.com:443: rule clientCertificates\[0\]/);
  });

  it('says "no rule: tunnelled" for a host without a rule, and what intercept: all does instead', async () => {
    expect((await match('example.com')).stdout).toBe('example.com:443: no rule: tunnelled untouched, without a client certificate\n');
    expect((await match('example.com', '-c', 'all.yaml')).stdout).toBe('example.com:443: no rule: intercepted (intercept: all) without a client certificate\n');
  });

  it('matches an IPv6 literal in brackets', async () => {
    const result = await match('[::1]:8443', '-c', 'ips.yaml');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\[::1\]:8443: rule clientCertificates\[0\] \(host "::1", port \*\)/);
  });

  it('rejects a host no server can have, with exit 2', async () => {
    for (const target of ['bad host', 'a.example.com:99999', 'https://a.example.com']) {
      const result = await match(target);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: Invalid (host|authority) /);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('reports a broken config with exit 2', async () => {
    const result = await runCli(['match', 'www.example.com'], { cwd: dir, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('clientCertificates[1].passphrase: uses ${BOB_PASS}');
  });

  it('reports a broken certificate of another rule, as start would, with exit 2', async () => {
    writeFileSync(path.join(dir, 'broken.yaml'), configYaml('clientCertificates:\n  - { host: a.example.com, cert: certs/missing.crt, key: certs/alice.key }\n'));
    const result = await match('other.example.org', '-c', 'broken.yaml');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('clientCertificates[0].cert: cannot read');
  });
});
