import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, tempDir } from '../helpers/cli.js';
import { makeClientCert, makeSelfSigned, writeFiles } from '../helpers/pki.js';
import { BOB_PASS, configYaml, THREE_RULES, writeCliPki, type CliPki } from './fixtures.js';

let dir: string;
let remove: () => void;
let pki: CliPki;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-check'));
  pki = writeCliPki(dir);
});
afterAll(() => remove());

function check(name: string, yaml: string, env: Record<string, string> = { BOB_PASS }) {
  writeFileSync(path.join(dir, name), yaml);
  return runCli(['check', '-c', name], { cwd: dir, env });
}

/** The table's rows, cells split on runs of two or more spaces. */
function tableRows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.startsWith('RULE'));
  expect(header).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (line.trim() === '') break;
    rows.push(line.split(/ {2,}/));
  }
  return rows;
}

describe('mtls-proxy check', () => {
  it('prints a table of PEM, encrypted PEM and PKCS#12 rules and exits 0', async () => {
    const result = await check('three.yaml', configYaml(THREE_RULES));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`config: ${path.join(dir, 'three.yaml')}`);
    expect(result.stdout).toMatch(/^RULE +PATTERN +PORT +CERTIFICATE SUBJECT +DAYS LEFT +WARNINGS$/m);
    expect(tableRows(result.stdout)).toEqual([
      ['#0', '*.example.com', '443', 'CN=alice,O=Acme', '364', '-'],
      ['#1', 'api.example.com', '443,8443', 'CN=bob', '364', '-'],
      ['#2', 'partner.example.org', '*', 'CN=carol', '364', '-'],
    ]);
    expect(result.stdout).toMatch(/^OK: 3 rules, 0 warnings$/m);
  });

  it('never creates the CA; it says where one will be made', async () => {
    const result = await check('no-ca.yaml', configYaml(THREE_RULES));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ca: none yet; one is created in ${path.join(dir, 'ca')} on first start`);
    expect(existsSync(path.join(dir, 'ca'))).toBe(false);
  });

  it('exits 2 when the CA folder could not be created', async () => {
    const result = await check('ca-under-file.yaml', 'ca:\n  dir: ./certs/root.pem/ca\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${path.join(dir, 'ca-under-file.yaml')}: ca.dir: the CA cannot be created in ${path.join(dir, 'certs/root.pem/ca')}: ${path.join(dir, 'certs/root.pem')} is a file, not a folder\n`,
    );
  });

  it('checks an existing CA', async () => {
    const { dir: caHome, remove: removeCaHome } = tempDir('cli-check-ca');
    try {
      writeFileSync(path.join(caHome, 'config.yaml'), configYaml(''));
      expect((await runCli(['ca', '--out', 'ca.pem'], { cwd: caHome })).code).toBe(0);
      const ok = await runCli(['check'], { cwd: caHome });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`ca: ${path.join(caHome, 'ca', 'ca.crt')}`);

      // Half a CA stops `start`, so `check` must say so rather than "none yet".
      rmSync(path.join(caHome, 'ca', 'ca.key'));
      const broken = await runCli(['check'], { cwd: caHome });
      expect(broken.code).toBe(2);
      expect(broken.stderr).toContain(`error: ${path.join(caHome, 'config.yaml')}: ca.dir: `);
      expect(broken.stderr).toContain('holds ca.crt but not ca.key');
    } finally {
      removeCaHome();
    }
  });

  it('labels an expiring, an expired and a self-signed certificate and still exits 0', async () => {
    const soon = makeClientCert(pki.root, 'soon', { days: 10 });
    const old = makeClientCert(pki.root, 'old', { expired: true });
    const own = makeSelfSigned('own', { clientAuth: true });
    writeFiles(dir, {
      'certs/soon.crt': soon.certPem,
      'certs/soon.key': soon.keyPem,
      'certs/old.crt': old.certPem,
      'certs/old.key': old.keyPem,
      'certs/own.crt': own.certPem,
      'certs/own.key': own.keyPem,
    });
    const result = await check(
      'warnings.yaml',
      configYaml(`clientCertificates:
  - { host: soon.example.com, cert: certs/soon.crt, key: certs/soon.key }
  - { host: old.example.com, cert: certs/old.crt, key: certs/old.key }
  - { host: own.example.com, cert: certs/own.crt, key: certs/own.key }
`),
    );
    expect(result.code).toBe(0);
    const rows = tableRows(result.stdout);
    expect(rows.map((row) => row[5])).toEqual(['expires in 9 days', 'expired', 'self-signed']);
    expect(rows[1]![4]).toMatch(/^-\d+$/);
    expect(result.stderr).toMatch(/^warning: clientCertificates\[0\]\.cert: the client certificate CN=soon expires in 9 days/m);
    expect(result.stderr).toMatch(/^warning: clientCertificates\[1\]\.cert: the client certificate CN=old expired on /m);
    expect(result.stderr).toMatch(/^warning: clientCertificates\[2\]\.cert: the client certificate CN=own is self-signed/m);
    expect(result.stdout).toMatch(/^OK: 3 rules, 3 warnings$/m);
  });

  it('warns about a shadowed rule and about verification turned off', async () => {
    const result = await check(
      'shadow.yaml',
      configYaml(`clientCertificates:
  - { host: "*.example.com", cert: certs/alice.crt, key: certs/alice.key }
  - { host: "*.EXAMPLE.com", pfx: certs/carol.p12, passphraseFile: certs/carol.pass, verify: false }
`),
    );
    expect(result.code).toBe(0);
    expect(tableRows(result.stdout).map((row) => row[5])).toEqual(['shadowed by #1', 'verify off']);
    expect(result.stderr).toContain(
      'warning: clientCertificates[0]: the rule for "*.example.com" is never used on port 443: clientCertificates[1] ("*.EXAMPLE.com") wins for the same hosts',
    );
    expect(result.stderr).toMatch(/^warning: clientCertificates\[1\]\.verify: server certificates are not verified for "\*\.EXAMPLE\.com"/m);
  });

  it('warns about each wildcard that can reach a name anyone may register, and still exits 0', async () => {
    const result = await check(
      'risky.yaml',
      configYaml(`clientCertificates:
  - { host: "api.example.*", cert: certs/alice.crt, key: certs/alice.key }
  - { host: "*.example.com", cert: certs/alice.crt, key: certs/alice.key }
  - { host: "10.0.0.*", cert: certs/alice.crt, key: certs/alice.key }
  - { host: "*example.org", cert: certs/alice.crt, key: certs/alice.key }
`),
    );
    expect(result.code).toBe(0);
    expect(tableRows(result.stdout).map((row) => row[5])).toEqual(['risky wildcard', '-', 'risky wildcard', 'risky wildcard']);
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning: '));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: clientCertificates\[0\]\.host: "api\.example\.\*" also matches api\.example\.evil\.com, .* such as "api\.example\.\{com,net\}"$/),
      expect.stringMatching(/^warning: clientCertificates\[2\]\.host: "10\.0\.0\.\*" also matches 10\.0\.0\.evil\.com, .*one rule per address$/),
      expect.stringMatching(/^warning: clientCertificates\[3\]\.host: "\*example\.org" also matches evilexample\.org, .*write "\*\.example\.org"/),
    ]);
    expect(result.stdout).toMatch(/^OK: 4 rules, 3 warnings$/m);
  });

  it('warns about a resolve entry for a port the host\'s rules do not cover', async () => {
    const result = await check(
      'resolve-port.yaml',
      configYaml(`upstream:
  resolve:
    "api.example.com:9443": "127.0.0.1:9443"
    "api.example.com:8443": "127.0.0.1:8443"
    "other.example.org:443": "127.0.0.1:443"
    "[::1]:8443": "127.0.0.1:8443"
    api.example.com: 127.0.0.1
clientCertificates:
  - { host: api.example.com, port: [443, 8443], cert: certs/alice.crt, key: certs/alice.key }
  - { host: "::1", cert: certs/alice.crt, key: certs/alice.key }
`),
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      [
        'warning: upstream.resolve["api.example.com:9443"]: clientCertificates[0] ("api.example.com", port 443,8443) matches this host but not port 9443; add 9443 to the port of clientCertificates[0] to lend its certificate here',
        'warning: upstream.resolve["[::1]:8443"]: clientCertificates[1] ("::1", port 443) matches this host but not port 8443; add 8443 to the port of clientCertificates[1] to lend its certificate here',
        '',
      ].join('\n'),
    );
  });

  it('accepts the built-in defaults and says how to add a rule', async () => {
    const { dir: empty, remove: removeEmpty } = tempDir('cli-check-empty');
    try {
      const result = await runCli(['check'], { cwd: empty });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('config: built-in defaults');
      expect(result.stdout).toContain('listen: 127.0.0.1:8080, intercept: matched');
      expect(result.stdout).toContain('No clientCertificates rules: every CONNECT is tunnelled untouched');
      expect(result.stdout).toMatch(/^OK: 0 rules, 0 warnings$/m);
    } finally {
      removeEmpty();
    }
  });

  it('exits 2 with error lines, not a table, when the config is not usable', async () => {
    const result = await check('unusable.yaml', configYaml(THREE_RULES), {});
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: ${path.join(dir, 'unusable.yaml')}: clientCertificates[1].passphrase: uses \${BOB_PASS}, but the environment variable BOB_PASS is not set\n`,
    );
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
