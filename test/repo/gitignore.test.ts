/** The files config.example.yaml tells users to create must never be committed by accident. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** git's own verdict on a path, whether or not the file exists. */
function ignored(file: string): boolean {
  const result = spawnSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: ROOT });
  if (result.status !== 0 && result.status !== 1) throw new Error(`git check-ignore failed: ${String(result.stderr)}`);
  return result.status === 0;
}

describe('.gitignore', () => {
  it('keeps the example config\'s certificates folder and top-level keys out of git', () => {
    for (const file of ['certs/client.key', 'certs/client.crt', 'certs/partner.p12', 'client.key', 'partner.pfx', 'partner.p12', 'ca/ca.key', 'config.yaml']) {
      expect(ignored(file), file).toBe(true);
    }
  });

  it('still tracks the sources and the example config', () => {
    for (const file of ['src/cli.ts', 'config.example.yaml', 'test/certs/store.test.ts', 'ca/.gitkeep']) {
      expect(ignored(file), file).toBe(false);
    }
  });
});
