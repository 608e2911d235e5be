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

  it('names the rules that cover the host on other ports when none covers this one', async () => {
    const result = await match('api.example.com:9443');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'api.example.com:9443: no rule: tunnelled untouched, without a client certificate',
        '  dials:          api.example.com:9443 (DNS)',
        '  other ports:    clientCertificates[1] ("api.example.com", port 443,8443) and clientCertificates[0] ("*.example.com", port 443) match this host but not port 9443; add 9443 to the port of clientCertificates[1] to lend its certificate here',
        '',
      ].join('\n'),
    );
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
    expect((await match('example.com')).stdout).toBe('example.com:443: no rule: tunnelled untouched, without a client certificate\n  dials:          example.com:443 (DNS)\n');
    expect((await match('example.com', '-c', 'all.yaml')).stdout).toBe(
      'example.com:443: no rule: intercepted (intercept: all) without a client certificate\n  dials:          example.com:443 (DNS)\n  verified by:    system roots\n',
    );
  });

  it('takes a URL: its host, and its port or the scheme\'s', async () => {
    for (const [url, first] of [
      ['https://www.example.com/', 'www.example.com:443: rule clientCertificates[0]'],
      ['HTTPS://API.example.com:8443/v1/things?q=1#top', 'api.example.com:8443: rule clientCertificates[1]'],
      ['http://partner.example.org/path', 'partner.example.org:80: rule clientCertificates[2]'],
      ['https://[::1]:8443/', '[::1]:8443: rule clientCertificates[0]'],
    ] as const) {
      const result = await match(url, ...(url.includes('[::1]') ? ['-c', 'ips.yaml'] : []));
      expect(result.code, url).toBe(0);
      expect(result.stdout.split('\n')[0], url).toMatch(new RegExp(`^${first.replace(/[[\]().*]/g, '\\$&')}`));
    }
    const plain = await match('http://www.example.com:8080/');
    expect(plain.stdout.split('\n')[0]).toBe('www.example.com:8080: no rule: tunnelled untouched, without a client certificate');
  });

  it('shows the address dialled (after upstream.resolve, through upstream.proxy) and what verifies the server', async () => {
    writeFileSync(
      path.join(dir, 'route.yaml'),
      configYaml(`upstream:
  ca: [certs/root.pem]
  proxy: http://me:secret-word@127.0.0.1:3128
  noProxy: [direct.example.com]
  resolve:
    "www.example.com:443": "127.0.0.1:9443"
    direct.example.com: 127.0.0.2
clientCertificates:
  - { host: "*.example.com", cert: certs/alice.crt, key: certs/alice.key, ca: certs/root.pem }
  - { host: "direct.example.com", cert: certs/alice.crt, key: certs/alice.key, verify: false }
`),
    );
    const proxied = await match('www.example.com', '-c', 'route.yaml');
    expect(proxied.stdout).toContain('\n  dials:          127.0.0.1:9443 (upstream.resolve) through upstream.proxy 127.0.0.1:3128\n');
    expect(proxied.stdout).toContain('\n  verified by:    system roots + upstream.ca (1 file) + clientCertificates[0].ca (1 file)\n');
    expect(proxied.stdout).not.toContain('secret-word');
    const direct = await match('https://direct.example.com/', '-c', 'route.yaml');
    expect(direct.stdout).toContain('\n  dials:          127.0.0.2:443 (upstream.resolve)\n');
    expect(direct.stdout).toContain('\n  verified by:    verification off (clientCertificates[1].verify: false)\n');
  });

  it('matches an IPv6 literal in brackets', async () => {
    const result = await match('[::1]:8443', '-c', 'ips.yaml');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\[::1\]:8443: rule clientCertificates\[0\] \(host "::1", port \*\)/);
  });

  it('rejects a host no server can have, with exit 2', async () => {
    for (const target of ['bad host', 'a.example.com:99999', 'https://a.example.com:99999/', 'https://bad host/', 'ftp://a.example.com/']) {
      const result = await match(target);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: (Invalid (host|authority|URL) |"ftp:\/\/" URLs do not go through the proxy)/);
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
