/**
 * Docker and Kubernetes mount secrets read-only with modes such as 0444 or 0644: a CA key,
 * a client key or a PKCS#12 file mounted that way is used, with one warning naming the
 * file, by `check` (a `warning:` line) and `start` (a `warn` log line).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { makeCa, makeClientCert, makePkcs12, writeFiles } from '../helpers/pki.js';
import { configYaml } from '../cli/fixtures.js';

let dir: string;
let remove: () => void;
let keyFile: string;
let clientKeyFile: string;
let pfxFile: string;

beforeAll(() => {
  ({ dir, remove } = tempDir('secret-mounts'));
  const ca = makeCa('Mounted CA');
  const client = makeClientCert(ca, 'mounted-client');
  const files = writeFiles(dir, {
    'secrets/ca.crt': ca.certPem,
    'secrets/ca.key': ca.keyPem,
    'secrets/client.crt': client.certPem,
    'secrets/client.key': client.keyPem,
    'secrets/client.p12': makePkcs12(client, [ca], 'pass'),
    'secrets/client.pass': 'pass\n',
  });
  keyFile = files['secrets/ca.key']!;
  clientKeyFile = files['secrets/client.key']!;
  pfxFile = files['secrets/client.p12']!;
  chmodSync(keyFile, 0o444);
  chmodSync(clientKeyFile, 0o444);
  chmodSync(pfxFile, 0o644);
  const rules = `clientCertificates:
  - { host: a.example.com, cert: secrets/client.crt, key: secrets/client.key }
  - { host: b.example.com, pfx: secrets/client.p12, passphraseFile: secrets/client.pass }
`;
  writeFileSync(path.join(dir, 'config.yaml'), configYaml(rules).replace('  dir: ./ca\n', '  cert: secrets/ca.crt\n  key: secrets/ca.key\n'));
});
afterAll(() => remove());

describe('a CA key, a client key and a PKCS#12 file mounted readable by others', () => {
  it('check: exit 0 and one warning line naming each file', async () => {
    const result = await runCli(['check'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toEqual([
      expect.stringContaining(`warning: clientCertificates[0].key: ${clientKeyFile} can be read by other users (mode 0444)`),
      expect.stringContaining(`warning: clientCertificates[1].pfx: ${pfxFile} can be read by other users (mode 0644)`),
      expect.stringContaining(`warning: ca: ${keyFile} can be read by other users (mode 0444); fine for a read-only secret mount, otherwise run \`chmod 600 ${keyFile}\``),
    ]);
    expect(result.stdout).toMatch(/^OK: 2 rules, 3 warnings$/m);
  });

  it('start: one warn line naming each file, then listening', async () => {
    const cli = startCli(['start'], { cwd: dir });
    try {
      await cli.waitForLog('listening');
      for (const [file, mode] of [[keyFile, '0444'], [clientKeyFile, '0444'], [pfxFile, '0644']] as const) {
        const warned = cli.lines.filter((line) => line.level === 40 && String(line.msg).includes(file));
        expect(warned, file).toHaveLength(1);
        expect(warned[0]!.msg).toContain(`(mode ${mode})`);
      }
    } finally {
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    }
  });
});
