/**
 * Docker and Kubernetes mount secrets read-only with modes such as 0444 or 0644: a CA
 * brought that way is used, with one warning naming the key file, by `check` and `start`.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from '../helpers/cli.js';
import { makeCa, writeFiles } from '../helpers/pki.js';
import { configYaml } from '../cli/fixtures.js';

let dir: string;
let remove: () => void;
let keyFile: string;

beforeAll(() => {
  ({ dir, remove } = tempDir('secret-mounts'));
  const ca = makeCa('Mounted CA');
  const files = writeFiles(dir, { 'secrets/ca.crt': ca.certPem, 'secrets/ca.key': ca.keyPem });
  keyFile = files['secrets/ca.key']!;
  chmodSync(keyFile, 0o444);
  writeFileSync(path.join(dir, 'config.yaml'), configYaml('').replace('  dir: ./ca\n', '  cert: secrets/ca.crt\n  key: secrets/ca.key\n'));
});
afterAll(() => remove());

describe('a brought CA key mounted read-only for everyone (0444)', () => {
  it('check: exit 0 and one warning line naming the key', async () => {
    const result = await runCli(['check'], { cwd: dir });
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toEqual([expect.stringContaining(`warning: ca: ${keyFile} (ca.key) can be read by other users (mode 0444)`)]);
    expect(result.stdout).toMatch(/^OK: 0 rules, 1 warning$/m);
  });

  it('start: one warn line naming the key, then listening', async () => {
    const cli = startCli(['start'], { cwd: dir });
    try {
      await cli.waitForLog('listening');
      const warned = cli.lines.filter((line) => line.level === 40 && String(line.msg).includes(keyFile));
      expect(warned).toHaveLength(1);
      expect(warned[0]!.msg).toContain('(mode 0444)');
    } finally {
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    }
  });
});
