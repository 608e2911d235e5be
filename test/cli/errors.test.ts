/**
 * Every configuration error the contract names: exit code 2, and stderr lines
 * that start with `error:` and name the config file, the field path and the reason.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, runCli, STACK_FRAME, tempDir, type CliResult } from '../helpers/cli.js';
import { makeCa, writeFiles } from '../helpers/pki.js';
import { BOB_PASS, CAROL_PASS, configYaml, DAVE_PASS, writeCliPki } from './fixtures.js';

let dir: string;
let remove: () => void;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-errors'));
  writeCliPki(dir);
});
afterAll(() => remove());

async function check(name: string, yaml: string, env: Record<string, string> = {}): Promise<CliResult> {
  writeFileSync(path.join(dir, name), yaml);
  return runCli(['check', '-c', name], { cwd: dir, env });
}

/** Exit 2, nothing on stdout, and every stderr line an `error:` line without a stack. */
function expectConfigError(result: CliResult): string[] {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toMatch(STACK_FRAME);
  const lines = result.stderr.trimEnd().split('\n');
  for (const line of lines) expect(line).toMatch(/^error: /);
  return lines;
}

const NOBODY = { uid: 65534, gid: 65534 };

/** Lets another user read every file below `folder`, write in it (check tests where the CA could go), and reach it and the built CLI. */
function openUpForNobody(folder: string): void {
  // The built CLI too: a checkout in a mktemp -d folder (mode 0700) is closed to others.
  for (const start of [folder, CLI_PATH]) {
    for (let up = path.dirname(start); up !== path.dirname(up); up = path.dirname(up)) chmodSync(up, statSync(up).mode | 0o055);
  }
  chmodSync(folder, 0o777);
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.name === 'locked.key') continue;
    chmodSync(file, statSync(file).mode | (entry.isDirectory() ? 0o055 : 0o044));
  }
}

const rule = (fields: string): string => configYaml(`clientCertificates:\n  - host: a.example.com\n${fields}`);

describe('configuration errors', () => {
  it('bad YAML: the line and column', async () => {
    const lines = expectConfigError(await check('bad-yaml.yaml', 'listen:\n  port: [8080\nca: {}\n'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: ${escape(path.join(dir, 'bad-yaml.yaml'))}: invalid YAML at line \\d+, column \\d+`));
  });

  it('an unknown key, with the nearest valid key suggested', async () => {
    const lines = expectConfigError(await check('unknown.yaml', 'lisen:\n  port: 8080\n'));
    expect(lines).toEqual([`error: ${path.join(dir, 'unknown.yaml')}: lisen: unknown key "lisen"; did you mean "listen"?`]);
  });

  it('a misspelled key inside a rule names its path', async () => {
    const lines = expectConfigError(await check('misspelled.yaml', rule('    cert: certs/alice.crt\n    key: certs/alice.key\n    passphrse: x\n')));
    expect(lines).toEqual([
      `error: ${path.join(dir, 'misspelled.yaml')}: clientCertificates[0].passphrse: unknown key "passphrse"; did you mean "passphrase"?`,
    ]);
  });

  it('a missing file, named with the rule it belongs to', async () => {
    const yaml = configYaml(`clientCertificates:
  - { host: a.example.com, cert: certs/alice.crt, key: certs/alice.key }
  - { host: b.example.com, cert: certs/missing.crt, key: certs/alice.key }
`);
    const lines = expectConfigError(await check('missing.yaml', yaml));
    expect(lines).toEqual([
      `error: ${path.join(dir, 'missing.yaml')}: clientCertificates[1].cert: cannot read ${path.join(dir, 'certs/missing.crt')}: no such file`,
    ]);
  });

  it('a folder where a key file should be', async () => {
    mkdirSync(path.join(dir, 'certs/folder.key'), { recursive: true });
    const lines = expectConfigError(await check('folder.yaml', rule('    cert: certs/alice.crt\n    key: certs/folder.key\n')));
    expect(lines).toEqual([
      `error: ${path.join(dir, 'folder.yaml')}: clientCertificates[0].key: cannot read ${path.join(dir, 'certs/folder.key')}: it is a folder, not a file`,
    ]);
  });

  it('an unreadable file', async () => {
    writeFiles(dir, { 'certs/locked.key': 'locked' });
    chmodSync(path.join(dir, 'certs/locked.key'), 0o000);
    writeFileSync(path.join(dir, 'locked.yaml'), rule('    cert: certs/alice.crt\n    key: certs/locked.key\n'));
    // root reads any file whatever its mode: as root, the CLI runs as nobody, for whom
    // everything else in the folder is readable.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) openUpForNobody(dir);
    const result = await runCli(['check', '-c', 'locked.yaml'], { cwd: dir, ...(asRoot ? { user: NOBODY } : {}) });
    const lines = expectConfigError(result);
    expect(lines).toEqual([
      `error: ${path.join(dir, 'locked.yaml')}: clientCertificates[0].key: cannot read ${path.join(dir, 'certs/locked.key')}: permission denied`,
    ]);
  });

  it('a key that does not match its certificate', async () => {
    const lines = expectConfigError(await check('mismatch.yaml', rule('    cert: certs/alice.crt\n    key: certs/bob.key\n    passphrase: ${BOB_PASS}\n'), { BOB_PASS }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${path.join(dir, 'mismatch.yaml')}: clientCertificates[0].key: `);
    expect(lines[0]).toContain(`the key in ${path.join(dir, 'certs/bob.key')} does not belong to the certificate CN=alice,O=Acme`);
  });

  it('a wrong passphrase for an encrypted key, which is never printed', async () => {
    const result = await check('wrong-pass.yaml', rule('    cert: certs/bob.crt\n    key: certs/bob.key\n    passphrase: not-the-passphrase\n'));
    const lines = expectConfigError(result);
    expect(lines).toEqual([
      `error: ${path.join(dir, 'wrong-pass.yaml')}: clientCertificates[0].passphrase: the passphrase does not decrypt the private key in ${path.join(dir, 'certs/bob.key')}`,
    ]);
    expect(result.stderr).not.toContain('not-the-passphrase');
  });

  it('an encrypted key without a passphrase', async () => {
    const lines = expectConfigError(await check('no-pass.yaml', rule('    cert: certs/bob.crt\n    key: certs/bob.key\n')));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('clientCertificates[0].passphrase: ');
    expect(lines[0]).toContain('is encrypted and no passphrase is set');
  });

  it('a wrong passphrase for a PKCS#12 file', async () => {
    const result = await check('p12-pass.yaml', rule('    pfx: certs/carol.p12\n    passphrase: wrong-p12-pass\n'));
    const lines = expectConfigError(result);
    expect(lines).toEqual([
      `error: ${path.join(dir, 'p12-pass.yaml')}: clientCertificates[0].passphrase: the passphrase does not open ${path.join(dir, 'certs/carol.p12')}`,
    ]);
    expect(result.stderr).not.toContain('wrong-p12-pass');
    expect(result.stderr).not.toContain(CAROL_PASS);
  });

  it('a PKCS#12 file that cannot be opened', async () => {
    const lines = expectConfigError(await check('not-p12.yaml', rule('    pfx: certs/not-a.p12\n    passphrase: x\n')));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${path.join(dir, 'not-p12.yaml')}: clientCertificates[0].pfx: ${path.join(dir, 'certs/not-a.p12')} is not a PKCS#12 file that can be opened`);
  });

  it('a legacy RC2-40 PKCS#12 file, with the openssl command that converts it', async () => {
    const result = await check('legacy.yaml', rule(`    pfx: certs/dave.p12\n    passphrase: \${DAVE_PASS}\n`), { DAVE_PASS });
    const lines = expectConfigError(result);
    expect(lines).toHaveLength(1);
    const p12 = path.join(dir, 'certs/dave.p12');
    expect(lines[0]).toContain(`${path.join(dir, 'legacy.yaml')}: clientCertificates[0].pfx: ${p12} uses legacy RC2-40 encryption`);
    expect(lines[0]).toContain(`openssl pkcs12 -legacy -in ${p12} -nodes -out tmp.pem`);
    expect(lines[0]).toContain('openssl pkcs12 -export -in tmp.pem -out ');
    expect(result.stderr).not.toContain(DAVE_PASS);
  });

  it('an unsafe listen address', async () => {
    const lines = expectConfigError(await check('unsafe.yaml', 'listen:\n  host: 0.0.0.0\n'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${path.join(dir, 'unsafe.yaml')}: listen.host: "0.0.0.0" is not a loopback address`);
    expect(lines[0]).toContain('set listen.auth or listen.allow');
  });

  it('an unsafe listen address given as --host', async () => {
    const { dir: empty, remove: removeEmpty } = tempDir('cli-errors-host');
    try {
      const result = await runCli(['start', '--host', '0.0.0.0', '--port', '0'], { cwd: empty });
      const lines = expectConfigError(result);
      expect(lines[0]).toContain('built-in defaults: listen.host: "0.0.0.0" is not a loopback address');
    } finally {
      removeEmpty();
    }
  });

  it('an unset ${ENV} variable', async () => {
    const lines = expectConfigError(await check('unset-env.yaml', rule('    cert: certs/bob.crt\n    key: certs/bob.key\n    passphrase: ${NOT_SET_ANYWHERE}\n')));
    expect(lines).toEqual([
      `error: ${path.join(dir, 'unset-env.yaml')}: clientCertificates[0].passphrase: uses \${NOT_SET_ANYWHERE}, but the environment variable NOT_SET_ANYWHERE is not set`,
    ]);
  });

  it('a generated CA key that other users can read', async () => {
    const { dir: home, remove: removeHome } = tempDir('cli-errors-ca');
    try {
      writeFileSync(path.join(home, 'config.yaml'), configYaml(''));
      expect((await runCli(['ca', '--out', 'ca.pem'], { cwd: home })).code).toBe(0);
      const key = path.join(home, 'ca', 'ca.key');
      chmodSync(key, 0o644);
      const lines = expectConfigError(await runCli(['check'], { cwd: home }));
      expect(lines).toEqual([
        `error: ${path.join(home, 'config.yaml')}: ca.dir: ${key} can be accessed by other users (mode 0644); run \`chmod 600 ${key}\` so only its owner can read it.`,
      ]);
      // start refuses the same CA before listening.
      const start = await runCli(['start'], { cwd: home });
      expect(expectConfigError(start)).toEqual(lines);
    } finally {
      removeHome();
    }
  });

  it('a config file that does not exist', async () => {
    const result = await runCli(['check', '-c', 'nowhere.yaml'], { cwd: dir });
    expect(expectConfigError(result)).toEqual([`error: ${path.join(dir, 'nowhere.yaml')}: cannot read the config file: no such file`]);
  });

  it('reports every broken rule at once', async () => {
    const yaml = configYaml(`clientCertificates:
  - { host: a.example.com, cert: certs/alice.crt, key: certs/missing.key }
  - { host: b.example.com, cert: certs/bob.crt, key: certs/bob.key, passphrase: wrong }
  - { host: c.example.com, pfx: certs/not-a.p12 }
`);
    const lines = expectConfigError(await check('several.yaml', yaml));
    expect(lines.map((line) => /clientCertificates\[\d\]\.\w+/.exec(line)?.[0])).toEqual([
      'clientCertificates[0].key',
      'clientCertificates[1].passphrase',
      'clientCertificates[2].pfx',
    ]);
  });

  it('reports certificate and CA problems together', async () => {
    const ca = makeCa('Own CA');
    writeFiles(dir, { 'half-ca/ca.crt': ca.certPem });
    const yaml = `ca:
  dir: ./half-ca
clientCertificates:
  - { host: a.example.com, cert: certs/missing.crt, key: certs/alice.key }
`;
    const lines = expectConfigError(await check('both.yaml', yaml));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('clientCertificates[0].cert: cannot read');
    expect(lines[1]).toContain('ca.dir: ');
    expect(lines[1]).toContain('holds ca.crt but not ca.key');
  });

  it('prints the stack trace with --debug', async () => {
    writeFileSync(path.join(dir, 'debug.yaml'), 'lisen: {}\n');
    const result = await runCli(['check', '-c', 'debug.yaml', '--debug'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*unknown key "lisen"/);
    expect(result.stderr).toMatch(STACK_FRAME);
  });
});

/** A string as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
